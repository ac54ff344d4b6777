/*
 * group_norm.c -- F.group_norm(x, num_groups, weight, bias, eps): x [N, C,
 * *] with C a multiple of num_groups; each sample's channels are split into
 * num_groups groups of C / num_groups consecutive channels, and each group
 * (its channels and every spatial place) is normalized on its own,
 * (x - mean) / sqrt(var + eps) with the biased variance, then scaled and
 * shifted per channel by weight [C] and bias [C] (either may be NULL).
 *
 * The kernel and the rules (written with ops) are norm_core.c's: x is read
 * as [1, N num_groups, C / num_groups spatial elements].
 */
#include "norm_core.h"

/* [m,n] samples: one sample of m channels in one group, n places each */
static tg_tensor *sample_group_norm(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    int64_t m = tg_shape(in[0])[0], n = tg_shape(in[0])[1];
    tg_tensor *x = tg_reshape(in[0], 3, (int64_t[]){1, m, n});
    return tg_group_norm(x, 1, tg_sum_axis(in[1], 1, false), tg_sum_axis(in[2], 1, false), 1e-5);
}

const tg_op tg__op_group_norm = {
    .info = {TG_OP_GROUP_NORM, "tg_group_norm", 3, 0,
             {sample_group_norm, 3, TG_SAMPLE_SAME, {TG_SAMPLE_ANY, TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = tg__norm_backward,
    .jvp = tg__norm_jvp,
    .rerun = tg__norm_rerun,
};

static int check_groups(const char *fn, const tg_tensor *x, int64_t num_groups)
{
    char xd[96];
    if (x->ndim < 2)
        return tg__fail(TG_ESHAPE, "%s: input has shape %s; it must be [N,C,*]", fn,
                        tg__dims_str(x->ndim, x->shape, xd, sizeof xd));
    if (num_groups < 1 || x->shape[1] % num_groups)
        return tg__fail(TG_EVALUE, "%s: %lld groups do not divide the %lld channels of input of "
                        "shape %s", fn, (long long)num_groups, (long long)x->shape[1],
                        tg__dims_str(x->ndim, x->shape, xd, sizeof xd));
    return TG_OK;
}

tg_tensor *tg_group_norm(tg_tensor *x, int64_t num_groups, tg_tensor *weight, tg_tensor *bias,
                         double eps)
{
    const char *fn = tg__op_group_norm.info.name;
    int rc = tg__check(fn, x, 1);
    if (rc == 0)
        rc = check_groups(fn, x, num_groups);
    int64_t C = rc == 0 ? x->shape[1] : 0;
    if (rc == 0)
        rc = tg__norm_check_affine(fn, x, weight, 3, "weight", 1, &C);
    if (rc == 0)
        rc = tg__norm_check_affine(fn, x, bias, 4, "bias", 1, &C);
    if (rc == 0)
        rc = tg__norm_check_eps(fn, eps);
    if (rc < 0)
        return NULL;
    int64_t spatial = x->shape[0] * C != 0 ? x->numel / (x->shape[0] * C) : 0;
    tg_norm_geom geo = {.outer = 1, .groups = x->shape[0] * num_groups,
                        .inner = C / num_groups * spatial, .channels = C ? C : 1,
                        .channel_stride = spatial ? spatial : 1, .affine_ndim = x->ndim - 1,
                        .eps = eps, .center = true};
    geo.affine_shape[0] = C;
    for (int k = 1; k < x->ndim - 1; k++)
        geo.affine_shape[k] = 1;
    return tg__norm_forward(&tg__op_group_norm, x, weight, bias, &geo);
}
