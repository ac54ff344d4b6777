/* tapegrad/nn.h -- the nn library: named parameters, layers and models,
 * losses, optimizers, data sets, checkpoints, metrics and the training loop. */
#ifndef TAPEGRAD_NN_H
#define TAPEGRAD_NN_H

#include <tapegrad/checkpoint.h>
#include <tapegrad/data.h>
#include <tapegrad/layers.h>
#include <tapegrad/losses.h>
#include <tapegrad/metrics.h>
#include <tapegrad/optim.h>
#include <tapegrad/params.h>
#include <tapegrad/random.h>
#include <tapegrad/train.h>

#endif
