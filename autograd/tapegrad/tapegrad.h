/*
 * tapegrad.h -- reverse-mode automatic differentiation in C.
 *
 *     tg_tensor *w = tg_var(0.5), *x = tg_scalar(2.0), *b = tg_var(0.1);
 *     tg_tensor *y = tg_sigmoid(tg_add(tg_mul(w, x), b));
 *     tg_backward(y);                        // dy/dw = s(1-s) x, dy/db = s(1-s)
 *     printf("%g %g\n", tg_grad_get(w, 0), tg_grad_get(b, 0));
 *     tg_tape_reset();
 */
#ifndef TAPEGRAD_H
#define TAPEGRAD_H

#include <tapegrad/function.h>
#include <tapegrad/forward.h>
#include <tapegrad/gradcheck.h>
#include <tapegrad/hooks.h>
#include <tapegrad/inspect.h>
#include <tapegrad/lint.h>
#include <tapegrad/nn.h>
#include <tapegrad/program.h>
#include <tapegrad/ops.h>
#include <tapegrad/tensor.h>

#define TAPEGRAD_VERSION "0.1.0"

#endif
