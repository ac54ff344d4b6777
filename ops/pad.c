/*
 * pad.c -- pad(x, n, widths, mode, value), F.pad: widths holds (left,
 * right) pairs for the last axis, then the one before it, ...; n is even
 * and at most 2 ndim.
 *
 *   TG_PAD_CONSTANT   value outside x; negative widths crop (PyTorch)
 *   TG_PAD_REFLECT    mirrored without the edge: [a b c] -> b | a b c | b;
 *                     widths below the axis size
 *   TG_PAD_REPLICATE  the edge element repeated; the axis must not be empty
 *   TG_PAD_CIRCULAR   wrapped around; widths at most the axis size
 *
 *   forward   a copy through a map of source offsets (gather_map.h), the
 *             constant where the map reads nothing
 *   backward  dx = the sum of g over every place that read each element
 *             (index_add through the map): for constant padding the slice
 *             of g that x occupies, for the others also the mirrored,
 *             repeated or wrapped parts
 *
 * PyTorch takes the non-constant modes only for the last 1 to 3 axes of a
 * 2-d to 5-d input; here any axes and ranks are padded alike.
 */
#include <string.h>

#include "gather_map.h"

TG_SAMPLE_FN(sample_pad, tg_pad(in[0], 4, (int64_t[]){1, 1, 2, 0}, TG_PAD_REPLICATE, 0))

const tg_op tg__op_pad = {
    .info = {TG_OP_PAD, "tg_pad", 1, TG_OP_CONSTANT | TG_OP_HELPER_INPUT,
             {sample_pad, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = tg__map_backward,
    .jvp = tg__map_jvp,
    .rerun = tg__map_rerun,
};

static const char *const mode_names[] = {"constant", "reflect", "replicate", "circular"};

/* The source position of output position i of an axis of size n padded by
 * left: -1 for the constant. */
static int64_t source(int64_t i, int64_t n, int64_t left, tg_pad_mode mode)
{
    int64_t j = i - left;
    if (j >= 0 && j < n)
        return j;
    switch (mode) {
    case TG_PAD_REFLECT:
        return j < 0 ? -j : 2 * (n - 1) - j;
    case TG_PAD_REPLICATE:
        return j < 0 ? 0 : n - 1;
    case TG_PAD_CIRCULAR:
        return ((j % n) + n) % n;
    default:
        return -1;
    }
}

/* Whether widths left and right fit an axis of size n in mode. */
static bool widths_fit(int64_t left, int64_t right, int64_t n, tg_pad_mode mode)
{
    if (mode == TG_PAD_CONSTANT)
        return n + left + right >= 0;
    if (left < 0 || right < 0)
        return false;
    if (mode == TG_PAD_REFLECT)
        return (left < n && right < n) || (left == 0 && right == 0);
    if (mode == TG_PAD_REPLICATE)
        return n > 0 || (left == 0 && right == 0);
    return left <= n && right <= n;
}

static int check_widths(const char *fn, const tg_tensor *x, int n, const int64_t *widths,
                        tg_pad_mode mode, int64_t *left, int64_t *right)
{
    if ((unsigned)mode > TG_PAD_CIRCULAR)
        return tg__fail(TG_EVALUE, "%s: mode %d is none of constant, reflect, replicate, "
                        "circular", fn, (int)mode);
    if (n < 0 || n % 2 || n > 2 * x->ndim || (n > 0 && !widths))
        return tg__fail(n > 0 && !widths ? TG_ENULL : TG_EVALUE,
                        "%s: %d widths for a %d-d tensor (an even number up to %d)", fn, n,
                        x->ndim, 2 * x->ndim);
    for (int d = 0; d < x->ndim; d++) {
        int k = 2 * (x->ndim - 1 - d); /* the pairs start at the last axis */
        left[d] = k < n ? widths[k] : 0;
        right[d] = k < n ? widths[k + 1] : 0;
        if (!widths_fit(left[d], right[d], x->shape[d], mode))
            return tg__fail(TG_EVALUE, "%s: widths (%lld, %lld) do not fit axis %d of size "
                            "%lld in %s mode",
                            fn, (long long)left[d], (long long)right[d], d,
                            (long long)x->shape[d], mode_names[mode]);
    }
    return TG_OK;
}

tg_tensor *tg_pad(tg_tensor *x, int n, const int64_t *widths, tg_pad_mode mode, double value)
{
    const char *fn = tg__op_pad.info.name;
    int64_t left[TG_MAX_DIMS], right[TG_MAX_DIMS];
    if (tg__check(fn, x, 1) < 0 || check_widths(fn, x, n, widths, mode, left, right) < 0)
        return NULL;
    int64_t shape[TG_MAX_DIMS], stride[TG_MAX_DIMS], *tables[TG_MAX_DIMS];
    tg__strides(x, stride);
    for (int d = 0; d < x->ndim; d++)
        shape[d] = x->shape[d] + left[d] + right[d];
    tg_tensor *map, *y = tg__map_new(fn, x, x->ndim, shape, &map);
    if (!y)
        return NULL;
    for (int d = 0; d < x->ndim; d++) {
        if (!(tables[d] = tg__map_table(fn, shape[d])))
            return NULL;
        for (int64_t i = 0; i < shape[d]; i++) {
            int64_t j = source(i, x->shape[d], left[d], mode);
            tables[d][i] = j < 0 ? -1 : j * stride[d];
        }
    }
    tg__map_fill_tables(map, x->ndim, shape, tables, 0);
    y->attr.f = value;
    return tg__map_finish(&tg__op_pad, y, x, 0, NULL, map, value);
}
