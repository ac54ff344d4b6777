/*
 * conv.c -- conv2d(x, weight, bias, opts) and conv1d: F.conv2d and F.conv1d,
 * NCHW, cross-correlation as in PyTorch.
 *
 *   forward   im2col + gemm image by image: x[n]'s windows are unfolded
 *             into columns [C KH KW, L] (rows (c, ki, kj); all images' kept
 *             as [N, C KH KW, L] in the tape arena for the backward rule),
 *             then one gemm per group, y[n]_g [OC/G, L] = W_g [OC/G, C/G KH
 *             KW] @ cols[n]_g, written in place, + bias[oc]. An image's
 *             columns are still in cache when its gemm packs them, and y
 *             needs no reordering; the images are shared out over threads
 *             (with fewer images than threads, each gemm is split instead)
 *   backward  a first-order sweep runs fused on the kept columns, image by
 *             image (g[n] is already a gemm operand [OC, L]):
 *               dx[n] = fold(W_g^T @ g[n]_g)        (conv_transpose's core)
 *               dW    = sum_n g[n]_g @ cols[n]_g^T  (gemms accumulating into
 *                                                    a sum per thread)
 *               db    = the row sums of g
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
 * its geometry and the forward's columns of x, [N, C KH KW, L]. */
typedef struct {
    const tg_conv_geom *geom;
    const tg_tensor *cols;
} conv_saved;

/* The sides of one image's gemms. */
typedef struct {
    int64_t N, C, OC, G, L; /* L windows per image */
    int64_t OCg, CgK, CK;   /* a group's output channels and column rows; an image's rows */
    int64_t image;          /* an input image's elements, C H W */
    tg_dtype dtype;
    size_t size;            /* bytes per element */
} conv_sides;

static conv_sides sides_of(const tg_conv_geom *g, const tg_tensor *x, const tg_tensor *w)
{
    conv_sides s = {.N = x->shape[0], .C = x->shape[1], .OC = w->shape[0], .G = g->groups};
    s.L = g->out[0] * g->out[1];
    s.OCg = s.OC / s.G;
    s.CgK = s.C / s.G * g->kernel[0] * g->kernel[1];
    s.CK = s.G * s.CgK;
    s.image = s.C * g->in[0] * g->in[1];
    s.dtype = (tg_dtype)x->dtype;
    s.size = tg__dtype_size(s.dtype);
    return s;
}

/* Element i of an array of s's dtype at base. */
static char *at(const conv_sides *s, const void *base, int64_t i)
{
    return (char *)base + i * (int64_t)s->size;
}

/* How the per-image work runs: the images shared out over threads, each
 * image's gemms on its thread; or, with fewer images than threads, image
 * after image with every gemm split over the threads (split). */
typedef struct {
    int threads;
    bool split;
} conv_plan;

static conv_plan plan_of(const conv_sides *s)
{
    int threads = s->N * s->OC * s->L * s->CgK < TG_GEMM_SPLIT_MIN ? 1 : tg_get_num_threads();
    tg__note_gemm_threads(threads); /* a split plan's tg__gemm notes it again */
    if (threads > 1 && s->N < threads)
        return (conv_plan){1, true};
    return (conv_plan){threads, false};
}

/* c = op(a) op(b) (+ c when accumulate) on the plan's threads */
static void gemm(const conv_plan *p, const conv_sides *s, bool ta, bool tb, int64_t m, int64_t n,
                 int64_t k, const void *a, int64_t lda, const void *b, int64_t ldb, bool accumulate,
                 void *c, int64_t ldc)
{
    (p->split ? tg__gemm : tg__gemm_one)(s->dtype, ta, tb, m, n, k, a, lda, b, ldb, accumulate,
                                         c, ldc);
}

/* A workspace of n elements in the tape arena, recorded nowhere */
static tg_tensor *workspace(const char *fn, const conv_sides *s, int64_t n)
{
    return tg__tape_tensor(fn, s->dtype, 1, &n);
}

/* rows [OC, L] += bias[oc] along each row */
TG_HOT static void add_bias(const conv_sides *s, const tg_tensor *bias, void *rows)
{
    TG_FOR_DTYPE(s->dtype, T, {
        for (int64_t oc = 0; oc < s->OC; oc++) {
            T v = ((const T *)bias->data)[oc], *row = (T *)rows + oc * s->L;
            for (int64_t l = 0; l < s->L; l++)
                row[l] += v;
        }
    });
}

/* db[oc] += the sum of row oc of g [OC, L], in 16 lanes so that it
 * vectorizes */
TG_HOT static void add_row_sums(const conv_sides *s, const void *g, double *db)
{
    TG_FOR_DTYPE(s->dtype, T, {
        for (int64_t oc = 0; oc < s->OC; oc++) {
            const T *row = (const T *)g + oc * s->L;
            T lanes[16] = {0};
            int64_t l = 0;
            for (; l + 16 <= s->L; l += 16)
                for (int j = 0; j < 16; j++)
                    lanes[j] += row[l + j];
            for (; l < s->L; l++)
                lanes[0] += row[l];
            for (int j = 1; j < 16; j++)
                lanes[0] += lanes[j];
            db[oc] += (double)lanes[0];
        }
    });
}

/* What the forward and the rules need to work on one image n. */
typedef struct {
    const conv_sides *s;
    conv_plan plan;
    const tg_conv_geom *g;
    const tg_tensor *x, *w, *b; /* forward: the input; rules: g, the upstream gradient */
    tg_tensor *y;               /* forward: the output; rules: dx or NULL */
    void *cols;                 /* [N, CK, L]: the forward writes, the rules read */
    void *dcols;                /* rules, dx: [threads, CK, L] */
    void *dw;                   /* rules: [threads, OC, CgK], thread 0's is dW */
    double *db;                 /* rules: [threads, OC] */
} image_job;

/* y[n]_g = W_g @ cols[n]_g + bias, cols[n] the columns of x[n] */
static void forward_image(void *ctx, int thread, int64_t n)
{
    (void)thread;
    const image_job *j = ctx;
    const conv_sides *s = j->s;
    char *cols = at(s, j->cols, n * s->CK * s->L), *y = at(s, j->y->data, n * s->OC * s->L);
    tg__unfold_image(j->g, s->dtype, s->C, at(s, j->x->data, n * s->image), cols);
    for (int64_t grp = 0; grp < s->G; grp++)
        gemm(&j->plan, s, false, false, s->OCg, s->L, s->CgK,
             at(s, j->w->data, grp * s->OCg * s->CgK), s->CgK, at(s, cols, grp * s->CgK * s->L),
             s->L, false, at(s, y, grp * s->OCg * s->L), s->L);
    if (j->b)
        add_bias(s, j->b, y);
}

/* For g[n] [OC, L]: dx[n] = fold(W_g^T @ g[n]_g), and into the thread's
 * partial sums dW += g[n]_g @ cols[n]_g^T and db += g[n]'s row sums */
static void backward_image(void *ctx, int thread, int64_t n)
{
    const image_job *j = ctx;
    const conv_sides *s = j->s;
    const char *g = at(s, j->x->data, n * s->OC * s->L);
    if (j->y) {
        char *dcols = at(s, j->dcols, thread * s->CK * s->L);
        for (int64_t grp = 0; grp < s->G; grp++)
            gemm(&j->plan, s, true, false, s->CgK, s->L, s->OCg,
                 at(s, j->w->data, grp * s->OCg * s->CgK), s->CgK,
                 at(s, g, grp * s->OCg * s->L), s->L, false, at(s, dcols, grp * s->CgK * s->L),
                 s->L);
        tg__fold_image(j->g, s->dtype, s->C, dcols, at(s, j->y->data, n * s->image));
    }
    if (j->dw) {
        char *dw = at(s, j->dw, thread * s->OC * s->CgK);
        const char *cols = at(s, j->cols, n * s->CK * s->L);
        for (int64_t grp = 0; grp < s->G; grp++)
            gemm(&j->plan, s, false, true, s->OCg, s->CgK, s->L, at(s, g, grp * s->OCg * s->L),
                 s->L, at(s, cols, grp * s->CgK * s->L), s->L, true,
                 at(s, dw, grp * s->OCg * s->CgK), s->CgK);
    }
    if (j->db)
        add_row_sums(s, g, j->db + thread * s->OC);
}

/* y = the convolution of x by w (+ b), its columns written into cols */
static void forward_images(const conv_sides *s, const tg_conv_geom *g, const tg_tensor *x,
                           const tg_tensor *w, const tg_tensor *b, tg_tensor *y, void *cols)
{
    image_job job = {.s = s, .plan = plan_of(s), .g = g, .x = x, .w = w, .b = b, .y = y,
                     .cols = cols};
    tg__for_each_thread(s->N, job.plan.threads, forward_image, &job);
}

/* Into the saved columns too, which the fused rule reads. */
static int conv_rerun(tg_tensor *out)
{
    const conv_saved *saved = out->attr.params;
    tg_tensor *x = out->in[0], *w = out->in[1], *b = out->n_inputs > 2 ? out->in[2] : NULL;
    conv_sides s = sides_of(saved->geom, x, w);
    forward_images(&s, saved->geom, x, w, b, out, saved->cols->data);
    return TG_OK;
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
    tg_tensor *y = tg__tape_tensor(fn, s.dtype, 2 + g->spatial, shape);
    conv_saved *saved = y ? tg__tape_bytes(fn, sizeof *saved) : NULL;
    tg_tensor *cols = saved ? workspace(fn, &s, s.N * s.CK * s.L) : NULL;
    if (!cols)
        return NULL;
    forward_images(&s, g, x, w, b, y, cols->data);
    *saved = (conv_saved){g, cols};
    y->attr.params = saved;
    tg_tensor *in[3] = {x, w, b};
    return tg__record(y, op, b ? 3 : 2, in);
}

/* Runs the rules' image loop for job (dx when job->y, dW when dw, db when
 * db_out), with per-thread workspaces; then dW and db are the sums of the
 * threads' parts in thread order (one thread sums into dW itself). */
static int run_rules(const char *fn, image_job *job, tg_tensor *dw, tg_tensor *db_out)
{
    const conv_sides *s = job->s;
    int threads = job->plan.threads;
    int64_t wn = s->OC * s->CgK;
    tg_tensor *dcols = job->y ? workspace(fn, s, threads * s->CK * s->L) : NULL;
    tg_tensor *parts = dw && threads > 1 ? workspace(fn, s, threads * wn) : dw;
    double *db = db_out ? tg__tape_bytes(fn, (size_t)(threads * s->OC) * sizeof *db) : NULL;
    if ((job->y && !dcols) || (dw && !parts) || (db_out && !db))
        return tg__latest_code();
    job->dcols = dcols ? dcols->data : NULL;
    job->dw = parts ? parts->data : NULL;
    job->db = db;
    if (parts)
        memset(parts->data, 0, (size_t)parts->numel * s->size);
    if (db)
        memset(db, 0, (size_t)(threads * s->OC) * sizeof *db);
    tg__for_each_thread(s->N, threads, backward_image, job);
    TG_FOR_DTYPE(s->dtype, T, {
        const T *part = parts ? parts->data : NULL;
        for (int64_t i = 0; parts != dw && i < wn; i++) {
            T sum = part[i];
            for (int t = 1; t < threads; t++)
                sum += part[t * wn + i];
            ((T *)dw->data)[i] = sum;
        }
        for (int64_t oc = 0; db && oc < s->OC; oc++) {
            for (int t = 1; t < threads; t++)
                db[oc] += db[t * s->OC + oc];
            ((T *)db_out->data)[oc] = (T)db[oc];
        }
    });
    return TG_OK;
}

int tg__conv_transposed_kernel(const char *fn, const tg_conv_geom *geo, const tg_tensor *t,
                               const tg_tensor *w, tg_tensor *y)
{
    conv_sides s = sides_of(geo, y, w);
    image_job job = {.s = &s, .plan = plan_of(&s), .g = geo, .x = t, .w = w, .y = y};
    return run_rules(fn, &job, NULL, NULL);
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

/* The fused rule on the forward's columns, image by image:
 * dx[n] = fold(W_g^T @ g[n]_g), dW = sum_n g[n]_g @ cols[n]_g^T,
 * db = the sum of g's rows */
static int fused_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const char *fn = out->op->info.name;
    const conv_saved *saved = out->attr.params;
    tg_tensor *x = out->in[0], *w = out->in[1], *b = out->n_inputs > 2 ? out->in[2] : NULL;
    conv_sides s = sides_of(saved->geom, x, w);
    if ((needs(x) && !(grad_in[0] = tg__tape_tensor(fn, s.dtype, x->ndim, x->shape))) ||
        (needs(w) && !(grad_in[1] = tg__tape_tensor(fn, s.dtype, w->ndim, w->shape))) ||
        (b && needs(b) && !(grad_in[2] = tg__tape_tensor(fn, s.dtype, 1, b->shape))))
        return tg__latest_code();
    image_job job = {.s = &s, .plan = plan_of(&s), .g = saved->geom, .x = g, .w = w,
                     .y = needs(x) ? grad_in[0] : NULL, .cols = saved->cols->data};
    return run_rules(fn, &job, needs(w) ? grad_in[1] : NULL, b && needs(b) ? grad_in[2] : NULL);
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
    .rerun = conv_rerun,
};

const tg_op tg__op_conv2d = {
    .info = {TG_OP_CONV2D, "tg_conv2d", 3, TG_OP_FUSED,
             {sample_conv2d, 3, TG_SAMPLE_SAME, {TG_SAMPLE_ANY, TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = conv_backward,
    .jvp = conv_jvp,
    .rerun = conv_rerun,
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
        rc = tg__conv_check_blas(fn, g.out[0] * g.out[1], w);
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
