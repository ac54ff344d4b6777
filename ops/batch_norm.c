/*
 * batch_norm.c -- F.batch_norm(x, running_mean, running_var, weight, bias,
 * training, momentum, eps): x [N, C, *] (NC, NCL, NCHW, ...), normalized
 * per channel, then scaled and shifted by weight [C] and bias [C] (either
 * may be NULL).
 *
 *   training  the batch's statistics over N and the spatial axes:
 *             (x - mean) / sqrt(var + eps) with the biased variance. The
 *             running statistics, when given, are updated in place,
 *             running = (1 - momentum) running + momentum stat, with the
 *             UNBIASED variance (n / (n - 1) var), as PyTorch does. They are
 *             buffers, not tape values: the update is not recorded, nothing
 *             flows back to them, and they must not require grad.
 *             The op is this kind; its kernel and its rules (written with
 *             ops) are norm_core.c's, x read as [N, C, spatial elements].
 *   eval      (x - running_mean) / sqrt(running_var + eps) weight + bias,
 *             composed of ops (the statistics are constants, so the tape
 *             shows a subtraction, a multiplication, ...); they are needed.
 */
#include <math.h>

#include "norm_core.h"

/* [m,n] samples: one sample of m channels, n places each, in training
 * without running statistics */
static tg_tensor *sample_batch_norm(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    int64_t m = tg_shape(in[0])[0], n = tg_shape(in[0])[1];
    tg_tensor *x = tg_reshape(in[0], 3, (int64_t[]){1, m, n});
    return tg_batch_norm(x, NULL, NULL, tg_sum_axis(in[1], 1, false),
                         tg_sum_axis(in[2], 1, false), true, 0.1, 1e-5);
}

static int batch_norm_rerun(tg_tensor *out);

const tg_op tg__op_batch_norm = {
    .info = {TG_OP_BATCH_NORM, "tg_batch_norm", 3, 0,
             {sample_batch_norm, 3, TG_SAMPLE_SAME, {TG_SAMPLE_ANY, TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = tg__norm_backward,
    .jvp = tg__norm_jvp,
    .rerun = batch_norm_rerun,
};

static const char *const batch_norm_fn = "tg_batch_norm";

static int check_running(const tg_tensor *x, const tg_tensor *t, int argno, const char *what)
{
    int64_t C = x->shape[1];
    int rc = tg__norm_check_affine(batch_norm_fn, x, t, argno, what, 1, &C);
    if (rc == 0 && t && (t->flags & TG_REQUIRES_GRAD))
        rc = tg__fail(TG_EVALUE, "%s: %s requires grad; running statistics are buffers, "
                      "updated in place and never differentiated", batch_norm_fn, what);
    return rc;
}

static int check_args(tg_tensor *const *args, bool training, double momentum, double eps)
{
    static const char *const what[5] = {"input", "running_mean", "running_var", "weight",
                                        "bias"};
    const tg_tensor *x = args[0];
    char xd[96];
    int rc = tg__check(batch_norm_fn, x, 1);
    if (rc == 0 && x->ndim < 2)
        rc = tg__fail(TG_ESHAPE, "%s: input has shape %s; it must be [N,C,*]", batch_norm_fn,
                      tg__dims_str(x->ndim, x->shape, xd, sizeof xd));
    for (int k = 1; rc == 0 && k < 3; k++)
        rc = check_running(x, args[k], k + 1, what[k]);
    for (int k = 3; rc == 0 && k < 5; k++)
        rc = tg__norm_check_affine(batch_norm_fn, x, args[k], k + 1, what[k], 1, &x->shape[1]);
    if (rc == 0)
        rc = tg__norm_check_eps(batch_norm_fn, eps);
    if (rc == 0 && !isfinite(momentum))
        rc = tg__fail(TG_EVALUE, "%s: momentum %g is not finite", batch_norm_fn, momentum);
    if (rc == 0 && training && x->numel / (x->shape[1] ? x->shape[1] : 1) <= 1)
        rc = tg__fail(TG_EVALUE, "%s: training needs more than 1 value per channel; input has "
                      "shape %s", batch_norm_fn, tg__dims_str(x->ndim, x->shape, xd, sizeof xd));
    if (rc == 0 && !training && (!args[1] || !args[2]))
        rc = tg__fail(TG_EVALUE, "%s: eval mode needs running_mean and running_var",
                      batch_norm_fn);
    return rc;
}

/* [C] read as [C, 1, ..., 1], to broadcast against x */
static tg_tensor *per_channel(const tg_norm_geom *geo, tg_tensor *t)
{
    return t ? tg_reshape(t, geo->affine_ndim, geo->affine_shape) : NULL;
}

static tg_tensor *eval_norm(const tg_norm_geom *geo, tg_tensor *x, tg_tensor *running_mean,
                            tg_tensor *running_var, tg_tensor *weight, tg_tensor *bias)
{
    tg_tensor *rstd = tg_rsqrt(tg_add_scalar(per_channel(geo, running_var), geo->eps));
    tg_tensor *y = tg_mul(tg_sub(x, per_channel(geo, running_mean)), rstd);
    if (weight)
        y = tg_mul(y, per_channel(geo, weight));
    return bias ? tg_add(y, per_channel(geo, bias)) : y;
}

/* running = (1 - momentum) running + momentum stat, in place */
static void update_running(tg_tensor *running, const double *stat, double scale, double momentum)
{
    for (int64_t c = 0; running && c < running->numel; c++)
        tg__store(running, c, (1 - momentum) * tg__load(running, c) + momentum * scale * stat[c]);
}

/* The running statistics of a training step by the means and biased
 * variances of y's forward (the variance made unbiased, as PyTorch does). */
static void update_running_stats(const tg_tensor *y)
{
    const tg_norm_geom *geo = y->attr.params;
    double n = (double)(geo->outer * geo->inner);
    update_running(geo->running_mean, geo->stats, 1, geo->momentum);
    update_running(geo->running_var, geo->stats + geo->groups, n / (n - 1), geo->momentum);
}

/* A replayed training step updates the running statistics again, as a
 * fresh one would: they must outlive the replay. */
static int batch_norm_rerun(tg_tensor *out)
{
    int rc = tg__norm_rerun(out);
    if (rc == 0)
        update_running_stats(out);
    return rc;
}

tg_tensor *tg_batch_norm(tg_tensor *x, tg_tensor *running_mean, tg_tensor *running_var,
                         tg_tensor *weight, tg_tensor *bias, bool training, double momentum,
                         double eps)
{
    tg_tensor *args[5] = {x, running_mean, running_var, weight, bias};
    if (check_args(args, training, momentum, eps) < 0)
        return NULL;
    int64_t N = x->shape[0], C = x->shape[1], spatial = N * C != 0 ? x->numel / (N * C) : 0;
    tg_norm_geom geo = {.outer = N, .groups = C, .inner = spatial, .channels = C ? C : 1,
                        .channel_stride = spatial ? spatial : 1, .affine_ndim = x->ndim - 1,
                        .eps = eps, .center = true, .running_mean = running_mean,
                        .running_var = running_var, .momentum = momentum};
    geo.affine_shape[0] = C;
    for (int k = 1; k < x->ndim - 1; k++)
        geo.affine_shape[k] = 1;
    if (!training)
        return eval_norm(&geo, x, running_mean, running_var, weight, bias);
    tg_tensor *y = tg__norm_forward(&tg__op_batch_norm, x, weight, bias, &geo);
    if (y)
        update_running_stats(y);
    return y;
}
