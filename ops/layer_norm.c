/*
 * layer_norm.c -- F.layer_norm(x, normalized_shape, weight, bias, eps) and
 * F.rms_norm(x, normalized_shape, weight, eps) (PyTorch 2.4): each slice of
 * the last k axes, the normalized shape, is normalized on its own.
 *
 *   layer_norm  (x - mean) / sqrt(var + eps) weight + bias, var biased
 *   rms_norm    x / sqrt(mean(x^2) + eps) weight; eps NAN is PyTorch's None,
 *               the machine epsilon of x's dtype
 *
 * The kernel and the rules (written with ops) are norm_core.c's, the slice
 * read as one group: x is [1, leading elements, normalized elements].
 */
#include <float.h>
#include <math.h>

#include "norm_core.h"

TG_SAMPLE_FN(sample_layer_norm,
             tg_layer_norm(in[0], 1, (const int64_t[]){tg_shape(in[0])[1]},
                           tg_sum_axis(in[1], 0, false), tg_sum_axis(in[2], 0, false), 1e-5))

const tg_op tg__op_layer_norm = {
    .info = {TG_OP_LAYER_NORM, "tg_layer_norm", 3, 0,
             {sample_layer_norm, 3, TG_SAMPLE_SAME, {TG_SAMPLE_ANY, TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = tg__norm_backward,
    .jvp = tg__norm_jvp,
    .rerun = tg__norm_rerun,
};

TG_SAMPLE_FN(sample_rms_norm, tg_rms_norm(in[0], 1, (const int64_t[]){tg_shape(in[0])[1]},
                                          tg_sum_axis(in[1], 0, false), NAN))

const tg_op tg__op_rms_norm = {
    .info = {TG_OP_RMS_NORM, "tg_rms_norm", 2, 0,
             {sample_rms_norm, 2, TG_SAMPLE_SAME, {TG_SAMPLE_NONZERO, TG_SAMPLE_ANY}}},
    .backward = tg__norm_backward,
    .jvp = tg__norm_jvp,
    .rerun = tg__norm_rerun,
};

/* The normalized shape must be x's last n_axes sizes (PyTorch's check). */
static int check_normalized_shape(const char *fn, const tg_tensor *x, int n_axes,
                                  const int64_t *shape)
{
    char xd[96], sd[96];
    bool fits = shape && n_axes >= 1 && n_axes <= x->ndim;
    for (int k = 0; fits && k < n_axes; k++)
        fits = shape[k] == x->shape[x->ndim - n_axes + k];
    if (fits)
        return TG_OK;
    return tg__fail(TG_ESHAPE, "%s: normalized_shape %s is not the last axes of input of shape %s",
                    fn, shape && n_axes >= 0 ? tg__dims_str(n_axes, shape, sd, sizeof sd) : "[]",
                    tg__dims_str(x->ndim, x->shape, xd, sizeof xd));
}

static tg_tensor *slice_norm(const tg_op *op, tg_tensor *x, int n_axes,
                             const int64_t *normalized_shape, tg_tensor *weight, tg_tensor *bias,
                             double eps)
{
    const char *fn = op->info.name;
    int rc = tg__check(fn, x, 1);
    if (rc == 0)
        rc = check_normalized_shape(fn, x, n_axes, normalized_shape);
    if (rc == 0)
        rc = tg__norm_check_affine(fn, x, weight, 3, "weight", n_axes, normalized_shape);
    if (rc == 0)
        rc = tg__norm_check_affine(fn, x, bias, 4, "bias", n_axes, normalized_shape);
    if (rc == 0)
        rc = tg__norm_check_eps(fn, eps);
    if (rc < 0)
        return NULL;
    int64_t inner = tg__shape_numel(n_axes, normalized_shape);
    tg_norm_geom geo = {.outer = 1, .groups = inner ? x->numel / inner : 0, .inner = inner,
                        .channels = inner ? inner : 1, .channel_stride = 1,
                        .affine_ndim = n_axes, .eps = eps, .center = op == &tg__op_layer_norm};
    for (int k = 0; k < n_axes; k++)
        geo.affine_shape[k] = normalized_shape[k];
    return tg__norm_forward(op, x, weight, bias, &geo);
}

tg_tensor *tg_layer_norm(tg_tensor *x, int n_axes, const int64_t *normalized_shape,
                         tg_tensor *weight, tg_tensor *bias, double eps)
{
    return slice_norm(&tg__op_layer_norm, x, n_axes, normalized_shape, weight, bias, eps);
}

tg_tensor *tg_rms_norm(tg_tensor *x, int n_axes, const int64_t *normalized_shape,
                       tg_tensor *weight, double eps)
{
    if (isnan(eps) && tg__valid(x))
        eps = x->dtype == TG_F32 ? FLT_EPSILON : DBL_EPSILON;
    return slice_norm(&tg__op_rms_norm, x, n_axes, normalized_shape, weight, NULL, eps);
}
