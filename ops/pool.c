/*
 * pool.c -- the window geometry of the pooling ops (pool.h): PyTorch's
 * checks and output sides, ceil_mode, and each output place's taps inside
 * the input. The ops themselves are in pool_max.c and pool_avg.c.
 */
#include "pool.h"

/* ceil_mode: the side rounded up, less one if the last window would start
 * past the input and its left padding (PyTorch's pooling_output_shape);
 * pad_hi grows to hold the last window, so that fold and unfold (conv.h)
 * see the same grid. */
static void ceil_side(tg_conv_geom *g, int a)
{
    int64_t s = g->stride[a], p = g->pad_lo[a];
    int64_t span = g->dilation[a] * (g->kernel[a] - 1) + 1;
    int64_t out = (g->in[a] + 2 * p - span + s - 1) / s + 1;
    if ((out - 1) * s >= g->in[a] + p)
        out--;
    int64_t need = (out - 1) * s + span - g->in[a] - p;
    g->out[a] = out;
    g->pad_hi[a] = need > p ? need : p;
}

/* With ceil_mode PyTorch takes a window longer than the padded side when
 * rounding up still gives one (a deficit below the stride): the side that
 * tg__conv_geom is shown, at least the window's span, for sizes it would
 * accept; ceil_side then puts the real side back in the grid. */
static int64_t ceil_fit(int64_t in, int64_t kernel, const tg_conv_opts *co, int k)
{
    int64_t s = co->stride[k], p = co->padding[k], d = co->dilation[k] ? co->dilation[k] : 1;
    if (kernel < 1 || s < 1 || p < 0 || d < 1)
        return in;
    int64_t deficit = d * (kernel - 1) + 1 - (in + 2 * p);
    return deficit > 0 && deficit < s ? in + deficit : in;
}

int tg__pool_geom(const char *fn, int spatial, const int64_t *in, const int64_t *kernel,
                  const tg_pool_opts *opts, bool dilation_ok, tg_conv_geom *g)
{
    static const tg_pool_opts defaults;
    const tg_pool_opts *o = opts ? opts : &defaults;
    tg_conv_opts co = {{0, 0}, {0, 0}, {0, 0}, 0, false};
    if (!kernel)
        return tg__fail(TG_ENULL, "%s: kernel is NULL", fn);
    for (int k = 0; k < spatial; k++) {
        co.stride[k] = o->stride[k] ? o->stride[k] : kernel[k];
        co.padding[k] = o->padding[k];
        co.dilation[k] = o->dilation[k];
        if (!dilation_ok && o->dilation[k] > 1)
            return tg__fail(TG_EVALUE, "%s: dilation %lld on spatial axis %d; average pooling "
                            "has none", fn, (long long)o->dilation[k], k);
    }
    int64_t fit[2] = {0, 0};
    for (int k = 0; k < spatial; k++)
        fit[k] = o->ceil_mode ? ceil_fit(in[k], kernel[k], &co, k) : in[k];
    int rc = tg__conv_geom(fn, spatial, fit, kernel, &co, false, false, g);
    for (int k = 0; k < spatial; k++)
        g->in[2 - spatial + k] = in[k];
    for (int k = 0; rc == 0 && k < spatial; k++)
        if (o->padding[k] > kernel[k] / 2)
            rc = tg__fail(TG_EVALUE, "%s: padding %lld on spatial axis %d is more than half "
                          "the kernel size %lld", fn, (long long)o->padding[k], k,
                          (long long)kernel[k]);
    for (int a = 2 - spatial; rc == 0 && o->ceil_mode && a < 2; a++)
        ceil_side(g, a);
    return rc;
}

/* The first j >= 0 with start + j d >= bound, for start < bound. */
static int64_t first_tap_at(int64_t start, int64_t bound, int64_t d)
{
    return start >= bound ? 0 : (bound - start + d - 1) / d;
}

/* Axis a's taps, or an error for a window of nothing but padding (with
 * dilation, PyTorch's kernel would read outside the input there). */
static int axis_taps(const char *fn, const tg_conv_geom *g, int a, tg_pool_taps *t)
{
    int64_t k = g->kernel[a], d = g->dilation[a], in = g->in[a], p = g->pad_lo[a];
    for (int64_t o = 0; o < g->out[a]; o++) {
        int64_t start = o * g->stride[a] - p;
        int64_t lo = first_tap_at(start, 0, d), hi = first_tap_at(start, in, d);
        int64_t padded = first_tap_at(start, in + p, d) - first_tap_at(start, -p, d);
        t->lo[a][o] = lo < k ? lo : k;
        t->hi[a][o] = hi < k ? hi : k;
        t->padded[a][o] = padded < k ? padded : k;
        if (t->lo[a][o] >= t->hi[a][o])
            return tg__fail(TG_EVALUE, "%s: window %lld on spatial axis %d holds only padding",
                            fn, (long long)o, a - (2 - g->spatial));
    }
    return TG_OK;
}

int tg__pool_taps(const char *fn, const tg_conv_geom *g, tg_pool_taps *t)
{
    int64_t n = g->out[0] + g->out[1];
    int64_t *all = tg__tape_bytes(fn, (size_t)(3 * n) * sizeof *all);
    if (!all)
        return tg__latest_code();
    for (int a = 0; a < 2; a++) {
        t->lo[a] = all;
        t->hi[a] = all + g->out[a];
        t->padded[a] = all + 2 * g->out[a];
        all += 3 * g->out[a];
    }
    int rc = axis_taps(fn, g, 0, t);
    return rc == 0 ? axis_taps(fn, g, 1, t) : rc;
}

tg_tensor *tg__pool_as_4d(tg_tensor *x)
{
    if (!x || tg_ndim(x) != 3)
        return x;
    int64_t shape[4] = {x->shape[0], x->shape[1], 1, x->shape[2]};
    return tg_reshape(x, 4, shape);
}

int tg__pool_check_input(const char *fn, const tg_tensor *x, int spatial)
{
    int rc = tg__check(fn, x, 1);
    if (rc < 0 || x->ndim == spatial + 2)
        return rc;
    char dims[96];
    return tg__fail(TG_ESHAPE, "%s: input has shape %s; it must be %s", fn,
                    tg__dims_str(x->ndim, x->shape, dims, sizeof dims),
                    spatial == 2 ? "[N,C,H,W]" : "[N,C,L]");
}
