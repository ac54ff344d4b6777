/*
 * conv_transpose.c -- conv_transpose2d(x, weight, bias, opts):
 * F.conv_transpose2d, NCHW, the adjoint of conv2d in its input.
 *
 * opts as conv2d's (same refused); output_padding (H, W), NULL for zeros.
 *
 *   geometry  that of the conv2d it transposes: a conv2d of the output's
 *             sides H' = (H - 1) s - 2 p + d (KH - 1) + output_padding + 1
 *             by the same kernel, stride, padding, dilation and groups has
 *             a window grid of x's sides H x W (output_padding only widens
 *             the image that the windows leave uncovered)
 *   forward   y = fold(W_g^T @ x_g) + b: conv2d's input-gradient kernel,
 *             image by image
 *   backward  with ops, so every order works:
 *               dx = conv2d(g, W)                  (its adjoint)
 *               dW = sum_n x_g @ unfold(g)_g^T     (conv2d's weight gradient
 *                                                   with x and g swapped)
 *               db = sum of g over N, H' and W'
 *   tangent   bilinear: T(dx, W) + T(x, dW) + db
 */
#include "conv.h"
#include "jvp.h"

static bool needs(const tg_tensor *t) { return (t->flags & TG_REQUIRES_GRAD) != 0; }

/* y = fold(W_g^T @ x_g) + b, by the kept geometry g; scratch from the
 * tape arena. */
static int transpose_kernel(const char *fn, const tg_conv_geom *g, const tg_tensor *x,
                            const tg_tensor *w, const tg_tensor *b, tg_tensor *y)
{
    int rc = tg__conv_transposed_kernel(fn, g, x, w, y);
    if (rc < 0)
        return rc;
    int64_t plane = g->in[0] * g->in[1], OC = y->shape[1];
    TG_FOR_DTYPE(y->dtype, T, {
        T *out = y->data;
        const T *bias = b ? b->data : NULL;
        for (int64_t p = 0; bias && p < y->shape[0] * OC; p++)
            for (int64_t i = 0; i < plane; i++)
                out[p * plane + i] += bias[p % OC];
    });
    return TG_OK;
}

static int transpose_rerun(tg_tensor *out)
{
    return transpose_kernel(out->op->info.name, out->attr.params, out->in[0], out->in[1],
                            out->n_inputs > 2 ? out->in[2] : NULL, out);
}

/* The transposed convolution by a kept geometry; shapes already checked. */
static tg_tensor *transpose_geom(tg_tensor *x, tg_tensor *w, tg_tensor *b, const tg_conv_geom *g)
{
    const char *fn = tg__op_conv_transpose2d.info.name;
    int64_t shape[4] = {x->shape[0], w->shape[1] * g->groups, g->in[0], g->in[1]};
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)x->dtype, 4, shape);
    if (!y || transpose_kernel(fn, g, x, w, b, y) < 0)
        return NULL;
    y->attr.params = g;
    tg_tensor *in[3] = {x, w, b};
    return tg__record(y, &tg__op_conv_transpose2d, b ? 3 : 2, in);
}

static int transpose_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const tg_conv_geom *geo = out->attr.params;
    tg_tensor *x = out->in[0], *w = out->in[1], *b = out->n_inputs > 2 ? out->in[2] : NULL;
    if (needs(x) && !(grad_in[0] = tg__conv2d_geom(g, w, NULL, geo)))
        return tg__latest_code();
    if (needs(w) && !(grad_in[1] = tg__conv_weight_grad(geo, g, w, x)))
        return tg__latest_code();
    int axes[3] = {0, 2, 3};
    if (b && needs(b) && !(grad_in[2] = tg_sum_dims(g, 3, axes, false)))
        return tg__latest_code();
    return TG_OK;
}

static int transpose_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    const tg_conv_geom *geo = out->attr.params;
    tg_tensor *x = out->in[0], *w = out->in[1];
    tg_tensor *terms[3] = {NULL, NULL, NULL};
    if (tangent_in[0])
        terms[0] = transpose_geom(tangent_in[0], w, NULL, geo);
    if (tangent_in[1])
        terms[1] = transpose_geom(x, tangent_in[1], NULL, geo);
    if (out->n_inputs > 2 && tangent_in[2])
        terms[2] = tg_reshape(tangent_in[2], 4, (int64_t[]){1, out->shape[1], 1, 1});
    return tg__jvp_sum(out, out->n_inputs, tangent_in, terms, tangent_out);
}

/* [m,n] samples: one [m,n] image by an [m,n] kernel, stride (2, 1),
 * padding (0, 1), output_padding (1, 0): a [3m - 1, 2n - 3] output */
static tg_tensor *sample_conv_transpose2d(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    int64_t m = tg_shape(in[0])[0], n = tg_shape(in[0])[1];
    tg_tensor *x = tg_reshape(in[0], 4, (int64_t[]){1, 1, m, n});
    tg_tensor *w = tg_reshape(in[1], 4, (int64_t[]){1, 1, m, n});
    tg_tensor *b = tg_reshape(tg_sum(in[2]), 1, (int64_t[]){1});
    tg_conv_opts o = {.stride = {2, 1}, .padding = {0, 1}};
    return tg_conv_transpose2d(x, w, b, &o, (int64_t[]){1, 0});
}

const tg_op tg__op_conv_transpose2d = {
    .info = {TG_OP_CONV_TRANSPOSE2D, "tg_conv_transpose2d", 3, 0,
             {sample_conv_transpose2d, 3, TG_SAMPLE_SAME,
              {TG_SAMPLE_ANY, TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = transpose_backward,
    .jvp = transpose_jvp,
    .rerun = transpose_rerun,
};

/* PyTorch's checks: x's channels are the weight's first side and a
 * multiple of groups, the bias one per output channel. */
static int check_channels(const char *fn, const tg_tensor *x, const tg_tensor *w,
                          const tg_tensor *b, int64_t groups)
{
    char xd[96], wd[96];
    if (w->shape[0] != x->shape[1] || x->shape[1] % groups)
        return tg__fail(TG_ESHAPE, "%s: given groups=%lld, weight of shape %s expects input "
                        "with %lld channels, a multiple of %lld; input has shape %s", fn,
                        (long long)groups, tg__dims_str(w->ndim, w->shape, wd, sizeof wd),
                        (long long)w->shape[0], (long long)groups,
                        tg__dims_str(x->ndim, x->shape, xd, sizeof xd));
    int64_t OC = w->shape[1] * groups;
    if (b && (b->ndim != 1 || b->shape[0] != OC))
        return tg__fail(TG_ESHAPE, "%s: bias of shape %s; weight of shape %s and groups=%lld "
                        "need [%lld]", fn, tg__dims_str(b->ndim, b->shape, xd, sizeof xd),
                        tg__dims_str(w->ndim, w->shape, wd, sizeof wd), (long long)groups,
                        (long long)OC);
    return TG_OK;
}

/* The output's sides, checked as PyTorch checks them. */
static int output_sides(const char *fn, const tg_tensor *x, const tg_tensor *w,
                        const tg_conv_opts *o, const int64_t *output_padding, int64_t out[2])
{
    for (int a = 0; a < 2; a++) {
        int64_t s = o->stride[a] ? o->stride[a] : 1, d = o->dilation[a] ? o->dilation[a] : 1;
        int64_t op = output_padding ? output_padding[a] : 0;
        if (op < 0 || (op >= s && op >= d))
            return tg__fail(TG_EVALUE, "%s: output_padding %lld on spatial axis %d must be "
                            "smaller than the stride (%lld) or the dilation (%lld)", fn,
                            (long long)op, a, (long long)s, (long long)d);
        if (s < 0 || d < 0 || o->padding[a] < 0 || w->shape[2 + a] < 1)
            return TG_OK; /* the geometry names the bad size */
        out[a] = (x->shape[2 + a] - 1) * s - 2 * o->padding[a] + d * (w->shape[2 + a] - 1) +
                 op + 1;
        if (out[a] < 1)
            return tg__fail(TG_ESHAPE, "%s: an input side of %lld gives an output side of %lld "
                            "on spatial axis %d (kernel %lld, stride %lld, padding %lld, "
                            "dilation %lld, output_padding %lld)", fn,
                            (long long)x->shape[2 + a], (long long)out[a], a,
                            (long long)w->shape[2 + a], (long long)s, (long long)o->padding[a],
                            (long long)d, (long long)op);
    }
    return TG_OK;
}

/* The geometry of the conv2d that this op transposes: the output is its
 * image, x its window grid. */
static int transpose_geometry(const char *fn, const tg_tensor *x, const tg_tensor *w,
                              const tg_conv_opts *opts, const int64_t *output_padding,
                              tg_conv_geom *g)
{
    static const tg_conv_opts defaults;
    const tg_conv_opts *o = opts ? opts : &defaults;
    int64_t out[2] = {1, 1};
    int rc = output_sides(fn, x, w, o, output_padding, out);
    if (rc == 0)
        rc = tg__conv_geom(fn, 2, out, w->shape + 2, o, false, true, g);
    if (rc < 0)
        return rc;
    g->out[0] = x->shape[2]; /* output_padding's rows and columns get no window */
    g->out[1] = x->shape[3];
    return tg__conv_check_blas(fn, x->shape[2] * x->shape[3], w);
}

tg_tensor *tg_conv_transpose2d(tg_tensor *x, tg_tensor *weight, tg_tensor *bias,
                               const tg_conv_opts *opts, const int64_t output_padding[2])
{
    const char *fn = tg__op_conv_transpose2d.info.name;
    int rc = tg__conv_check_args(fn, x, weight, bias, 4, "[N,C,H,W]", "[C,OC/groups,KH,KW]");
    tg_conv_geom g;
    if (rc == 0)
        rc = transpose_geometry(fn, x, weight, opts, output_padding, &g);
    if (rc == 0)
        rc = check_channels(fn, x, weight, bias, g.groups);
    const tg_conv_geom *kept = rc == 0 ? tg__conv_geom_keep(fn, &g) : NULL;
    return kept ? transpose_geom(x, weight, bias, kept) : NULL;
}
