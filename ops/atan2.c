/*
 * atan2.c -- z = atan2(y, x), the angle of the point (x, y) in (-pi, pi],
 * broadcasting; C's atan2 (its signed zeros and infinities).
 *
 *   backward  dy = g x / (x^2 + y^2), dx = -g y / (x^2 + y^2), and 0 for both
 *             at (0, 0), where atan2 is not differentiable: PyTorch's choice
 *             since pytorch#166787 (earlier releases gave NaN there)
 *
 * The quotients are written as (x/c) / (c ((x/c)^2 + (y/c)^2)) with c =
 * max(|x|, |y|) held constant: the same function of x and y for any fixed c,
 * so every order of derivative is exact, while the squares stay near 1 and
 * cannot overflow or underflow (|x| = 1e20 in float). At (0, 0), c = 1 and
 * a constant mask makes the quotient and its derivatives 0.
 */
#include "kernel.h"
#include "jvp.h"

TG_BINARY_FORMULA(atan2, r = atan2(a, b))

/* c = max(|y|, |x|), or 1 at the origin. */
static void scale_kernel(const tg_bcast *plan, tg_tensor *out, const tg_tensor *a,
                         const tg_tensor *b)
{
    TG_FOR_DTYPE(out->dtype, T, {
        T *c = out->data;
        const T *y = a->data, *x = b->data;
        TG_BCAST_WALK2(plan, out->numel, o, i, j, {
            T m = fabs(y[i]) > fabs(x[j]) ? fabs(y[i]) : fabs(x[j]);
            c[o] = m == 0 ? 1 : m;
        });
    });
}

/* 1 at the origin, else 0. */
static void origin_kernel(const tg_bcast *plan, tg_tensor *out, const tg_tensor *a,
                          const tg_tensor *b)
{
    TG_FOR_DTYPE(out->dtype, T, {
        T *m = out->data;
        const T *y = a->data, *x = b->data;
        TG_BCAST_WALK2(plan, out->numel, o, i, j, m[o] = y[i] == 0 && x[j] == 0);
    });
}

/* The scaled coordinates xs = x/c, ys = y/c and w = g (1 - origin) / (c r2),
 * so that the two gradients are w xs and -w ys; a NULL g stands for 1 (the
 * tangent rule's partial derivatives). */
typedef struct {
    tg_tensor *xs, *ys, *w;
} atan2_parts;

static atan2_parts scaled_parts(tg_tensor *out, tg_tensor *g)
{
    const char *fn = out->op->info.name;
    tg_tensor *y = out->in[0], *x = out->in[1];
    tg_tensor *c = tg__constant_binary(fn, y, x, scale_kernel);
    tg_tensor *origin = tg__constant_binary(fn, y, x, origin_kernel);
    tg_tensor *ys = tg_div(y, c), *xs = tg_div(x, c);
    tg_tensor *r2 = tg_add(tg_add(tg_mul(ys, ys), tg_mul(xs, xs)), origin);
    tg_tensor *off_origin = tg_add_scalar(tg_neg(origin), 1);
    tg_tensor *w = tg_div(g ? tg_mul(g, off_origin) : off_origin, tg_mul(c, r2));
    return (atan2_parts){xs, ys, w};
}

static int atan2_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *y = out->in[0], *x = out->in[1];
    atan2_parts p = scaled_parts(out, g);
    tg_tensor *xs = p.xs, *ys = p.ys, *w = p.w;
    if (y->flags & TG_REQUIRES_GRAD) {
        if (!(grad_in[0] = tg__unbroadcast(tg_mul(w, xs), y)))
            return tg__latest_code();
    }
    if (x->flags & TG_REQUIRES_GRAD) {
        if (!(grad_in[1] = tg__unbroadcast(tg_neg(tg_mul(w, ys)), x)))
            return tg__latest_code();
    }
    return TG_OK;
}

/* dz = w (xs ty - ys tx), the same convention at the origin */
static int atan2_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    atan2_parts p = scaled_parts(out, NULL);
    tg_tensor *terms[2] = {
        tangent_in[0] ? tg_mul(tangent_in[0], tg_mul(p.w, p.xs)) : NULL,
        tangent_in[1] ? tg_neg(tg_mul(tangent_in[1], tg_mul(p.w, p.ys))) : NULL,
    };
    return tg__jvp_sum(out, 2, tangent_in, terms, tangent_out);
}

/* y keeps one sign per element: no sample crosses the cut along y = 0, x < 0 */
/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void atan2_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y, (void)attr;
    /* the rule's scaling by c = max(|y|, |x|): no square overflows */
    double c = fmax(fabs(x[0]), fabs(x[1]));
    if (c == 0) {
        p[0] = p[1] = 0;
        return;
    }
    double ys = x[0] / c, xs = x[1] / c, d = c * (xs * xs + ys * ys);
    p[0] = xs / d;
    p[1] = -ys / d;
}

TG_SAMPLE_FN(sample_atan2, tg_atan2(in[0], in[1]))

const tg_op tg__op_atan2 = {
    .info = {TG_OP_ATAN2, "tg_atan2", 2, TG_OP_ELEMENTWISE | TG_OP_BROADCASTS,
             {sample_atan2, 2, TG_SAMPLE_BROADCAST, {TG_SAMPLE_NONZERO, TG_SAMPLE_ANY}}},
    .backward = atan2_backward,
    .partials = atan2_partials,
    .jvp = atan2_jvp,
    .value = atan2_value,
    .kernel.binary = atan2_kernel,
    .rerun = tg__binary_rerun,
};

tg_tensor *tg_atan2(tg_tensor *y, tg_tensor *x)
{
    return tg__binary(&tg__op_atan2, y, x);
}
