/*
 * unfold.c -- unfold(x, kernel, opts) and fold(cols, output_size, kernel,
 * opts): F.unfold (im2col) and F.fold (col2im), and the sliding-window
 * geometry they share with the convolutions and pools (conv.h).
 *
 *   unfold  x [N,C,H,W] -> cols [N, C KH KW, L]: row (c, ki, kj), column l
 *           the window at (oh, ow) = (l / OW, l % OW); cols holds
 *           x[n, c, oh sh - ph + ki dh, ow sw - pw + kj dw], 0 in the padding
 *   fold    the adjoint: each image element is the sum of the cols entries
 *           that unfold would have copied from it
 *
 * Both are linear and each is the other's backward (and its own tangent),
 * so every order of derivative works. unfold computes each column entry on
 * its own; fold adds each image plane's terms in one thread in a fixed
 * order; so results do not depend on the thread count.
 */
#include <stdio.h>
#include <string.h>

#include "conv.h"
#include "jvp.h"

static int64_t or_one(int64_t v) { return v ? v : 1; }

static int geom_fail(const char *fn, const char *what, int axis, long long v)
{
    return tg__fail(TG_EVALUE, "%s: %s %lld on spatial axis %d", fn, what, v, axis);
}

/* The sides of the window grid; a grid of no window is an error
 * (PyTorch: "output size is too small"). */
static int grid_sides(const char *fn, tg_conv_geom *g)
{
    for (int a = 0; a < 2; a++) {
        int64_t span = g->dilation[a] * (g->kernel[a] - 1) + 1;
        int64_t room = g->in[a] + g->pad_lo[a] + g->pad_hi[a];
        if (room < span)
            return tg__fail(TG_ESHAPE, "%s: a window of %lld (kernel %lld, dilation %lld) does "
                            "not fit a side of %lld padded to %lld on spatial axis %d", fn,
                            (long long)span, (long long)g->kernel[a], (long long)g->dilation[a],
                            (long long)g->in[a], (long long)room, a - (2 - g->spatial));
        g->out[a] = (room - span) / g->stride[a] + 1;
    }
    return TG_OK;
}

int tg__conv_geom(const char *fn, int spatial, const int64_t *in, const int64_t *kernel,
                  const tg_conv_opts *opts, bool allow_same, bool allow_groups, tg_conv_geom *g)
{
    static const tg_conv_opts defaults = {{0, 0}, {0, 0}, {0, 0}, 0, false};
    const tg_conv_opts *o = opts ? opts : &defaults;
    if (o->same && !allow_same)
        return tg__fail(TG_EVALUE, "%s: padding \"same\" is for convolutions", fn);
    if ((o->groups < 0 || o->groups > 1) && !allow_groups)
        return tg__fail(TG_EVALUE, "%s: groups %lld (there are none here)", fn,
                        (long long)o->groups);
    memset(g, 0, sizeof *g);
    g->spatial = spatial;
    g->groups = or_one(o->groups);
    /* a 1-d op is the 2-d one with height 1: its sizes sit on axis 1 */
    for (int a = 2 - spatial, k = 0; a < 2; a++, k++) {
        g->in[a] = in[k];
        g->kernel[a] = kernel[k];
        g->stride[a] = or_one(o->stride[k]);
        g->dilation[a] = or_one(o->dilation[k]);
        g->pad_lo[a] = g->pad_hi[a] = o->padding[k];
        if (kernel[k] < 1)
            return geom_fail(fn, "kernel size", k, (long long)kernel[k]);
        if (o->stride[k] < 0)
            return geom_fail(fn, "stride", k, (long long)o->stride[k]);
        if (o->dilation[k] < 0)
            return geom_fail(fn, "dilation", k, (long long)o->dilation[k]);
        if (o->padding[k] < 0)
            return geom_fail(fn, "padding", k, (long long)o->padding[k]);
        if (o->same && (o->padding[k] || g->stride[a] != 1))
            return tg__fail(TG_EVALUE, "%s: padding \"same\" needs stride 1 and no padding of "
                            "its own (stride %lld, padding %lld on spatial axis %d)", fn,
                            (long long)g->stride[a], (long long)o->padding[k], k);
        if (o->same) { /* PyTorch puts the odd zero after the image */
            int64_t total = g->dilation[a] * (kernel[k] - 1);
            g->pad_lo[a] = total / 2;
            g->pad_hi[a] = total - total / 2;
        }
    }
    if (spatial == 1) {
        g->in[0] = g->kernel[0] = g->stride[0] = g->dilation[0] = 1;
    }
    if (g->groups < 1)
        return tg__fail(TG_EVALUE, "%s: groups %lld must be positive", fn, (long long)o->groups);
    return grid_sides(fn, g);
}

const tg_conv_geom *tg__conv_geom_keep(const char *fn, const tg_conv_geom *g)
{
    tg_conv_geom *kept = tg__tape_bytes(fn, sizeof *kept);
    if (kept)
        *kept = *g;
    return kept;
}

/* The places ow of a window row whose column iw = ow s + off lies in
 * [0, W): [*lo, *hi) within [0, OW). */
static void valid_run(int64_t off, int64_t s, int64_t W, int64_t OW, int64_t *lo, int64_t *hi)
{
    *lo = off >= 0 ? 0 : (-off + s - 1) / s;
    *hi = W - off <= 0 ? 0 : (W - off + s - 1) / s;
    *hi = *hi < OW ? *hi : OW;
    *lo = *lo < *hi ? *lo : *hi;
}

/* The two kernels for element type T, named by sfx, for the columns
 * [N, C KH KW, L] of a batch of N x C planes: row (n C + c) K + kk reads
 * plane n C + c at tap kk = ki KW + kj. A range [lo, hi) of cols' elements
 * may start and end inside a row. fold scatters plane by plane: each image
 * plane is summed by one thread in a fixed order. */
#define TG_UNFOLD_KERNELS(T, sfx)                                                     \
    static void unfold_range_##sfx(const tg_conv_geom *g, const T *x, T *cols, int64_t lo, \
                                   int64_t hi)                                     \
    {                                                                              \
        int64_t KW = g->kernel[1], K = g->kernel[0] * KW, s = g->stride[1];       \
        int64_t OW = g->out[1], L = g->out[0] * OW, H = g->in[0], W = g->in[1];    \
        for (int64_t row = lo / L; row * L < hi; row++) {                          \
            int64_t kk = row % K, ki = kk / KW;                                    \
            int64_t off = kk % KW * g->dilation[1] - g->pad_lo[1], ow_lo, ow_hi;   \
            valid_run(off, s, W, OW, &ow_lo, &ow_hi);                              \
            const T *plane = x + row / K * H * W;                                  \
            T *dst = cols + row * L;                                               \
            int64_t l = lo > row * L ? lo - row * L : 0;                           \
            int64_t l_end = hi - row * L < L ? hi - row * L : L;                   \
            while (l < l_end) {                                                    \
                int64_t oh = l / OW, base = oh * OW;                               \
                int64_t end = base + OW < l_end ? base + OW : l_end;               \
                int64_t ih = oh * g->stride[0] - g->pad_lo[0] + ki * g->dilation[0]; \
                int64_t a = base + ow_lo, b = base + ow_hi;                        \
                if (ih < 0 || ih >= H)                                             \
                    a = b = end;                                                   \
                const T *src = a < b ? plane + ih * W + off : plane;               \
                for (; l < end && l < a; l++)                                      \
                    dst[l] = 0;                                                    \
                if (s == 1)                                                        \
                    for (; l < end && l < b; l++)                                  \
                        dst[l] = src[l - base];                                    \
                for (; l < end && l < b; l++)                                      \
                    dst[l] = src[(l - base) * s];                                  \
                for (; l < end; l++)                                               \
                    dst[l] = 0;                                                    \
            }                                                                      \
        }                                                                          \
    }                                                                              \
    static void fold_planes_##sfx(const tg_conv_geom *g, const T *cols, T *y, int64_t lo,  \
                                  int64_t hi)                                      \
    {                                                                              \
        int64_t KH = g->kernel[0], KW = g->kernel[1], s = g->stride[1];            \
        int64_t OW = g->out[1], L = g->out[0] * OW, H = g->in[0], W = g->in[1];    \
        for (int64_t p = lo; p < hi; p++) {                                        \
            T *dst = y + p * H * W;                                                \
            for (int64_t i = 0; i < H * W; i++)                                    \
                dst[i] = 0;                                                        \
            for (int64_t kk = 0; kk < KH * KW; kk++) {                             \
                const T *row = cols + (p * KH * KW + kk) * L;                      \
                int64_t off = kk % KW * g->dilation[1] - g->pad_lo[1], ow_lo, ow_hi; \
                valid_run(off, s, W, OW, &ow_lo, &ow_hi);                          \
                for (int64_t oh = 0; oh < g->out[0]; oh++) {                       \
                    int64_t ih = oh * g->stride[0] - g->pad_lo[0] + kk / KW * g->dilation[0]; \
                    if (ih < 0 || ih >= H)                                         \
                        continue;                                                  \
                    const T *r = row + oh * OW;                                    \
                    for (int64_t ow = ow_lo; ow < ow_hi; ow++)                     \
                        dst[ih * W + off + ow * s] += r[ow];                       \
                }                                                                  \
            }                                                                      \
        }                                                                          \
    }

TG_UNFOLD_KERNELS(float, f32)
TG_UNFOLD_KERNELS(double, f64)

void tg__unfold_kernel(const tg_conv_geom *g, const tg_tensor *x, void *cols, int64_t n)
{
    if (x->dtype == TG_F32)
        TG_PARALLEL_RANGES(n, lo, hi, unfold_range_f32(g, x->data, cols, lo, hi););
    else
        TG_PARALLEL_RANGES(n, lo, hi, unfold_range_f64(g, x->data, cols, lo, hi););
}

void tg__unfold_image(const tg_conv_geom *g, tg_dtype dtype, int64_t C, const void *x,
                      void *cols)
{
    int64_t n = C * g->kernel[0] * g->kernel[1] * g->out[0] * g->out[1];
    if (dtype == TG_F32)
        unfold_range_f32(g, x, cols, 0, n);
    else
        unfold_range_f64(g, x, cols, 0, n);
}

void tg__fold_image(const tg_conv_geom *g, tg_dtype dtype, int64_t C, const void *cols, void *y)
{
    if (dtype == TG_F32)
        fold_planes_f32(g, cols, y, 0, C);
    else
        fold_planes_f64(g, cols, y, 0, C);
}

/* What one plane of a fold reads and writes. */
typedef struct {
    const tg_conv_geom *g;
    const void *cols;
    tg_tensor *y;
} fold_job;

static void fold_one_plane(void *ctx, int64_t p)
{
    const fold_job *j = ctx;
    if (j->y->dtype == TG_F32)
        fold_planes_f32(j->g, j->cols, j->y->data, p, p + 1);
    else
        fold_planes_f64(j->g, j->cols, j->y->data, p, p + 1);
}

/* One image plane per iteration; threads only for images of
 * TG_PARALLEL_MIN elements or more, like the elementwise ops. */
void tg__fold_kernel(const tg_conv_geom *g, const void *cols, tg_tensor *y)
{
    int64_t planes = y->numel ? y->numel / (g->in[0] * g->in[1]) : 0;
    int threads = y->numel < TG_PARALLEL_MIN ? 1 : tg_get_num_threads();
    fold_job job = {g, cols, y};
    tg__for_each(planes, threads, fold_one_plane, &job);
}

/* The geometry kept on the tape (attr.params) walks the new values. */
static int unfold_rerun(tg_tensor *out)
{
    tg__unfold_kernel(out->attr.params, out->in[0], out->data, out->numel);
    return TG_OK;
}

static int fold_rerun(tg_tensor *out)
{
    tg__fold_kernel(out->attr.params, out->in[0]->data, out);
    return TG_OK;
}

static int unfold_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg__fold_geom(g, out->in[0]->shape[1], out->attr.params);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

static int fold_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg__unfold_geom(g, out->attr.params);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

TG_JVP_FN(unfold_jvp, tg__unfold_geom(t, out->attr.params))
TG_JVP_FN(fold_jvp, tg__fold_geom(t, out->shape[1], out->attr.params))

/* [m,n] as one image of one channel, windows of 1 x 2 with a border */
TG_SAMPLE_FN(sample_unfold,
             tg_unfold(tg_reshape(in[0], 4, (int64_t[]){1, 1, tg_shape(in[0])[0],
                                                        tg_shape(in[0])[1]}),
                       (int64_t[]){1, 2}, &(tg_conv_opts){.padding = {0, 1}}))
/* [m,n] transposed: n rows (windows of 1 x n) by m places, which overlap */
static tg_tensor *sample_fold(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    int64_t m = tg_shape(in[0])[0], n = tg_shape(in[0])[1];
    tg_tensor *cols = tg_reshape(tg_transpose(in[0]), 3, (int64_t[]){1, n, m});
    return tg_fold(cols, (int64_t[]){1, m + n - 1}, (int64_t[]){1, n}, NULL);
}

const tg_op tg__op_unfold = {
    .info = {TG_OP_UNFOLD, "tg_unfold", 1, 0, {sample_unfold, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = unfold_backward,
    .jvp = unfold_jvp,
    .rerun = unfold_rerun,
};

const tg_op tg__op_fold = {
    .info = {TG_OP_FOLD, "tg_fold", 1, 0, {sample_fold, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = fold_backward,
    .jvp = fold_jvp,
    .rerun = fold_rerun,
};

tg_tensor *tg__unfold_geom(tg_tensor *x, const tg_conv_geom *g)
{
    const char *fn = tg__op_unfold.info.name;
    int64_t C = x->shape[1], K = g->kernel[0] * g->kernel[1];
    int64_t shape[3] = {x->shape[0], C * K, g->out[0] * g->out[1]};
    tg_tensor *cols = tg__tape_tensor(fn, (tg_dtype)x->dtype, 3, shape);
    if (!cols)
        return NULL;
    cols->attr.params = g;
    tg__unfold_kernel(g, x, cols->data, cols->numel);
    return tg__record(cols, &tg__op_unfold, 1, &x);
}

tg_tensor *tg__fold_geom(tg_tensor *cols, int64_t channels, const tg_conv_geom *g)
{
    const char *fn = tg__op_fold.info.name;
    int64_t shape[4] = {cols->shape[0], channels, g->in[0], g->in[1]};
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)cols->dtype, 4, shape);
    if (!y)
        return NULL;
    y->attr.params = g;
    tg__fold_kernel(g, cols->data, y);
    return tg__record(y, &tg__op_fold, 1, &cols);
}

static int check_ndim(const char *fn, const tg_tensor *t, int argno, int ndim, const char *form)
{
    int rc = tg__check(fn, t, argno);
    if (rc < 0 || t->ndim == ndim)
        return rc;
    char dims[96];
    return tg__fail(TG_ESHAPE, "%s: argument %d has shape %s; it must be %s", fn, argno,
                    tg__dims_str(t->ndim, t->shape, dims, sizeof dims), form);
}

tg_tensor *tg_unfold(tg_tensor *x, const int64_t kernel[2], const tg_conv_opts *opts)
{
    const char *fn = tg__op_unfold.info.name;
    tg_conv_geom g;
    if (check_ndim(fn, x, 1, 4, "[N,C,H,W]") < 0)
        return NULL;
    if (!kernel)
        return tg__fail(TG_ENULL, "%s: kernel is NULL", fn), NULL;
    if (tg__conv_geom(fn, 2, x->shape + 2, kernel, opts, false, false, &g) < 0)
        return NULL;
    const tg_conv_geom *kept = tg__conv_geom_keep(fn, &g);
    return kept ? tg__unfold_geom(x, kept) : NULL;
}

tg_tensor *tg_fold(tg_tensor *cols, const int64_t output_size[2], const int64_t kernel[2],
                   const tg_conv_opts *opts)
{
    const char *fn = tg__op_fold.info.name;
    tg_conv_geom g;
    if (check_ndim(fn, cols, 1, 3, "[N, C KH KW, L]") < 0)
        return NULL;
    if (!kernel || !output_size)
        return tg__fail(TG_ENULL, "%s: %s is NULL", fn, kernel ? "output_size" : "kernel"),
               NULL;
    if (output_size[0] < 0 || output_size[1] < 0)
        return tg__fail(TG_EVALUE, "%s: output_size [%lld,%lld] is negative", fn,
                        (long long)output_size[0], (long long)output_size[1]),
               NULL;
    if (tg__conv_geom(fn, 2, output_size, kernel, opts, false, false, &g) < 0)
        return NULL;
    int64_t K = g.kernel[0] * g.kernel[1], L = g.out[0] * g.out[1];
    if (cols->shape[1] % K || cols->shape[2] != L) {
        char dims[96];
        return tg__fail(TG_ESHAPE, "%s: cols of shape %s do not fit windows of %lldx%lld over "
                        "%lldx%lld (%lld windows; rows a multiple of %lld)", fn,
                        tg__dims_str(cols->ndim, cols->shape, dims, sizeof dims),
                        (long long)g.kernel[0], (long long)g.kernel[1], (long long)g.out[0],
                        (long long)g.out[1], (long long)L, (long long)K),
               NULL;
    }
    const tg_conv_geom *kept = tg__conv_geom_keep(fn, &g);
    return kept ? tg__fold_geom(cols, cols->shape[1] / K, kept) : NULL;
}
