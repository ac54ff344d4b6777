/*
 * slice.c -- select(x, axis, i) and slice(x, axis, start, stop, step), as
 * x[.., i, ..] and x[.., start:stop:step, ..] in PyTorch.
 *
 *   forward   a copy through a map of source offsets (gather_map.h)
 *   backward  dx = g placed back at the positions read, zeros elsewhere
 *             (index_add into zeros), so every order works
 *
 * select's index must lie in -n..n-1 (negative counts from the end);
 * outside, it is an error naming the axis, the index and the size. slice's
 * bounds clamp to the axis as Python's slices do (x[0:100] is x), negative
 * ones count from the end, TG_SLICE_END (or any bound >= n) for an omitted
 * stop; an empty slice is an empty tensor. step must be positive: negative
 * steps are refused, as in PyTorch (tg_flip reverses).
 */
#include <string.h>

#include "gather_map.h"

/* The result and map of x with axis ax cut to count positions start,
 * start + step, ...; the other axes whole. */
static tg_tensor *axis_walk(const char *fn, tg_tensor *x, int ax, int64_t count, int64_t start,
                            int64_t step, tg_tensor **map)
{
    int64_t shape[TG_MAX_DIMS], stride[TG_MAX_DIMS], *tables[TG_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[ax] = count;
    tg__strides(x, stride);
    tg_tensor *y = tg__map_new(fn, x, x->ndim, shape, map);
    for (int d = 0; y && d < x->ndim; d++) {
        tables[d] = tg__map_table(fn, shape[d]);
        if (!tables[d])
            return NULL;
        for (int64_t i = 0; i < shape[d]; i++)
            tables[d][i] = (d == ax ? start + i * step : i) * stride[d];
    }
    if (y)
        tg__map_fill_tables(*map, x->ndim, shape, tables, 0);
    return y;
}

TG_SAMPLE_FN(sample_select, tg_select(in[0], 1, -1))
TG_SAMPLE_FN(sample_slice, tg_slice(in[0], 1, 0, TG_SLICE_END, 2))

const tg_op tg__op_select = {
    .info = {TG_OP_SELECT, "tg_select", 1, TG_OP_AXIS | TG_OP_HELPER_INPUT,
             {sample_select, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = tg__map_backward,
    .jvp = tg__map_jvp,
    .rerun = tg__map_rerun,
};

const tg_op tg__op_slice = {
    .info = {TG_OP_SLICE, "tg_slice", 1, TG_OP_AXIS | TG_OP_HELPER_INPUT,
             {sample_slice, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = tg__map_backward,
    .jvp = tg__map_jvp,
    .rerun = tg__map_rerun,
};

tg_tensor *tg_select(tg_tensor *x, int axis, int64_t index)
{
    const char *fn = tg__op_select.info.name;
    int ax;
    if (tg__check(fn, x, 1) < 0 || tg__normalize_axis(fn, x, axis, &ax) < 0)
        return NULL;
    int64_t n = x->shape[ax];
    if (index < -n || index >= n)
        return tg__fail(TG_EVALUE, "%s: index %lld is out of range for axis %d of size %lld", fn,
                        (long long)index, ax, (long long)n), NULL;
    tg_tensor *map, *y = axis_walk(fn, x, ax, 1, index < 0 ? index + n : index, 1, &map);
    if (!y)
        return NULL;
    /* the selected axis goes: y is the size-1 slice without it */
    memmove(y->shape + ax, y->shape + ax + 1, (size_t)(x->ndim - ax - 1) * sizeof *y->shape);
    memmove(map->shape + ax, map->shape + ax + 1, (size_t)(x->ndim - ax - 1) * sizeof *y->shape);
    y->ndim = map->ndim = (uint8_t)(x->ndim - 1);
    y->attr.i.axis = ax;
    return tg__map_finish(&tg__op_select, y, x, 0, NULL, map, 0);
}

/* Python's slice bounds: negative counts from the end, then clamp to 0..n. */
static int64_t clamp_bound(int64_t b, int64_t n)
{
    if (b < 0)
        b = b < -n ? 0 : b + n;
    return b > n ? n : b;
}

tg_tensor *tg_slice(tg_tensor *x, int axis, int64_t start, int64_t stop, int64_t step)
{
    const char *fn = tg__op_slice.info.name;
    int ax;
    if (tg__check(fn, x, 1) < 0 || tg__normalize_axis(fn, x, axis, &ax) < 0)
        return NULL;
    if (step <= 0)
        return tg__fail(TG_EVALUE,
                        "%s: step %lld along axis %d must be positive (PyTorch refuses "
                        "negative steps; tg_flip reverses an axis)",
                        fn, (long long)step, ax), NULL;
    int64_t n = x->shape[ax], lo = clamp_bound(start, n), hi = clamp_bound(stop, n);
    int64_t count = hi > lo ? (hi - lo + step - 1) / step : 0;
    tg_tensor *map, *y = axis_walk(fn, x, ax, count, lo, step, &map);
    if (!y)
        return NULL;
    y->attr.i.axis = ax;
    return tg__map_finish(&tg__op_slice, y, x, 0, NULL, map, 0);
}
