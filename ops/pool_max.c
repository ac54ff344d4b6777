/*
 * pool_max.c -- max_pool2d(x, kernel, opts) and max_pool1d: F.max_pool2d and
 * F.max_pool1d, NCHW (NCL), with stride, padding, dilation and ceil_mode.
 *
 *   forward   y[n, c, o] = the largest x[n, c, i] over window o's taps
 *             inside the input (padding counts as -inf, so it never wins),
 *             walked row-major; a strictly larger value replaces the best,
 *             so the FIRST maximum wins a tie (PyTorch's choice), and a NaN
 *             wins over numbers (the first NaN). Its position in the plane,
 *             i_h W + i_w, is saved in a constant f64 tensor of y's shape
 *             recorded as a second input (the gathers' whole-number index)
 *   backward  with ops, so every order works: g is scattered to the saved
 *             positions, dx = scatter_add(0, plane axis, pos, g) over x read
 *             as [N, C, H W]; overlapping windows that pick one element add.
 *             A first-order sweep does the same in one fused pass
 *             (TG_OP_FUSED)
 *   tangent   gather(dx, plane axis, pos): the tangent of each window's
 *             chosen element
 *
 * max_pool1d is max_pool2d of height 1 (pool.h).
 */
#include <string.h>

#include "jvp.h"
#include "pool.h"

/* The kernel for element type T, named by sfx: one [H, W] plane into its
 * [OH, OW] outputs and their positions. */
#define TG_MAX_POOL_KERNEL(T, sfx)                                                    \
    static void max_pool_plane_##sfx(const tg_conv_geom *g, const tg_pool_taps *t,    \
                                     const T *x, T *y, double *pos)                 \
    {                                                                              \
        int64_t W = g->in[1], OW = g->out[1], dh = g->dilation[0], dw = g->dilation[1]; \
        for (int64_t oh = 0; oh < g->out[0]; oh++) {                               \
            int64_t ih0 = oh * g->stride[0] - g->pad_lo[0];                        \
            for (int64_t ow = 0; ow < OW; ow++) {                                  \
                int64_t corner = ih0 * W + ow * g->stride[1] - g->pad_lo[1];      \
                int64_t best = corner + t->lo[0][oh] * dh * W + t->lo[1][ow] * dw; \
                T bv = x[best];                                                    \
                for (int64_t i = t->lo[0][oh]; i < t->hi[0][oh]; i++) {            \
                    int64_t row = corner + i * dh * W;                             \
                    for (int64_t j = t->lo[1][ow]; j < t->hi[1][ow]; j++) {        \
                        T v = x[row + j * dw];                                     \
                        int take = (v > bv) | ((v != v) & (bv == bv));             \
                        bv = take ? v : bv; /* selects, not branches: random data */ \
                        best = take ? row + j * dw : best; /* mispredicts half */  \
                    }                                                              \
                }                                                                  \
                y[oh * OW + ow] = bv;                                              \
                pos[oh * OW + ow] = (double)best;                                  \
            }                                                                      \
        }                                                                          \
    }

TG_MAX_POOL_KERNEL(float, f32)
TG_MAX_POOL_KERNEL(double, f64)

/* The same for the commonest pool, 2x2 windows at stride 2 wholly inside
 * the plane, written for the vectorizer: per output row, one branch-free
 * pass picks each window's tap (0, 1, W or W + 1, the first maximum, a NaN
 * over numbers) with selects, a second writes the positions. The generic
 * kernel spent 14% of a Fashion-MNIST CNN step (bench_cnn) there. */
#define TG_MAX_POOL_2X2_KERNEL(T, I, sfx)                                             \
    static void max_pool_2x2_##sfx(const tg_conv_geom *g, const T *x, T *y, double *pos)  \
    {                                                                              \
        enum { CHUNK = 256 }; /* outputs whose taps wait on the stack */          \
        int64_t W = g->in[1], OW = g->out[1];                                      \
        I tap[CHUNK];                                                              \
        for (int64_t oh = 0; oh < g->out[0]; oh++)                                 \
        for (int64_t c0 = 0; c0 < OW; c0 += CHUNK) {                               \
            int64_t n = OW - c0 < CHUNK ? OW - c0 : CHUNK;                         \
            const T *r0 = x + 2 * oh * W + 2 * c0, *r1 = r0 + W;                  \
            T *out = y + oh * OW + c0;                                             \
            for (int64_t ow = 0; ow < n; ow++) {                                   \
                T v1 = r0[2 * ow + 1], v2 = r1[2 * ow], v3 = r1[2 * ow + 1];       \
                T m = r0[2 * ow];                                                  \
                I k = 0;                                                           \
                bool t = v1 > m || (v1 != v1 && m == m);                           \
                m = t ? v1 : m;                                                    \
                k = t ? 1 : k;                                                     \
                t = v2 > m || (v2 != v2 && m == m);                                \
                m = t ? v2 : m;                                                    \
                k = t ? 2 : k;                                                     \
                t = v3 > m || (v3 != v3 && m == m);                                \
                out[ow] = t ? v3 : m;                                              \
                tap[ow] = t ? 3 : k;                                               \
            }                                                                      \
            for (int64_t ow = 0; ow < n; ow++)                                     \
                pos[oh * OW + c0 + ow] = (double)((2 * oh + (tap[ow] >> 1)) * W +  \
                                                  2 * (c0 + ow) + (tap[ow] & 1));  \
        }                                                                          \
    }

TG_MAX_POOL_2X2_KERNEL(float, int32_t, f32)
TG_MAX_POOL_2X2_KERNEL(double, int64_t, f64)

/* 2x2 windows, stride 2, no padding or dilation: every window inside */
static bool plain_2x2(const tg_conv_geom *g)
{
    return g->kernel[0] == 2 && g->kernel[1] == 2 && g->stride[0] == 2 && g->stride[1] == 2 &&
           g->dilation[0] == 1 && g->dilation[1] == 1 && g->pad_lo[0] == 0 && g->pad_lo[1] == 0 &&
           2 * g->out[0] <= g->in[0] && 2 * g->out[1] <= g->in[1];
}

/* What one plane of a max pool reads and writes. */
typedef struct {
    const tg_conv_geom *g;
    const tg_pool_taps *t;
    const tg_tensor *x;
    tg_tensor *y;
    double *pos;
    bool plain_2x2; /* the geometry of max_pool_2x2's kernel */
} max_pool_job;

static void max_pool_one_plane(void *ctx, int64_t p)
{
    const max_pool_job *j = ctx;
    int64_t plane = j->g->in[0] * j->g->in[1], out = j->g->out[0] * j->g->out[1];
    bool f32 = j->x->dtype == TG_F32;
    if (j->plain_2x2 && f32)
        max_pool_2x2_f32(j->g, (const float *)j->x->data + p * plane,
                         (float *)j->y->data + p * out, j->pos + p * out);
    else if (j->plain_2x2)
        max_pool_2x2_f64(j->g, (const double *)j->x->data + p * plane,
                         (double *)j->y->data + p * out, j->pos + p * out);
    else if (f32)
        max_pool_plane_f32(j->g, j->t, (const float *)j->x->data + p * plane,
                           (float *)j->y->data + p * out, j->pos + p * out);
    else
        max_pool_plane_f64(j->g, j->t, (const double *)j->x->data + p * plane,
                           (double *)j->y->data + p * out, j->pos + p * out);
}

/* One plane per iteration; threads only for images of TG_PARALLEL_MIN
 * elements or more, like the elementwise ops. */
static void max_pool_kernel(const tg_conv_geom *g, const tg_pool_taps *t, const tg_tensor *x,
                            tg_tensor *y, tg_tensor *pos)
{
    max_pool_job job = {g, t, x, y, pos->data, plain_2x2(g)};
    int threads = x->numel < TG_PARALLEL_MIN ? 1 : tg_get_num_threads();
    tg__for_each(y->numel / (g->out[0] * g->out[1]), threads, max_pool_one_plane, &job);
}

/* The taps again (tape scratch) from the kept geometry; the positions into
 * the second input, which the rules read. */
static int max_pool_rerun(tg_tensor *out)
{
    tg_pool_taps taps;
    int rc = tg__pool_taps(out->op->info.name, out->attr.params, &taps);
    if (rc < 0)
        return rc;
    if (out->numel)
        max_pool_kernel(out->attr.params, &taps, out->in[0], out, out->in[1]);
    return TG_OK;
}

/* t of x's or out's shape read as [N, C, its plane] */
static tg_tensor *as_planes(tg_tensor *t, const tg_tensor *like, int64_t plane)
{
    int64_t shape[3] = {like->shape[0], like->shape[1], plane};
    return tg_reshape(t, 3, shape);
}

/* The rule with ops, for recorded sweeps */
static int composed_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const tg_conv_geom *geo = out->attr.params;
    tg_tensor *x = out->in[0];
    int64_t plane = geo->in[0] * geo->in[1], places = geo->out[0] * geo->out[1];
    tg_tensor *zero = as_planes(tg__zeros_like(x), x, plane);
    tg_tensor *dx = tg_scatter_add(zero, 2, as_planes(out->in[1], out, places),
                                   as_planes(g, out, places));
    grad_in[0] = tg_reshape(dx, x->ndim, x->shape);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* One plane of the fused rule: dx's plane zeroed, then g added at the
 * saved positions, in output order (the positions are the forward's own,
 * so the scatter_add's index checks are skipped). */
typedef struct {
    int64_t plane, places;
    const tg_tensor *g;
    const double *pos;
    tg_tensor *dx;
} scatter_job;

static void scatter_one_plane(void *ctx, int64_t p)
{
    const scatter_job *j = ctx;
    const double *pos = j->pos + p * j->places;
    TG_FOR_DTYPE(j->dx->dtype, T, {
        T *dx = (T *)j->dx->data + p * j->plane;
        const T *g = (const T *)j->g->data + p * j->places;
        memset(dx, 0, (size_t)j->plane * sizeof *dx);
        for (int64_t o = 0; o < j->places; o++)
            dx[(int64_t)pos[o]] += g[o];
    });
}

/* The first-order rule in one pass over dx; planes run on threads for
 * images of TG_PARALLEL_MIN elements or more, like the forward. */
static int fused_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const tg_conv_geom *geo = out->attr.params;
    tg_tensor *x = out->in[0];
    tg_tensor *dx = tg__tape_tensor(out->op->info.name, (tg_dtype)x->dtype, x->ndim, x->shape);
    if (!dx)
        return tg__latest_code();
    scatter_job job = {geo->in[0] * geo->in[1], geo->out[0] * geo->out[1], g,
                       out->in[1]->data, dx};
    int threads = x->numel < TG_PARALLEL_MIN ? 1 : tg_get_num_threads();
    tg__for_each(job.plane ? x->numel / job.plane : 0, threads, scatter_one_plane, &job);
    grad_in[0] = dx;
    return TG_OK;
}

static int max_pool_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    /* the fused kernel reads g in x's dtype */
    bool fuse = tg__may_fuse() && g->dtype == out->in[0]->dtype;
    return fuse ? fused_backward(out, g, grad_in) : composed_backward(out, g, grad_in);
}

static tg_tensor *chosen(tg_tensor *t, const tg_tensor *out)
{
    const tg_conv_geom *geo = out->attr.params;
    int64_t places = geo->out[0] * geo->out[1];
    tg_tensor *picked = tg_gather(as_planes(t, t, geo->in[0] * geo->in[1]), 2,
                                  as_planes(out->in[1], out, places));
    return tg_reshape(picked, out->ndim, out->shape);
}

TG_JVP_FN(max_pool_jvp, chosen(t, out))

/* [m,n] as m channels of length n, windows of 2 with a border; as one
 * [m,n] image, 2x2 windows with a border */
TG_SAMPLE_FN(sample_max_pool1d,
             tg_max_pool1d(tg_reshape(in[0], 3, (int64_t[]){1, tg_shape(in[0])[0],
                                                           tg_shape(in[0])[1]}),
                           2, &(tg_pool_opts){.stride = {1}, .padding = {1}}))
TG_SAMPLE_FN(sample_max_pool2d,
             tg_max_pool2d(tg_reshape(in[0], 4, (int64_t[]){1, 1, tg_shape(in[0])[0],
                                                           tg_shape(in[0])[1]}),
                           (int64_t[]){2, 2},
                           &(tg_pool_opts){.stride = {1, 1}, .padding = {1, 1}}))

const tg_op tg__op_max_pool1d = {
    .info = {TG_OP_MAX_POOL1D, "tg_max_pool1d", 1, TG_OP_HELPER_INPUT | TG_OP_FUSED,
             {sample_max_pool1d, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}, .distinct = true}},
    .backward = max_pool_backward,
    .jvp = max_pool_jvp,
    .rerun = max_pool_rerun,
};

const tg_op tg__op_max_pool2d = {
    .info = {TG_OP_MAX_POOL2D, "tg_max_pool2d", 1, TG_OP_HELPER_INPUT | TG_OP_FUSED,
             {sample_max_pool2d, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}, .distinct = true}},
    .backward = max_pool_backward,
    .jvp = max_pool_jvp,
    .rerun = max_pool_rerun,
};

static tg_tensor *max_pool(const tg_op *op, int spatial, tg_tensor *x, const int64_t *kernel,
                           const tg_pool_opts *opts)
{
    const char *fn = op->info.name;
    tg_conv_geom g;
    tg_pool_taps taps;
    if (tg__pool_check_input(fn, x, spatial) < 0 ||
        tg__pool_geom(fn, spatial, x->shape + 2, kernel, opts, true, &g) < 0 ||
        tg__pool_taps(fn, &g, &taps) < 0)
        return NULL;
    const tg_conv_geom *kept = tg__conv_geom_keep(fn, &g);
    int64_t shape[4] = {x->shape[0], x->shape[1], g.out[2 - spatial], g.out[1]};
    tg_tensor *y = kept ? tg__tape_tensor(fn, (tg_dtype)x->dtype, spatial + 2, shape) : NULL;
    tg_tensor *pos = y ? tg__tape_tensor(fn, TG_F64, spatial + 2, shape) : NULL;
    if (!pos)
        return NULL;
    y->attr.params = kept;
    if (y->numel)
        max_pool_kernel(kept, &taps, x, y, pos);
    tg_tensor *in[2] = {x, pos};
    return tg__record(y, op, 2, in);
}

tg_tensor *tg_max_pool2d(tg_tensor *x, const int64_t kernel[2], const tg_pool_opts *opts)
{
    return max_pool(&tg__op_max_pool2d, 2, x, kernel, opts);
}

tg_tensor *tg_max_pool1d(tg_tensor *x, int64_t kernel, const tg_pool_opts *opts)
{
    return max_pool(&tg__op_max_pool1d, 1, x, &kernel, opts);
}
