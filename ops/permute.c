/*
 * permute.c -- permute(x, axes): y's axis d is x's axis axes[d]; and the
 * functions that are permutations: swapaxes (torch.transpose(x, a, b)) and
 * movedim.
 *
 *   forward   a copy through a map of source offsets (gather_map.h): y is
 *             contiguous, as every op result is
 *   backward  dx = g placed back through the same map (index_add), which is
 *             permute(g, inverse axes)
 */
#include <string.h>

#include "gather_map.h"

TG_SAMPLE_FN(sample_permute, tg_permute(in[0], 2, (int[]){1, 0}))

const tg_op tg__op_permute = {
    .info = {TG_OP_PERMUTE, "tg_permute", 1, TG_OP_HELPER_INPUT,
             {sample_permute, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = tg__map_backward,
    .jvp = tg__map_jvp,
    .rerun = tg__map_rerun,
};

/* Normalises axes into perm and checks that it is a permutation of x's. */
static int check_perm(const char *fn, const tg_tensor *x, int n, const int *axes, int *perm)
{
    if (n != x->ndim) {
        char dims[96];
        return tg__fail(TG_EAXIS, "%s: %d axes given for shape %s of %d", fn, n,
                        tg__dims_str(x->ndim, x->shape, dims, sizeof dims), x->ndim);
    }
    if (n > 0 && !axes)
        return tg__fail(TG_ENULL, "%s: argument 3 (axes) is NULL", fn);
    bool seen[TG_MAX_DIMS] = {false};
    for (int d = 0; d < n; d++) {
        int rc = tg__normalize_axis(fn, x, axes[d], &perm[d]);
        if (rc < 0)
            return rc;
        if (seen[perm[d]])
            return tg__fail(TG_EAXIS, "%s: axis %d appears twice", fn, perm[d]);
        seen[perm[d]] = true;
    }
    return TG_OK;
}

tg_tensor *tg_permute(tg_tensor *x, int n, const int *axes)
{
    const char *fn = tg__op_permute.info.name;
    int perm[TG_MAX_DIMS];
    if (tg__check(fn, x, 1) < 0 || check_perm(fn, x, n, axes, perm) < 0)
        return NULL;
    int64_t shape[TG_MAX_DIMS], stride[TG_MAX_DIMS], *tables[TG_MAX_DIMS];
    tg__strides(x, stride);
    for (int d = 0; d < n; d++)
        shape[d] = x->shape[perm[d]];
    tg_tensor *map, *y = tg__map_new(fn, x, n, shape, &map);
    if (!y)
        return NULL;
    for (int d = 0; d < n; d++) {
        if (!(tables[d] = tg__map_table(fn, shape[d])))
            return NULL;
        for (int64_t i = 0; i < shape[d]; i++)
            tables[d][i] = i * stride[perm[d]];
    }
    tg__map_fill_tables(map, n, shape, tables, 0);
    return tg__map_finish(&tg__op_permute, y, x, 0, NULL, map, 0);
}

tg_tensor *tg_swapaxes(tg_tensor *x, int a, int b)
{
    const char *fn = "tg_swapaxes";
    int perm[TG_MAX_DIMS], pa, pb;
    if (tg__check(fn, x, 1) < 0 || tg__normalize_axis(fn, x, a, &pa) < 0 ||
        tg__normalize_axis(fn, x, b, &pb) < 0)
        return NULL;
    for (int d = 0; d < x->ndim; d++)
        perm[d] = d == pa ? pb : d == pb ? pa : d;
    return tg_permute(x, x->ndim, perm);
}

tg_tensor *tg_movedim(tg_tensor *x, int source, int destination)
{
    const char *fn = "tg_movedim";
    int perm[TG_MAX_DIMS], src, dst;
    if (tg__check(fn, x, 1) < 0 || tg__normalize_axis(fn, x, source, &src) < 0 ||
        tg__normalize_axis(fn, x, destination, &dst) < 0)
        return NULL;
    /* the other axes keep their order around the moved one */
    for (int d = 0, k = 0; d < x->ndim; d++) {
        if (d == dst) {
            perm[d] = src;
            continue;
        }
        k += k == src;
        perm[d] = k++;
    }
    return tg_permute(x, x->ndim, perm);
}
