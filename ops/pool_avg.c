/*
 * pool_avg.c -- avg_pool2d(x, kernel, opts), avg_pool1d and
 * adaptive_avg_pool2d(x, output_size): F.avg_pool2d, F.avg_pool1d and
 * F.adaptive_avg_pool2d, NCHW (NCL).
 *
 *   avg_pool  y[n, c, o] = (sum of window o's taps inside the input) / count,
 *             count its size clipped to the padded input (count_include_pad,
 *             PyTorch's default: padding counts as zeros; a ceil_mode window
 *             hanging past the padding does not count there) or the taps
 *             inside the input (exclude_pad)
 *             backward with ops: dx = fold(g / count spread over the taps),
 *             the adjoint of unfold's windows (conv.h), so every order works
 *   adaptive  out (i, j) is the mean of rows floor(i H / OH) ..
 *             ceil((i + 1) H / OH) - 1 and the same columns: separable, so
 *             y = A_H x A_W^T with A's rows the windows' 1/size; backward
 *             with ops: dx = A_H^T g A_W (two matmuls by constants)
 *   tangent   each is linear: the op of the tangent
 *
 * avg_pool1d is avg_pool2d of height 1 (pool.h).
 */
#include "jvp.h"
#include "pool.h"

/* Window o's divisor on axis a. */
static int64_t window_count(const tg_pool_taps *t, int a, int64_t o, bool exclude_pad)
{
    return exclude_pad ? t->hi[a][o] - t->lo[a][o] : t->padded[a][o];
}

/* The kernel for element type T, named by sfx: one [H, W] plane into its
 * [OH, OW] means. */
#define TG_AVG_POOL_KERNEL(T, sfx)                                                    \
    static void avg_pool_plane_##sfx(const tg_conv_geom *g, const tg_pool_taps *t,    \
                                     bool exclude_pad, const T *x, T *y)            \
    {                                                                              \
        int64_t W = g->in[1], OW = g->out[1];                                      \
        for (int64_t oh = 0; oh < g->out[0]; oh++) {                               \
            int64_t ih0 = oh * g->stride[0] - g->pad_lo[0];                        \
            int64_t rows = window_count(t, 0, oh, exclude_pad);                    \
            for (int64_t ow = 0; ow < OW; ow++) {                                  \
                int64_t corner = ih0 * W + ow * g->stride[1] - g->pad_lo[1];       \
                T sum = 0;                                                         \
                for (int64_t i = t->lo[0][oh]; i < t->hi[0][oh]; i++)              \
                    for (int64_t j = t->lo[1][ow]; j < t->hi[1][ow]; j++)          \
                        sum += x[corner + i * W + j];                              \
                y[oh * OW + ow] = sum / (T)(rows * window_count(t, 1, ow, exclude_pad)); \
            }                                                                      \
        }                                                                          \
    }

TG_AVG_POOL_KERNEL(float, f32)
TG_AVG_POOL_KERNEL(double, f64)

/* What an avg pool keeps beside its result: the windows and the divisor. */
typedef struct {
    tg_conv_geom geom;
    bool exclude_pad;
} avg_params;

/* What one plane of an avg pool reads and writes. */
typedef struct {
    const avg_params *ap;
    const tg_pool_taps *t;
    const tg_tensor *x;
    tg_tensor *y;
} avg_pool_job;

static void avg_pool_one_plane(void *ctx, int64_t p)
{
    const avg_pool_job *j = ctx;
    const tg_conv_geom *g = &j->ap->geom;
    int64_t plane = g->in[0] * g->in[1], out = g->out[0] * g->out[1];
    if (j->x->dtype == TG_F32)
        avg_pool_plane_f32(g, j->t, j->ap->exclude_pad, (const float *)j->x->data + p * plane,
                           (float *)j->y->data + p * out);
    else
        avg_pool_plane_f64(g, j->t, j->ap->exclude_pad, (const double *)j->x->data + p * plane,
                           (double *)j->y->data + p * out);
}

static void avg_pool_kernel(const avg_params *ap, const tg_pool_taps *t, const tg_tensor *x,
                            tg_tensor *y)
{
    avg_pool_job job = {ap, t, x, y};
    int threads = x->numel < TG_PARALLEL_MIN ? 1 : tg_get_num_threads();
    tg__for_each(y->numel / (ap->geom.out[0] * ap->geom.out[1]), threads, avg_pool_one_plane,
                 &job);
}

static int avg_pool_rerun(tg_tensor *out)
{
    const avg_params *ap = out->attr.params;
    tg_pool_taps taps;
    int rc = tg__pool_taps(out->op->info.name, &ap->geom, &taps);
    if (rc < 0)
        return rc;
    if (out->numel)
        avg_pool_kernel(ap, &taps, out->in[0], out);
    return TG_OK;
}

/* The pooling of x by kept parameters; the shapes are already checked. */
static tg_tensor *avg_pool_params(const tg_op *op, tg_tensor *x, const avg_params *ap)
{
    const char *fn = op->info.name;
    const tg_conv_geom *g = &ap->geom;
    tg_pool_taps taps;
    if (tg__pool_taps(fn, g, &taps) < 0)
        return NULL;
    int64_t shape[4] = {x->shape[0], x->shape[1], g->out[2 - g->spatial], g->out[1]};
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)x->dtype, g->spatial + 2, shape);
    if (!y)
        return NULL;
    y->attr.params = ap;
    if (y->numel)
        avg_pool_kernel(ap, &taps, x, y);
    return tg__record(y, op, 1, &x);
}

/* Each output place's divisor, [OH OW], a constant of dtype. */
static tg_tensor *divisors(const char *fn, const avg_params *ap, tg_dtype dtype)
{
    const tg_conv_geom *g = &ap->geom;
    tg_pool_taps t;
    int64_t n = g->out[0] * g->out[1];
    tg_tensor *count = tg__tape_tensor(fn, dtype, 1, &n);
    if (!count || tg__pool_taps(fn, g, &t) < 0)
        return NULL;
    for (int64_t o = 0; o < n; o++)
        tg__store(count, o, (double)(window_count(&t, 0, o / g->out[1], ap->exclude_pad) *
                                     window_count(&t, 1, o % g->out[1], ap->exclude_pad)));
    return count;
}

/* dx = fold(g / count repeated over the kernel's taps) */
static int avg_pool_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const avg_params *ap = out->attr.params;
    const tg_conv_geom *geo = &ap->geom;
    tg_tensor *x = out->in[0];
    int64_t N = x->shape[0], C = x->shape[1], K = geo->kernel[0] * geo->kernel[1];
    int64_t L = geo->out[0] * geo->out[1];
    tg_tensor *share = tg_div(tg_reshape(g, 4, (int64_t[]){N, C, 1, L}),
                              divisors(out->op->info.name, ap, (tg_dtype)g->dtype));
    tg_tensor *taps = tg_broadcast_to(share, 4, (int64_t[]){N, C, K, L});
    tg_tensor *cols = tg_reshape(taps, 3, (int64_t[]){N, C * K, L});
    tg_tensor *dx = cols ? tg__fold_geom(cols, C, geo) : NULL;
    grad_in[0] = tg_reshape(dx, x->ndim, x->shape);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

static int avg_pool_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_tensor *t = tangent_in[0];
    *tangent_out = t ? avg_pool_params(out->op, t, out->attr.params) : NULL;
    return !t || *tangent_out ? TG_OK : tg__latest_code();
}

static tg_tensor *avg_pool(const tg_op *op, int spatial, tg_tensor *x, const int64_t *kernel,
                           const tg_pool_opts *opts)
{
    const char *fn = op->info.name;
    avg_params ap;
    if (tg__pool_check_input(fn, x, spatial) < 0 ||
        tg__pool_geom(fn, spatial, x->shape + 2, kernel, opts, false, &ap.geom) < 0)
        return NULL;
    ap.exclude_pad = opts && opts->exclude_pad;
    avg_params *kept = tg__tape_bytes(fn, sizeof *kept);
    if (!kept)
        return NULL;
    *kept = ap;
    return avg_pool_params(op, x, kept);
}

tg_tensor *tg_avg_pool2d(tg_tensor *x, const int64_t kernel[2], const tg_pool_opts *opts)
{
    return avg_pool(&tg__op_avg_pool2d, 2, x, kernel, opts);
}

tg_tensor *tg_avg_pool1d(tg_tensor *x, int64_t kernel, const tg_pool_opts *opts)
{
    return avg_pool(&tg__op_avg_pool1d, 1, x, &kernel, opts);
}

/* ---- adaptive_avg_pool2d ---- */

/* PyTorch's adaptive window of output place o: [floor(o in / out),
 * ceil((o + 1) in / out)). */
static int64_t window_start(int64_t o, int64_t in, int64_t out) { return o * in / out; }
static int64_t window_end(int64_t o, int64_t in, int64_t out)
{
    return ((o + 1) * in + out - 1) / out;
}

#define TG_ADAPTIVE_KERNEL(T, sfx)                                                    \
    static void adaptive_plane_##sfx(const tg_conv_geom *g, const T *x, T *y)         \
    {                                                                              \
        int64_t H = g->in[0], W = g->in[1], OH = g->out[0], OW = g->out[1];        \
        for (int64_t oh = 0; oh < OH; oh++) {                                      \
            int64_t h0 = window_start(oh, H, OH), h1 = window_end(oh, H, OH);      \
            for (int64_t ow = 0; ow < OW; ow++) {                                  \
                int64_t w0 = window_start(ow, W, OW), w1 = window_end(ow, W, OW);  \
                T sum = 0;                                                         \
                for (int64_t i = h0; i < h1; i++)                                  \
                    for (int64_t j = w0; j < w1; j++)                              \
                        sum += x[i * W + j];                                       \
                y[oh * OW + ow] = sum / (T)((h1 - h0) * (w1 - w0));                \
            }                                                                      \
        }                                                                          \
    }

TG_ADAPTIVE_KERNEL(float, f32)
TG_ADAPTIVE_KERNEL(double, f64)

/* What one plane of an adaptive pool reads and writes. */
typedef struct {
    const tg_conv_geom *g;
    const tg_tensor *x;
    tg_tensor *y;
} adaptive_job;

static void adaptive_one_plane(void *ctx, int64_t p)
{
    const adaptive_job *j = ctx;
    int64_t plane = j->g->in[0] * j->g->in[1], out = j->g->out[0] * j->g->out[1];
    if (j->x->dtype == TG_F32)
        adaptive_plane_f32(j->g, (const float *)j->x->data + p * plane,
                           (float *)j->y->data + p * out);
    else
        adaptive_plane_f64(j->g, (const double *)j->x->data + p * plane,
                           (double *)j->y->data + p * out);
}

static void adaptive_kernel(const tg_conv_geom *g, const tg_tensor *x, tg_tensor *y)
{
    adaptive_job job = {g, x, y};
    int threads = x->numel < TG_PARALLEL_MIN ? 1 : tg_get_num_threads();
    tg__for_each(y->numel / (g->out[0] * g->out[1]), threads, adaptive_one_plane, &job);
}

static int adaptive_rerun(tg_tensor *out)
{
    adaptive_kernel(out->attr.params, out->in[0], out);
    return TG_OK;
}

/* The pooling of x by a kept geometry (only in and out are used). */
static tg_tensor *adaptive_geom(tg_tensor *x, const tg_conv_geom *g)
{
    const char *fn = tg__op_adaptive_avg_pool2d.info.name;
    int64_t shape[4] = {x->shape[0], x->shape[1], g->out[0], g->out[1]};
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)x->dtype, 4, shape);
    if (!y)
        return NULL;
    y->attr.params = g;
    adaptive_kernel(g, x, y);
    return tg__record(y, &tg__op_adaptive_avg_pool2d, 1, &x);
}

/* A [out, in] of axis a's windows, 1/size inside each (transposed: [in,
 * out]), a constant of dtype. */
static tg_tensor *window_matrix(const tg_conv_geom *g, int a, bool transposed, tg_dtype dtype)
{
    int64_t in = g->in[a], out = g->out[a];
    int64_t shape[2] = {transposed ? in : out, transposed ? out : in};
    tg_tensor *m = tg__tape_tensor("tg_adaptive_avg_pool2d", dtype, 2, shape);
    if (!m)
        return NULL;
    for (int64_t o = 0; o < out; o++) {
        int64_t s = window_start(o, in, out), e = window_end(o, in, out);
        for (int64_t i = 0; i < in; i++)
            tg__store(m, transposed ? i * out + o : o * in + i,
                      i >= s && i < e ? 1.0 / (double)(e - s) : 0.0);
    }
    return m;
}

static int adaptive_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const tg_conv_geom *geo = out->attr.params;
    tg_dtype dt = (tg_dtype)g->dtype;
    tg_tensor *rows = tg_matmul(window_matrix(geo, 0, true, dt), g);
    grad_in[0] = tg_matmul(rows, window_matrix(geo, 1, false, dt));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

TG_JVP_FN(adaptive_jvp, adaptive_geom(t, out->attr.params))

tg_tensor *tg_adaptive_avg_pool2d(tg_tensor *x, const int64_t output_size[2])
{
    const char *fn = tg__op_adaptive_avg_pool2d.info.name;
    if (tg__pool_check_input(fn, x, 2) < 0)
        return NULL;
    if (!output_size)
        return tg__fail(TG_ENULL, "%s: output_size is NULL", fn), NULL;
    tg_conv_geom g = {.spatial = 2, .groups = 1};
    for (int a = 0; a < 2; a++) {
        if (output_size[a] < 1)
            return tg__fail(TG_EVALUE, "%s: output size %lld on spatial axis %d must be "
                            "positive", fn, (long long)output_size[a], a), NULL;
        if (x->shape[2 + a] < 1)
            return tg__fail(TG_ESHAPE, "%s: input side %lld on spatial axis %d is empty", fn,
                            (long long)x->shape[2 + a], a), NULL;
        g.in[a] = x->shape[2 + a];
        g.out[a] = output_size[a];
    }
    const tg_conv_geom *kept = tg__conv_geom_keep(fn, &g);
    return kept ? adaptive_geom(x, kept) : NULL;
}

/* ---- rows ---- */

/* [m,n] as m channels of length n: windows of 2, stride 2, a border, the
 * last window hanging over (ceil_mode), padding not counted; as one [m,n]
 * image: 2x2 windows, stride 1, a border counted as zeros; adaptive to
 * [m + 1, n - 1] (overlapping and repeated windows) */
TG_SAMPLE_FN(sample_avg_pool1d,
             tg_avg_pool1d(tg_reshape(in[0], 3, (int64_t[]){1, tg_shape(in[0])[0],
                                                           tg_shape(in[0])[1]}),
                           2, &(tg_pool_opts){.padding = {1}, .ceil_mode = true,
                                              .exclude_pad = true}))
TG_SAMPLE_FN(sample_avg_pool2d,
             tg_avg_pool2d(tg_reshape(in[0], 4, (int64_t[]){1, 1, tg_shape(in[0])[0],
                                                           tg_shape(in[0])[1]}),
                           (int64_t[]){2, 2},
                           &(tg_pool_opts){.stride = {1, 1}, .padding = {1, 1}}))
TG_SAMPLE_FN(sample_adaptive_avg_pool2d,
             tg_adaptive_avg_pool2d(tg_reshape(in[0], 4, (int64_t[]){1, 1, tg_shape(in[0])[0],
                                                                    tg_shape(in[0])[1]}),
                                    (int64_t[]){tg_shape(in[0])[0] + 1,
                                                tg_shape(in[0])[1] - 1}))

const tg_op tg__op_avg_pool1d = {
    .info = {TG_OP_AVG_POOL1D, "tg_avg_pool1d", 1, 0,
             {sample_avg_pool1d, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = avg_pool_backward,
    .jvp = avg_pool_jvp,
    .rerun = avg_pool_rerun,
};

const tg_op tg__op_avg_pool2d = {
    .info = {TG_OP_AVG_POOL2D, "tg_avg_pool2d", 1, 0,
             {sample_avg_pool2d, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = avg_pool_backward,
    .jvp = avg_pool_jvp,
    .rerun = avg_pool_rerun,
};

const tg_op tg__op_adaptive_avg_pool2d = {
    .info = {TG_OP_ADAPTIVE_AVG_POOL2D, "tg_adaptive_avg_pool2d", 1, 0,
             {sample_adaptive_avg_pool2d, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = adaptive_backward,
    .jvp = adaptive_jvp,
    .rerun = adaptive_rerun,
};
