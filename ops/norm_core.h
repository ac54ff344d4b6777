/*
 * norm_core.h -- what layer_norm, rms_norm, group_norm and batch_norm
 * share (issue 13). Not installed.
 *
 * Each reads x as [outer, groups, inner] and normalizes every group over
 * its outer and inner elements:
 *   layer_norm, rms_norm  [1, leading elements, normalized elements]
 *   group_norm            [1, N groups, C/groups spatial elements]
 *   batch_norm            [N, C, spatial elements]
 * then scales and shifts by a weight and a bias of `channels` entries,
 * element i using entry (i / channel_stride) % channels: the normalized
 * shape's for the first two (stride 1), one per channel for the others.
 */
#ifndef TG_NORM_CORE_H
#define TG_NORM_CORE_H

#include "kernel.h"

typedef struct {
    int64_t outer, groups, inner;
    int64_t channels, channel_stride;
    /* the weight and bias as they broadcast against x: the normalized
     * shape, or [C, 1, ..., 1] */
    int affine_ndim;
    int64_t affine_shape[TG_MAX_DIMS];
    double eps;
    bool center; /* subtract the mean; rms_norm does not */
    bool weight, bias;
    /* the forward's groups' means then biased variances (2 groups entries,
     * in the tape arena), for the fused first-order backward */
    double *stats;
    /* batch_norm in training: the running statistics it updates by
     * momentum (NULL for none), again at each rerun as a fresh step would */
    tg_tensor *running_mean, *running_var;
    double momentum;
} tg_norm_geom;

/* y = xhat * weight + bias by geom, xhat = (x - mean) / sqrt(var + eps)
 * (biased variance) per group, computed in double. The geometry is kept in
 * the tape arena (y's attr.params), with the groups' means and biased
 * variances in its stats; the result records op over x, the weight and
 * the bias that are given. */
tg_tensor *tg__norm_forward(const tg_op *op, tg_tensor *x, tg_tensor *weight, tg_tensor *bias,
                            const tg_norm_geom *geom);

/* The rerun of every norm op: the statistics into the kept stats, then y. */
int tg__norm_rerun(tg_tensor *out);

/* The backward and tangent rules of every norm op, written with ops: the
 * statistics are recomputed from x, so every order works. A first-order
 * sweep takes a fused backward instead (tg__may_fuse): two passes over x
 * with the forward's statistics, and one result tensor per input, where
 * the composed rule makes about nine tensors of x's size. */
int tg__norm_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in);
int tg__norm_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out);

/* PyTorch's checks of a weight or bias (argument argno of fn, named what):
 * the dtype of x and the shape want (ndim, shape). NULL passes. */
int tg__norm_check_affine(const char *fn, const tg_tensor *x, const tg_tensor *t, int argno,
                          const char *what, int ndim, const int64_t *shape);

/* eps must be a finite number >= 0. */
int tg__norm_check_eps(const char *fn, double eps);

#endif
