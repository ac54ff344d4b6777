/*
 * conv.c -- conv2d(x, weight, bias, opts) and conv1d: F.conv2d and F.conv1d,
 * NCHW, cross-correlation as in PyTorch.
 *
 *   forward   im2col + gemm: x's windows are unfolded into a workspace of
 *             [C KH KW, L] per sample in the tape arena (none when the
 *             kernel is 1x1 with stride 1 and no padding: x is its own
 *             columns), then one gemm per sample and group,
 *             y[n, g] = W_g [OC/G, C/G KH KW] @ cols[n, g] [C/G KH KW, L],
 *             started from the bias
 *   backward  with ops, so every order works (the columns are recomputed):
 *               dx = fold(W_g^T @ g_g)             (conv_transpose's core)
 *               dW = sum_n g_g @ unfold(x)_g^T     (a correlation of x and g)
 *               db = sum of g over N and the spatial axes
 *   tangent   bilinear: conv(dx, W) + conv(x, dW) + db
 *
 * conv1d is conv2d of height 1 (conv.h): x [N,C,L] is read as [N,C,1,L],
 * weight [OC,C/G,K] as [OC,C/G,1,K].
 */
#include <cblas.h>
#include <limits.h>
#include <string.h>

#include "conv.h"
#include "jvp.h"

/* y[n] = bias (or 0) + W @ cols[n], group by group. */
static void conv_gemms(const tg_conv_geom *g, tg_tensor *y, const tg_tensor *w,
                       const tg_tensor *b, const void *cols, int64_t C)
{
    int64_t N = y->shape[0], OC = y->shape[1], L = g->out[0] * g->out[1];
    int64_t G = g->groups, OCg = OC / G, CgK = C / G * g->kernel[0] * g->kernel[1];
    TG_FOR_DTYPE(y->dtype, T, {
        T *out = y->data;
        const T *bias = b ? b->data : NULL, *wt = w->data, *col = cols;
        for (int64_t r = 0; r < N * OC; r++) {
            T v = bias ? bias[r % OC] : 0;
            for (int64_t l = 0; l < L; l++)
                out[r * L + l] = v;
        }
        for (int64_t n = 0; CgK && n < N; n++)
            for (int64_t grp = 0; grp < G; grp++) {
                T *c = out + (n * OC + grp * OCg) * L;
                const T *a = wt + grp * OCg * CgK, *bb = col + (n * C * g->kernel[0] * g->kernel[1] + grp * CgK) * L;
                if (sizeof(T) == sizeof(float))
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)OCg, (int)L,
                                (int)CgK, 1.0f, (const float *)a, (int)CgK, (const float *)bb,
                                (int)L, 1.0f, (float *)c, (int)L);
                else
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)OCg, (int)L,
                                (int)CgK, 1.0, (const double *)a, (int)CgK, (const double *)bb,
                                (int)L, 1.0, (double *)c, (int)L);
            }
    });
}

/* x is its own columns for a 1x1 kernel read at every place */
static bool pointwise(const tg_conv_geom *g)
{
    for (int a = 0; a < 2; a++)
        if (g->kernel[a] != 1 || g->stride[a] != 1 || g->pad_lo[a] || g->pad_hi[a])
            return false;
    return true;
}

/* The convolution by a kept geometry; the shapes are already checked. */
static tg_tensor *conv_geom(const tg_op *op, tg_tensor *x, tg_tensor *w, tg_tensor *b,
                            const tg_conv_geom *g)
{
    const char *fn = op->info.name;
    int64_t shape[4] = {x->shape[0], w->shape[0], g->out[0], g->out[1]};
    if (g->spatial == 1)
        shape[2] = g->out[1];
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)x->dtype, 2 + g->spatial, shape);
    if (!y)
        return NULL;
    y->attr.params = g;
    int64_t C = x->shape[1], n_cols = x->shape[0] * C * g->kernel[0] * g->kernel[1] *
                                      g->out[0] * g->out[1];
    const void *cols = x->data;
    if (!pointwise(g) && n_cols) {
        void *ws = tg__tape_bytes(fn, (size_t)n_cols * tg__dtype_size((tg_dtype)x->dtype));
        if (!ws)
            return NULL;
        tg__unfold_kernel(g, x, ws, n_cols);
        cols = ws;
    }
    conv_gemms(g, y, w, b, cols, C);
    tg_tensor *in[3] = {x, w, b};
    return tg__record(y, op, b ? 3 : 2, in);
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
static tg_tensor *weight_grad(const tg_conv_geom *geo, tg_tensor *x, tg_tensor *w, tg_tensor *gr)
{
    int64_t G = geo->groups, L = geo->out[0] * geo->out[1];
    tg_tensor *cols = tg__unfold_geom(as_4d(x), geo);
    int64_t cshape[4] = {x->shape[0], G, w->numel / w->shape[0], L};
    tg_tensor *per_sample = tg_matmul_t(gr, tg_reshape(cols, 4, cshape), false, true);
    tg_tensor *dw = tg_sum_dims(per_sample, 1, (int[]){0}, false);
    return dw ? tg_reshape(dw, w->ndim, w->shape) : NULL;
}

static int conv_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const tg_conv_geom *geo = out->attr.params;
    tg_tensor *x = out->in[0], *w = out->in[1], *b = out->n_inputs > 2 ? out->in[2] : NULL;
    int64_t G = geo->groups;
    int64_t gshape[4] = {out->shape[0], G, out->shape[1] / G, geo->out[0] * geo->out[1]};
    tg_tensor *gr = tg_reshape(g, 4, gshape);
    if (!gr)
        return tg__latest_code();
    if (needs(x) && !(grad_in[0] = input_grad(geo, x, w, gr)))
        return tg__latest_code();
    if (needs(w) && !(grad_in[1] = weight_grad(geo, x, w, gr)))
        return tg__latest_code();
    int axes[3] = {0, 2, 3};
    if (b && needs(b) && !(grad_in[2] = tg_sum_dims(g, out->ndim - 1, axes, false)))
        return tg__latest_code();
    return TG_OK;
}

/* d conv(x, W) + db = conv(dx, W) + conv(x, dW) + db broadcast over N and
 * the spatial axes */
static int conv_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    const tg_conv_geom *geo = out->attr.params;
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
    .info = {TG_OP_CONV1D, "tg_conv1d", 3, 0,
             {sample_conv1d, 3, TG_SAMPLE_SAME, {TG_SAMPLE_ANY, TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = conv_backward,
    .jvp = conv_jvp,
};

const tg_op tg__op_conv2d = {
    .info = {TG_OP_CONV2D, "tg_conv2d", 3, 0,
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

/* gemm takes int sides */
static int check_blas(const char *fn, const tg_conv_geom *g, const tg_tensor *w)
{
    int64_t L = g->out[0] * g->out[1], CgK = w->numel / (w->shape[0] ? w->shape[0] : 1);
    if (L <= INT_MAX && CgK <= INT_MAX && w->shape[0] <= INT_MAX)
        return TG_OK;
    return tg__fail(TG_ESHAPE, "%s: %lld windows of %lld elements exceed BLAS's int range", fn,
                    (long long)L, (long long)CgK);
}

static tg_tensor *conv(const tg_op *op, int spatial, tg_tensor *x, tg_tensor *w, tg_tensor *b,
                       const tg_conv_opts *opts)
{
    const char *fn = op->info.name;
    const char *xform = spatial == 2 ? "[N,C,H,W]" : "[N,C,L]";
    const char *wform = spatial == 2 ? "[OC,C/groups,KH,KW]" : "[OC,C/groups,K]";
    int ndim = spatial + 2, rc = tg__check(fn, x, 1);
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
    tg_conv_geom g;
    if (rc == 0)
        rc = tg__conv_geom(fn, spatial, x->shape + 2, w->shape + 2, opts, true, true, &g);
    if (rc == 0)
        rc = check_channels(fn, x, w, b, g.groups);
    if (rc == 0)
        rc = check_blas(fn, &g, w);
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
