/*
 * repeat.c -- repeat(x, reps) tiles x reps[d] times along each axis
 * (Tensor.repeat); tile(x, reps) is the same with fewer reps allowed, padded
 * with 1s in front (torch.tile).
 *
 *   forward   y[i_0, ..] = x[i_0 mod n_0, ..], with x's shape padded with
 *             leading 1s to reps' length; a copy through a map of source
 *             offsets (gather_map.h)
 *   backward  dx = the sum of g over every copy (index_add through the map,
 *             where each offset repeats)
 */
#include <string.h>

#include "gather_map.h"

TG_SAMPLE_FN(sample_repeat, tg_repeat(in[0], 3, (int64_t[]){2, 1, 2}))

const tg_op tg__op_repeat = {
    .info = {TG_OP_REPEAT, "tg_repeat", 1, TG_OP_HELPER_INPUT,
             {sample_repeat, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = tg__map_backward,
    .jvp = tg__map_jvp,
    .rerun = tg__map_rerun,
};

/* tg_repeat's work for it and tg_tile, n >= x's axes: errors name fn, the
 * function called. */
static tg_tensor *repeat_as(const char *fn, tg_tensor *x, int n, const int64_t *reps)
{
    int lead = n - x->ndim;
    int64_t size[TG_MAX_DIMS], stride[TG_MAX_DIMS], shape[TG_MAX_DIMS], *tables[TG_MAX_DIMS];
    int64_t s = 1;
    for (int d = n - 1; d >= 0; d--) {
        size[d] = d < lead ? 1 : x->shape[d - lead];
        stride[d] = s;
        s *= size[d];
        if (reps[d] < 0)
            return tg__fail(TG_EVALUE, "%s: repeat %lld for axis %d is negative", fn,
                            (long long)reps[d], d), NULL;
        shape[d] = size[d] * reps[d];
    }
    tg_tensor *map, *y = tg__map_new(fn, x, n, shape, &map);
    if (!y)
        return NULL;
    for (int d = 0; d < n; d++) {
        if (!(tables[d] = tg__map_table(fn, shape[d])))
            return NULL;
        for (int64_t i = 0; i < shape[d]; i++)
            tables[d][i] = (i % size[d]) * stride[d];
    }
    tg__map_fill_tables(map, n, shape, tables, 0);
    return tg__map_finish(&tg__op_repeat, y, x, 0, NULL, map, 0);
}

tg_tensor *tg_repeat(tg_tensor *x, int n, const int64_t *reps)
{
    const char *fn = tg__op_repeat.info.name;
    if (tg__check(fn, x, 1) < 0)
        return NULL;
    if (n < x->ndim || n > TG_MAX_DIMS || (n > 0 && !reps))
        return tg__fail(n > 0 && !reps ? TG_ENULL : TG_ESHAPE,
                        "%s: %d repeats for a %d-d tensor (it takes %d to %d)", fn, n, x->ndim,
                        x->ndim, TG_MAX_DIMS), NULL;
    return repeat_as(fn, x, n, reps);
}

tg_tensor *tg_tile(tg_tensor *x, int n, const int64_t *reps)
{
    const char *fn = "tg_tile";
    if (tg__check(fn, x, 1) < 0)
        return NULL;
    if (n < 0 || n > TG_MAX_DIMS || (n > 0 && !reps))
        return tg__fail(n > 0 && !reps ? TG_ENULL : TG_ESHAPE,
                        "%s: %d repeats (0 to %d fit)", fn, n, TG_MAX_DIMS), NULL;
    int64_t full[TG_MAX_DIMS];
    int lead = x->ndim > n ? x->ndim - n : 0;
    for (int d = 0; d < lead + n; d++)
        full[d] = d < lead ? 1 : reps[d - lead];
    return repeat_as(fn, x, lead + n, full);
}
