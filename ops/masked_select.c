/*
 * masked_select.c -- masked_select(x, mask): the elements of x where mask
 * is nonzero, in row-major order, as a 1-d tensor (torch.masked_select).
 * x and mask broadcast together first. Its length depends on the mask's
 * values, which is fine on the tape: the mask is a constant.
 *
 *   forward   a copy through a map of source offsets (gather_map.h)
 *   backward  dx = g placed back where mask is nonzero, zeros elsewhere; no
 *             gradient to mask (NaN counts as nonzero, as in PyTorch)
 */
#include "gather_map.h"

/* Selects the columns whose index is even, a mask of x's shape. */
static tg_tensor *sample_masked_select(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    int64_t n = tg_shape(in[0])[1];
    tg_tensor *mask = tg_tensor_new(tg_dtype_of(in[0]), 1, &n, NULL, false);
    for (int64_t j = 0; j < n; j++)
        tg_set(mask, j, j % 2 == 0);
    return tg_masked_select(in[0], mask);
}

const tg_op tg__op_masked_select = {
    .info = {TG_OP_MASKED_SELECT, "tg_masked_select", 2, TG_OP_HELPER_INPUT | TG_OP_VALUE_SHAPE,
             {sample_masked_select, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = tg__map_backward,
    .jvp = tg__map_jvp,
};

tg_tensor *tg_masked_select(tg_tensor *x, tg_tensor *mask)
{
    const char *fn = tg__op_masked_select.info.name;
    if (tg__check(fn, x, 1) < 0 || tg__check(fn, mask, 2) < 0)
        return NULL;
    int ndim;
    int64_t shape[TG_MAX_DIMS];
    tg_bcast plan;
    tg_tensor *pair[2] = {x, mask};
    if (tg__broadcast(fn, 2, pair, &ndim, shape, &plan) < 0)
        return NULL;
    /* an operand with every element already has the broadcast's row-major
     * order; a stretched x is recorded as such, so its gradient sums back */
    int64_t total = tg__shape_numel(ndim, shape);
    tg_tensor *xb = x->numel == total ? x : tg_broadcast_to(x, ndim, shape);
    tg_tensor *mb = mask->numel == total ? mask : tg_broadcast_to(mask, ndim, shape);
    if (!xb || !mb)
        return NULL;
    int64_t count = 0;
    for (int64_t i = 0; i < mb->numel; i++)
        count += tg__load(mb, i) != 0;
    tg_tensor *map, *y = tg__map_new(fn, x, 1, &count, &map);
    if (!y)
        return NULL;
    double *m = map->data;
    for (int64_t i = 0, k = 0; i < mb->numel; i++)
        if (tg__load(mb, i) != 0)
            m[k++] = (double)i;
    return tg__map_finish(&tg__op_masked_select, y, xb, 1, &mb, map, 0);
}
