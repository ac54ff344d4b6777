/*
 * squeeze.c -- the reshape-like functions: squeeze, unsqueeze, flatten,
 * unflatten, and expand (broadcast_to with -1 for a kept size). Each only
 * computes a shape and calls tg_reshape (a view sharing x's data) or
 * tg_broadcast_to (a copy), so the results are recorded as those ops.
 */
#include <string.h>

#include "kernel.h"

/* x's shape without axis ax, or without every size-1 axis when ax < 0. */
static tg_tensor *drop_ones(tg_tensor *x, int ax)
{
    int64_t shape[TG_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < x->ndim; d++)
        if (x->shape[d] != 1 || (ax >= 0 && d != ax))
            shape[nd++] = x->shape[d];
    return tg_reshape(x, nd, shape);
}

tg_tensor *tg_squeeze(tg_tensor *x, int axis)
{
    int ax;
    if (tg__check("tg_squeeze", x, 1) < 0 || tg__normalize_axis("tg_squeeze", x, axis, &ax) < 0)
        return NULL;
    return drop_ones(x, ax);
}

tg_tensor *tg_squeeze_all(tg_tensor *x)
{
    return tg__check("tg_squeeze_all", x, 1) < 0 ? NULL : drop_ones(x, -1);
}

tg_tensor *tg_unsqueeze(tg_tensor *x, int axis)
{
    return tg__unsqueeze_as("tg_unsqueeze", x, axis);
}

tg_tensor *tg__unsqueeze_as(const char *fn, tg_tensor *x, int axis)
{
    if (tg__check(fn, x, 1) < 0)
        return NULL;
    int n = x->ndim + 1;
    if (n > TG_MAX_DIMS)
        return tg__fail(TG_ESHAPE, "%s: a %d-d tensor has no room for a new axis (%d at most)",
                        fn, x->ndim, TG_MAX_DIMS), NULL;
    if (axis < -n || axis >= n)
        return tg__fail(TG_EAXIS, "%s: axis %d out of range %d..%d for a new axis of a %d-d "
                        "tensor", fn, axis, -n, n - 1, x->ndim), NULL;
    int ax = axis < 0 ? axis + n : axis;
    int64_t shape[TG_MAX_DIMS];
    for (int d = 0, k = 0; d < n; d++)
        shape[d] = d == ax ? 1 : x->shape[k++];
    return tg_reshape(x, n, shape);
}

tg_tensor *tg_flatten(tg_tensor *x, int start, int end)
{
    const char *fn = "tg_flatten";
    if (tg__check(fn, x, 1) < 0)
        return NULL;
    if (x->ndim == 0)
        return tg_reshape(x, 1, (int64_t[]){1});
    int s, e;
    if (tg__normalize_axis(fn, x, start, &s) < 0 || tg__normalize_axis(fn, x, end, &e) < 0)
        return NULL;
    if (s > e)
        return tg__fail(TG_EAXIS, "%s: start axis %d comes after end axis %d", fn, s, e), NULL;
    int64_t shape[TG_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (d <= s || d > e)
            shape[nd++] = x->shape[d];
        else
            shape[nd - 1] *= x->shape[d];
    }
    return tg_reshape(x, nd, shape);
}

/* As tg_reshape's: one size may be -1 (inferred), the others are >= 0. */
static int check_unflatten_sizes(const char *fn, int n, const int64_t *sizes)
{
    int minus_ones = 0;
    bool ok = true;
    for (int k = 0; k < n; k++) {
        minus_ones += sizes[k] == -1;
        ok = ok && sizes[k] >= -1;
    }
    if (ok && minus_ones <= 1)
        return TG_OK;
    char dims[96];
    return tg__fail(TG_ESHAPE, "%s: bad sizes %s: one may be -1, the others must be >= 0", fn,
                    tg__dims_str(n, sizes, dims, sizeof dims));
}

tg_tensor *tg_unflatten(tg_tensor *x, int axis, int n, const int64_t *sizes)
{
    const char *fn = "tg_unflatten";
    int ax;
    if (tg__check(fn, x, 1) < 0 || tg__normalize_axis(fn, x, axis, &ax) < 0)
        return NULL;
    if (n < 1 || x->ndim - 1 + n > TG_MAX_DIMS || !sizes)
        return tg__fail(!sizes ? TG_ENULL : TG_ESHAPE,
                        "%s: %d sizes for axis %d of a %d-d tensor (1..%d fit)", fn, n, ax,
                        x->ndim, TG_MAX_DIMS - x->ndim + 1), NULL;
    if (check_unflatten_sizes(fn, n, sizes) < 0)
        return NULL;
    int64_t shape[TG_MAX_DIMS], given = 1;
    int nd = 0, infer = -1;
    for (int d = 0; d < x->ndim; d++) {
        if (d != ax) {
            shape[nd++] = x->shape[d];
            continue;
        }
        for (int k = 0; k < n; k++) {
            infer = sizes[k] == -1 ? nd : infer;
            given *= sizes[k] == -1 ? 1 : sizes[k];
            shape[nd++] = sizes[k];
        }
    }
    if (infer >= 0 && given > 0 && x->shape[ax] % given == 0)
        shape[infer] = x->shape[ax] / given;
    if (infer < 0 ? given != x->shape[ax] : given <= 0 || x->shape[ax] % given != 0) {
        char dims[96];
        return tg__fail(TG_ESHAPE, "%s: sizes %s do not multiply to axis %d's size %lld", fn,
                        tg__dims_str(n, sizes, dims, sizeof dims), ax,
                        (long long)x->shape[ax]), NULL;
    }
    return tg_reshape(x, nd, shape);
}

tg_tensor *tg_expand(tg_tensor *x, int ndim, const int64_t *shape)
{
    const char *fn = "tg_expand";
    if (tg__check(fn, x, 1) < 0)
        return NULL;
    if (ndim < x->ndim || ndim > TG_MAX_DIMS || (ndim > 0 && !shape))
        return tg__fail(!shape && ndim > 0 ? TG_ENULL : TG_ESHAPE,
                        "%s: %d sizes for a %d-d tensor (at least %d, at most %d)", fn, ndim,
                        x->ndim, x->ndim, TG_MAX_DIMS), NULL;
    int64_t resolved[TG_MAX_DIMS];
    for (int d = 0; d < ndim; d++) {
        int k = d - (ndim - x->ndim); /* x's axis aligned on the right, or < 0 */
        if (shape[d] == -1 && k < 0)
            return tg__fail(TG_ESHAPE, "%s: -1 at new leading axis %d has no size to keep", fn,
                            d), NULL;
        if (shape[d] < -1)
            return tg__fail(TG_ESHAPE, "%s: size %lld at axis %d (-1 keeps a size)", fn,
                            (long long)shape[d], d), NULL;
        resolved[d] = shape[d] == -1 ? x->shape[k] : shape[d];
    }
    return tg__broadcast_to_as(fn, x, ndim, resolved);
}
