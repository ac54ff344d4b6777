/*
 * flip.c -- flip(x, axes) reverses the given axes; roll(x, shifts, axes)
 * rotates them (torch.flip, torch.roll).
 *
 *   forward   a copy through a map of source offsets (gather_map.h)
 *   backward  dx = g sent back through the same map (index_add): the flip
 *             of g, or g rolled back
 *
 * roll moves element i of an axis of size n to (i + shift) mod n, so a
 * shift may be negative or exceed n; with no axes (n_axes 0) it rolls the
 * flattened tensor and restores its shape, as torch.roll without dims.
 */
#include <string.h>

#include "gather_map.h"

TG_SAMPLE_FN(sample_flip, tg_flip(in[0], 1, (int[]){-1}))
TG_SAMPLE_FN(sample_roll, tg_roll(in[0], 2, (int64_t[]){1, -3}, (int[]){1, 0}))

const tg_op tg__op_flip = {
    .info = {TG_OP_FLIP, "tg_flip", 1, TG_OP_HELPER_INPUT,
             {sample_flip, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = tg__map_backward,
    .jvp = tg__map_jvp,
    .rerun = tg__map_rerun,
};

const tg_op tg__op_roll = {
    .info = {TG_OP_ROLL, "tg_roll", 1, TG_OP_HELPER_INPUT,
             {sample_roll, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = tg__map_backward,
    .jvp = tg__map_jvp,
    .rerun = tg__map_rerun,
};

/* Normalises n axes into out, each at most once. */
static int read_axes(const char *fn, const tg_tensor *x, int n, const int *axes, int *out)
{
    if (n < 0 || n > x->ndim || (n > 0 && !axes))
        return tg__fail(n > 0 && !axes ? TG_ENULL : TG_EAXIS,
                        "%s: %d axes for a %d-d tensor", fn, n, x->ndim);
    bool seen[TG_MAX_DIMS] = {false};
    for (int k = 0; k < n; k++) {
        int rc = tg__normalize_axis(fn, x, axes[k], &out[k]);
        if (rc < 0)
            return rc;
        if (seen[out[k]])
            return tg__fail(TG_EAXIS, "%s: axis %d appears twice", fn, out[k]);
        seen[out[k]] = true;
    }
    return TG_OK;
}

/* The result and map of x (walked as walk_ndim axes of walk_shape, x's own
 * or its flat view) where axis d reads source position src(d, i). */
typedef int64_t (*position_fn)(int64_t i, int64_t n, int64_t param);

static tg_tensor *walk(const char *fn, const tg_op *op, tg_tensor *x, int walk_ndim,
                       const int64_t *walk_shape, const int64_t *param, position_fn pos)
{
    int64_t stride[TG_MAX_DIMS], *tables[TG_MAX_DIMS], s = 1;
    for (int d = walk_ndim - 1; d >= 0; d--, s *= walk_shape[d + 1])
        stride[d] = s;
    tg_tensor *map, *y = tg__map_new(fn, x, x->ndim, x->shape, &map);
    if (!y)
        return NULL;
    for (int d = 0; d < walk_ndim; d++) {
        if (!(tables[d] = tg__map_table(fn, walk_shape[d])))
            return NULL;
        for (int64_t i = 0; i < walk_shape[d]; i++)
            tables[d][i] = pos(i, walk_shape[d], param[d]) * stride[d];
    }
    tg__map_fill_tables(map, walk_ndim, walk_shape, tables, 0);
    return tg__map_finish(op, y, x, 0, NULL, map, 0);
}

/* param 1 reverses the axis, 0 keeps it */
static int64_t flip_position(int64_t i, int64_t n, int64_t flipped)
{
    return flipped ? n - 1 - i : i;
}

/* the element that lands at i came from i - shift */
static int64_t roll_position(int64_t i, int64_t n, int64_t shift)
{
    int64_t j = (i - shift) % n;
    return j < 0 ? j + n : j;
}

tg_tensor *tg_flip(tg_tensor *x, int n_axes, const int *axes)
{
    const char *fn = tg__op_flip.info.name;
    int ax[TG_MAX_DIMS];
    if (tg__check(fn, x, 1) < 0 || read_axes(fn, x, n_axes, axes, ax) < 0)
        return NULL;
    int64_t param[TG_MAX_DIMS] = {0};
    for (int k = 0; k < n_axes; k++)
        param[ax[k]] = 1;
    return walk(fn, &tg__op_flip, x, x->ndim, x->shape, param, flip_position);
}

tg_tensor *tg_roll(tg_tensor *x, int n_axes, const int64_t *shifts, const int *axes)
{
    const char *fn = tg__op_roll.info.name;
    int ax[TG_MAX_DIMS];
    if (tg__check(fn, x, 1) < 0)
        return NULL;
    if (!shifts)
        return tg__fail(TG_ENULL, "%s: argument 3 (shifts) is NULL", fn), NULL;
    int64_t param[TG_MAX_DIMS] = {0}, flat[1] = {x->numel};
    if (!axes && n_axes == 1) /* the flattened tensor, shape restored */
        return x->numel ? walk(fn, &tg__op_roll, x, 1, flat, shifts, roll_position)
                        : walk(fn, &tg__op_roll, x, x->ndim, x->shape, param, roll_position);
    if (read_axes(fn, x, n_axes, axes, ax) < 0)
        return NULL;
    for (int k = 0; k < n_axes; k++)
        param[ax[k]] = shifts[k];
    return walk(fn, &tg__op_roll, x, x->ndim, x->shape, param, roll_position);
}
