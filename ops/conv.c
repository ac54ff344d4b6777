/*
 * conv.c -- conv2d(x, weight, bias, opts) and conv1d: F.conv2d and F.conv1d,
 * NCHW, cross-correlation as in PyTorch.
 *
 *   forward   im2col + gemm over the whole batch: x's windows are unfolded
 *             into columns [C KH KW, N L] in the tape arena (rows (c, ki,
 *             kj), the batch's windows side by side), then one gemm per
 *             group, Y_g [OC/G, N L] = W_g [OC/G, C/G KH KW] @ cols_g, and
 *             y[n, oc, l] = Y[oc, n L + l] + bias[oc]. The columns stay on
 *             the tape for the backward rule.
 *   backward  a first-order sweep runs fused on the kept columns, with g
 *             laid out as G [OC, N L] like Y:
 *               dW_g = G_g @ cols_g^T          (one gemm over the batch)
 *               dx   = fold(W_g^T @ G_g)       (conv_transpose's core)
 *               db   = the row sums of G
 *             a recorded sweep composes ops, so every order works (the
 *             columns are made again, as a recorded unfold):
 *               dx = fold(W_g^T @ g_g), dW = sum_n g_g @ unfold(x)_g^T,
 *               db = sum of g over N and the spatial axes
 *   tangent   bilinear: conv(dx, W) + conv(x, dW) + db
 *
 * conv1d is conv2d of height 1 (conv.h): x [N,C,L] is read as [N,C,1,L],
 * weight [OC,C/G,K] as [OC,C/G,1,K].
 */
#include <limits.h>
#include <string.h>

#include "conv.h"
#include "gemm.h"
#include "jvp.h"

/* What a convolution's result keeps (tg_attr.params, in the tape arena):
 * its geometry and the forward's columns of x, [C KH KW, N L]. */
typedef struct {
    const tg_conv_geom *geom;
    const tg_tensor *cols;
} conv_saved;

/* The sides of one convolution's gemms. */
typedef struct {
    int64_t N, C, OC, G, L, NL; /* L windows per sample, NL in the batch */
    int64_t OCg, CgK;           /* a group's output channels, its column rows */
} conv_sides;

static conv_sides sides_of(const tg_conv_geom *g, const tg_tensor *x, const tg_tensor *w)
{
    conv_sides s = {.N = x->shape[0], .C = x->shape[1], .OC = w->shape[0], .G = g->groups};
    s.L = g->out[0] * g->out[1];
    s.NL = s.N * s.L;
    s.OCg = s.OC / s.G;
    s.CgK = s.C / s.G * g->kernel[0] * g->kernel[1];
    return s;
}

/* One pass over the rows of Y or G: t is y (scatter) or g (gather), vec
 * the bias or db (may be NULL). */
typedef struct {
    const conv_sides *s;
    tg_tensor *t, *vec;
    void *rows;
} row_job;

/* y[n, oc, l] = Y[oc, n L + l] + bias[oc] */
static void scatter_row(void *ctx, int64_t oc)
{
    const row_job *job = ctx;
    const conv_sides *s = job->s;
    TG_FOR_DTYPE(job->t->dtype, T, {
        T v = job->vec ? ((const T *)job->vec->data)[oc] : 0;
        for (int64_t n = 0; n < s->N; n++) {
            T *dst = (T *)job->t->data + (n * s->OC + oc) * s->L;
            const T *src = (const T *)job->rows + oc * s->NL + n * s->L;
            for (int64_t l = 0; l < s->L; l++)
                dst[l] = src[l] + v;
        }
    });
}

/* G[oc, n L + l] = g[n, oc, l], and db[oc] = the sum of that row, in 16
 * lanes so that the sum vectorizes */
static void gather_row(void *ctx, int64_t oc)
{
    const row_job *job = ctx;
    const conv_sides *s = job->s;
    TG_FOR_DTYPE(job->t->dtype, T, {
        T *row = (T *)job->rows + oc * s->NL, lanes[16] = {0};
        for (int64_t n = 0; n < s->N; n++)
            memcpy(row + n * s->L, (const T *)job->t->data + (n * s->OC + oc) * s->L,
                   (size_t)s->L * sizeof(T));
        int64_t l = 0;
        for (; job->vec && l + 16 <= s->NL; l += 16)
            for (int j = 0; j < 16; j++)
                lanes[j] += row[l + j];
        for (int j = 1; j < 16; j++)
            lanes[0] += lanes[j];
        for (; job->vec && l < s->NL; l++)
            lanes[0] += row[l];
        if (job->vec)
            ((T *)job->vec->data)[oc] = lanes[0];
    });
}

/* fn on every row oc, one row per thread at a time for a large t */
static void for_rows(void (*fn)(void *, int64_t), const row_job *job)
{
    int threads = job->t->numel < TG_PARALLEL_MIN ? 1 : tg_get_num_threads();
    tg__for_each(job->s->OC, threads, fn, (void *)job);
}

/* A [rows, cols] workspace in the tape arena, recorded nowhere */
static tg_tensor *workspace(const char *fn, const tg_tensor *like, int64_t rows, int64_t cols)
{
    return tg__tape_tensor(fn, (tg_dtype)like->dtype, 2, (int64_t[]){rows, cols});
}

/* The convolution by a kept geometry; the shapes are already checked. */
static tg_tensor *conv_geom(const tg_op *op, tg_tensor *x, tg_tensor *w, tg_tensor *b,
                            const tg_conv_geom *g)
{
    const char *fn = op->info.name;
    conv_sides s = sides_of(g, x, w);
    int64_t shape[4] = {s.N, s.OC, g->out[0], g->out[1]};
    if (g->spatial == 1)
        shape[2] = g->out[1];
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)x->dtype, 2 + g->spatial, shape);
    conv_saved *saved = y ? tg__tape_bytes(fn, sizeof *saved) : NULL;
    tg_tensor *cols = saved ? workspace(fn, x, s.G * s.CgK, s.NL) : NULL;
    tg_tensor *rows = cols ? workspace(fn, x, s.OC, s.NL) : NULL;
    if (!rows)
        return NULL;
    tg__unfold_kernel(g, x, TG_COLS_BATCHED, cols->data, cols->numel);
    size_t size = tg__dtype_size((tg_dtype)x->dtype);
    for (int64_t grp = 0; grp < s.G; grp++)
        tg__gemm((tg_dtype)x->dtype, false, false, s.OCg, s.NL, s.CgK,
             (const char *)w->data + grp * s.OCg * s.CgK * size, s.CgK,
             (const char *)cols->data + grp * s.CgK * s.NL * size, s.NL,
             (char *)rows->data + grp * s.OCg * s.NL * size, s.NL);
    for_rows(scatter_row, &(row_job){&s, y, b, rows->data});
    *saved = (conv_saved){g, cols};
    y->attr.params = saved;
    tg_tensor *in[3] = {x, w, b};
    return tg__record(y, op, b ? 3 : 2, in);
}

int tg__conv_transposed_kernel(const char *fn, const tg_conv_geom *geo, const tg_tensor *t,
                               const void *rows, const tg_tensor *w, tg_tensor *y)
{
    conv_sides s = sides_of(geo, y, w);
    tg_tensor *laid = rows ? NULL : workspace(fn, t, s.OC, s.NL);
    tg_tensor *dcols = rows || laid ? workspace(fn, t, s.G * s.CgK, s.NL) : NULL;
    if (!dcols)
        return tg__latest_code();
    if (laid)
        for_rows(gather_row, &(row_job){&s, (tg_tensor *)t, NULL, laid->data});
    const char *T_rows = rows ? rows : laid->data;
    tg_dtype dt = (tg_dtype)t->dtype;
    size_t size = tg__dtype_size(dt);
    for (int64_t grp = 0; grp < s.G; grp++)
        tg__gemm(dt, true, false, s.CgK, s.NL, s.OCg,
                 (const char *)w->data + grp * s.OCg * s.CgK * size, s.CgK,
                 T_rows + grp * s.OCg * s.NL * size, s.NL,
                 (char *)dcols->data + grp * s.CgK * s.NL * size, s.NL);
    tg__fold_kernel(geo, dcols->data, TG_COLS_BATCHED, y);
    return TG_OK;
}

tg_tensor *tg__conv2d_geom(tg_tensor *x, tg_tensor *w, tg_tensor *b, const tg_conv_geom *g)
{
    return conv_geom(&tg__op_conv2d, x, w, b, g);
}

/* t read as 4-d: [N, C, 1, L] for the 1-d op's tensors */
static tg_tensor *as_4d(tg_tensor *t)
{
    if (t->ndim == 4)
        return t;
    int64_t shape[4] = {t->shape[0], t->shape[1], 1, t->shape[2]};
    return tg_reshape(t, 4, shape);
}

static bool needs(const tg_tensor *t) { return (t->flags & TG_REQUIRES_GRAD) != 0; }

/* dx = fold(W_g^T @ g_g): g [N, G, OC/G, L], W [G, OC/G, C/G K] */
static tg_tensor *input_grad(const tg_conv_geom *geo, tg_tensor *x, tg_tensor *w, tg_tensor *gr)
{
    int64_t G = geo->groups, C = x->shape[1];
    int64_t wshape[3] = {G, w->shape[0] / G, w->numel / w->shape[0]};
    tg_tensor *dcols = tg_matmul_t(tg_reshape(w, 3, wshape), gr, true, false);
    int64_t cshape[3] = {x->shape[0], C * geo->kernel[0] * geo->kernel[1],
                         geo->out[0] * geo->out[1]};
    tg_tensor *dx = tg__fold_geom(tg_reshape(dcols, 3, cshape), C, geo);
    return dx ? tg_reshape(dx, x->ndim, x->shape) : NULL;
}

/* dW = sum over n of g_g @ cols_g^T */
tg_tensor *tg__conv_weight_grad(const tg_conv_geom *geo, tg_tensor *x, tg_tensor *w,
                                tg_tensor *grad)
{
    int64_t G = geo->groups, L = geo->out[0] * geo->out[1];
    int64_t gshape[4] = {grad->shape[0], G, grad->shape[1] / G, L};
    tg_tensor *cols = tg__unfold_geom(as_4d(x), geo);
    int64_t cshape[4] = {x->shape[0], G, w->numel / w->shape[0], L};
    tg_tensor *per_sample =
        tg_matmul_t(tg_reshape(grad, 4, gshape), tg_reshape(cols, 4, cshape), false, true);
    tg_tensor *dw = tg_sum_dims(per_sample, 1, (int[]){0}, false);
    return dw ? tg_reshape(dw, w->ndim, w->shape) : NULL;
}

/* The rule composed of ops, for recorded sweeps */
static int composed_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const tg_conv_geom *geo = ((const conv_saved *)out->attr.params)->geom;
    tg_tensor *x = out->in[0], *w = out->in[1], *b = out->n_inputs > 2 ? out->in[2] : NULL;
    int64_t G = geo->groups;
    int64_t gshape[4] = {out->shape[0], G, out->shape[1] / G, geo->out[0] * geo->out[1]};
    tg_tensor *gr = tg_reshape(g, 4, gshape);
    if (!gr)
        return tg__latest_code();
    if (needs(x) && !(grad_in[0] = input_grad(geo, x, w, gr)))
        return tg__latest_code();
    if (needs(w) && !(grad_in[1] = tg__conv_weight_grad(geo, x, w, g)))
        return tg__latest_code();
    int axes[3] = {0, 2, 3};
    if (b && needs(b) && !(grad_in[2] = tg_sum_dims(g, out->ndim - 1, axes, false)))
        return tg__latest_code();
    return TG_OK;
}

/* The fused rule on the forward's columns, g laid out as G [OC, N L]:
 * dW_g = G_g @ cols_g^T, dx = fold(W_g^T @ G_g), db = G's row sums */
static int fused_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const char *fn = out->op->info.name;
    const conv_saved *saved = out->attr.params;
    tg_tensor *x = out->in[0], *w = out->in[1], *b = out->n_inputs > 2 ? out->in[2] : NULL;
    conv_sides s = sides_of(saved->geom, x, w);
    tg_dtype dt = (tg_dtype)x->dtype;
    size_t size = tg__dtype_size(dt);
    tg_tensor *rows = workspace(fn, x, s.OC, s.NL);
    tg_tensor *db = rows && b && needs(b) ? tg__tape_tensor(fn, dt, 1, b->shape) : NULL;
    if (!rows || (b && needs(b) && !db))
        return tg__latest_code();
    for_rows(gather_row, &(row_job){&s, g, db, rows->data});
    if (db)
        grad_in[2] = db;
    const char *G_rows = rows->data, *cols = saved->cols->data;
    if (needs(w)) {
        if (!(grad_in[1] = tg__tape_tensor(fn, dt, w->ndim, w->shape)))
            return tg__latest_code();
        for (int64_t grp = 0; grp < s.G; grp++)
            tg__gemm(dt, false, true, s.OCg, s.CgK, s.NL, G_rows + grp * s.OCg * s.NL * size, s.NL,
                 cols + grp * s.CgK * s.NL * size, s.NL,
                 (char *)grad_in[1]->data + grp * s.OCg * s.CgK * size, s.CgK);
    }
    if (needs(x) && (!(grad_in[0] = tg__tape_tensor(fn, dt, x->ndim, x->shape)) ||
                     tg__conv_transposed_kernel(fn, saved->geom, g, rows->data, w, grad_in[0]) < 0))
        return tg__latest_code();
    return TG_OK;
}

static int conv_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    return tg__may_fuse() ? fused_backward(out, g, grad_in) : composed_backward(out, g, grad_in);
}

/* d conv(x, W) + db = conv(dx, W) + conv(x, dW) + db broadcast over N and
 * the spatial axes */
static int conv_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    const tg_conv_geom *geo = ((const conv_saved *)out->attr.params)->geom;
    tg_tensor *x = out->in[0], *w = out->in[1];
    tg_tensor *terms[3] = {NULL, NULL, NULL};
    if (tangent_in[0])
        terms[0] = conv_geom(out->op, tangent_in[0], w, NULL, geo);
    if (tangent_in[1])
        terms[1] = conv_geom(out->op, x, tangent_in[1], NULL, geo);
    if (out->n_inputs > 2 && tangent_in[2]) {
        int64_t shape[4] = {1, out->shape[1], 1, 1};
        terms[2] = tg_reshape(tangent_in[2], out->ndim, shape);
    }
    return tg__jvp_sum(out, out->n_inputs, tangent_in, terms, tangent_out);
}

/* [m,n] samples: conv1d depthwise over m channels, kernel n, padding 1;
 * conv2d of one [m,n] image by an [m,n] kernel, padding 1, stride (1, 2) */
static tg_tensor *sample_conv1d(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    int64_t m = tg_shape(in[0])[0], n = tg_shape(in[0])[1];
    tg_tensor *x = tg_reshape(in[0], 3, (int64_t[]){1, m, n});
    tg_tensor *w = tg_reshape(in[1], 3, (int64_t[]){m, 1, n});
    tg_tensor *b = tg_sum_axis(in[2], 1, false);
    return tg_conv1d(x, w, b, &(tg_conv_opts){.padding = {1}, .groups = m});
}

static tg_tensor *sample_conv2d(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    int64_t m = tg_shape(in[0])[0], n = tg_shape(in[0])[1];
    tg_tensor *x = tg_reshape(in[0], 4, (int64_t[]){1, 1, m, n});
    tg_tensor *w = tg_reshape(in[1], 4, (int64_t[]){1, 1, m, n});
    tg_tensor *b = tg_reshape(tg_sum(in[2]), 1, (int64_t[]){1});
    return tg_conv2d(x, w, b, &(tg_conv_opts){.stride = {1, 2}, .padding = {1, 1}});
}

const tg_op tg__op_conv1d = {
    .info = {TG_OP_CONV1D, "tg_conv1d", 3, TG_OP_FUSED,
             {sample_conv1d, 3, TG_SAMPLE_SAME, {TG_SAMPLE_ANY, TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = conv_backward,
    .jvp = conv_jvp,
};

const tg_op tg__op_conv2d = {
    .info = {TG_OP_CONV2D, "tg_conv2d", 3, TG_OP_FUSED,
             {sample_conv2d, 3, TG_SAMPLE_SAME, {TG_SAMPLE_ANY, TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = conv_backward,
    .jvp = conv_jvp,
};

static int shape_fail(const char *fn, const char *what, const tg_tensor *t, const char *form)
{
    char dims[96];
    return tg__fail(TG_ESHAPE, "%s: %s has shape %s; it must be %s", fn, what,
                    tg__dims_str(t->ndim, t->shape, dims, sizeof dims), form);
}

int tg__conv_check_args(const char *fn, const tg_tensor *x, const tg_tensor *w,
                        const tg_tensor *b, int ndim, const char *xform, const char *wform)
{
    int rc = tg__check(fn, x, 1);
    if (rc == 0)
        rc = tg__check(fn, w, 2);
    if (rc == 0 && b)
        rc = tg__check(fn, b, 3);
    if (rc == 0 && x->ndim != ndim)
        rc = shape_fail(fn, "input", x, xform);
    if (rc == 0 && w->ndim != ndim)
        rc = shape_fail(fn, "weight", w, wform);
    if (rc == 0)
        rc = tg__check_same_dtype(fn, x, w);
    if (rc == 0 && b)
        rc = tg__check_same_dtype(fn, x, b);
    return rc;
}

/* PyTorch's checks: the weight's input channels times groups are x's,
 * its output channels a multiple of groups, the bias one per output
 * channel. */
static int check_channels(const char *fn, const tg_tensor *x, const tg_tensor *w,
                          const tg_tensor *b, int64_t groups)
{
    char xd[96], wd[96];
    if (w->shape[1] * groups != x->shape[1] || w->shape[0] % groups)
        return tg__fail(TG_ESHAPE, "%s: given groups=%lld, weight of shape %s expects input "
                        "with %lld channels and output channels a multiple of %lld; input has "
                        "shape %s", fn, (long long)groups,
                        tg__dims_str(w->ndim, w->shape, wd, sizeof wd),
                        (long long)(w->shape[1] * groups), (long long)groups,
                        tg__dims_str(x->ndim, x->shape, xd, sizeof xd));
    if (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))
        return tg__fail(TG_ESHAPE, "%s: bias of shape %s; weight of shape %s needs [%lld]", fn,
                        tg__dims_str(b->ndim, b->shape, xd, sizeof xd),
                        tg__dims_str(w->ndim, w->shape, wd, sizeof wd), (long long)w->shape[0]);
    return TG_OK;
}

int tg__conv_check_blas(const char *fn, int64_t windows, const tg_tensor *w)
{
    int64_t CgK = w->numel / (w->shape[0] ? w->shape[0] : 1);
    if (windows <= INT_MAX && CgK <= INT_MAX && w->shape[0] <= INT_MAX)
        return TG_OK;
    return tg__fail(TG_ESHAPE, "%s: %lld windows of %lld elements exceed BLAS's int range", fn,
                    (long long)windows, (long long)CgK);
}

static tg_tensor *conv(const tg_op *op, int spatial, tg_tensor *x, tg_tensor *w, tg_tensor *b,
                       const tg_conv_opts *opts)
{
    const char *fn = op->info.name;
    const char *xform = spatial == 2 ? "[N,C,H,W]" : "[N,C,L]";
    const char *wform = spatial == 2 ? "[OC,C/groups,KH,KW]" : "[OC,C/groups,K]";
    int rc = tg__conv_check_args(fn, x, w, b, spatial + 2, xform, wform);
    tg_conv_geom g;
    if (rc == 0)
        rc = tg__conv_geom(fn, spatial, x->shape + 2, w->shape + 2, opts, true, true, &g);
    if (rc == 0)
        rc = check_channels(fn, x, w, b, g.groups);
    if (rc == 0)
        rc = tg__conv_check_blas(fn, x->shape[0] * g.out[0] * g.out[1], w);
    const tg_conv_geom *kept = rc == 0 ? tg__conv_geom_keep(fn, &g) : NULL;
    return kept ? conv_geom(op, x, w, b, kept) : NULL;
}

tg_tensor *tg_conv2d(tg_tensor *x, tg_tensor *weight, tg_tensor *bias, const tg_conv_opts *opts)
{
    return conv(&tg__op_conv2d, 2, x, weight, bias, opts);
}

tg_tensor *tg_conv1d(tg_tensor *x, tg_tensor *weight, tg_tensor *bias, const tg_conv_opts *opts)
{
    return conv(&tg__op_conv1d, 1, x, weight, bias, opts);
}
