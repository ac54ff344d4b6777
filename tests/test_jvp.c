/* test_jvp.c -- forward mode's tangent rules, every op of the catalogue on
 * its row's sample (tapegrad/catalogue.h), in f32 and f64: the tangent J v
 * that tg_jvp carries through the op along a random v is compared with
 * central differences of the op along v (evaluated in f64, so that the f32
 * rule meets an exact reference) and with the double-VJP construction
 * J v = d/du <Jᵀ u, v> (two reverse sweeps). v is given to every input at
 * once and then to each input alone, so that a rule's absent terms and its
 * broadcasting to the output's shape are exercised. An op without a tangent
 * rule fails, naming itself; a new op is covered without an edit here. */
#include <stdio.h>

#include "testutil.h"

typedef struct {
    double step, tol; /* central-difference step (f64 inputs), |err| <= tol (1 + |want|) */
} jvp_tols;

/* An f32 rule against an f64 reference carries f32 rounding, amplified by
 * long sums and quotients; f64 against f64 meets the difference's error. */
static const jvp_tols f32_tols = {1e-6, 2e-3}, f64_tols = {1e-6, 1e-6};

/* x + h v as a new f64 tensor (v NULL: x itself). */
static tg_tensor *shifted_f64(const tg_tensor *x, const tg_tensor *v, double h, bool requires_grad)
{
    tg_tensor *s = tg_tensor_new(TG_F64, tg_ndim(x), tg_shape(x), NULL, requires_grad);
    tu_assert_ok(s);
    for (int64_t i = 0; i < tg_numel(x); i++)
        tg_set(s, i, tg_get(x, i) + (v ? h * tg_get(v, i) : 0));
    return s;
}

/* (f(x + h v) - f(x - h v)) / 2h, an f64 tensor of the output's shape. */
static tg_tensor *central_difference(const tg_op_info *row, tg_tensor *const *in,
                                     tg_tensor *const *v, double h)
{
    int n = row->sample.n_inputs;
    tg_tensor *plus[TG_MAX_INPUTS], *minus[TG_MAX_INPUTS];
    for (int k = 0; k < n; k++) {
        plus[k] = shifted_f64(in[k], v[k], h, false);
        minus[k] = shifted_f64(in[k], v[k], -h, false);
    }
    tg_tensor *yp = row->sample.call(plus, NULL), *ym = row->sample.call(minus, NULL);
    tu_assert_ok(yp);
    tu_assert_ok(ym);
    tg_tensor *d = tg_mul_scalar(tg_sub(yp, ym), 0.5 / h);
    tu_assert_ok(d);
    return d;
}

/* A fixed pattern of values of t's shape and dtype: cotangents and weights. */
static tg_tensor *pattern_like(const tg_tensor *t, double scale, bool requires_grad)
{
    tg_tensor *p = tg_tensor_new(tg_dtype_of(t), tg_ndim(t), tg_shape(t), NULL, requires_grad);
    tu_assert_ok(p);
    for (int64_t i = 0; i < tg_numel(p); i++)
        tg_set(p, i, scale * (0.5 + 0.125 * (double)(i % 5)));
    return p;
}

/* J v by two reverse sweeps: g = Jᵀ u for a cotangent u that requires
 * grad (recorded, so g depends on u linearly), then d <g, v> / du = J v. */
static tg_tensor *double_vjp(const char *name, tg_fn f, int n, tg_tensor *const *in,
                             tg_tensor *const *v)
{
    tg_tensor *y = f(in, NULL);
    tu_assert_ok(y);
    tg_tensor *u = pattern_like(y, 1, true);
    tg_tensor *g[TG_MAX_INPUTS];
    ck_assert_msg(tg_grad_ex(&y, &u, 1, in, n, g, TG_CREATE_GRAPH) == 0, "%s: %s", name,
                  tg_last_error());
    tg_tensor *s = NULL;
    for (int k = 0; k < n; k++) {
        if (!v[k])
            continue;
        tg_tensor *term = tg_sum(tg_mul(g[k], v[k]));
        s = s ? tg_add(s, term) : term;
    }
    tu_assert_ok(s);
    tg_tensor *jv;
    ck_assert_msg(tg_grad(&s, 1, &u, 1, &jv, false) == 0, "%s: %s", name, tg_last_error());
    return jv;
}

static void assert_tangents_close(const char *name, tg_dtype dtype, const char *against,
                                  int alone, const tg_tensor *got, const tg_tensor *want,
                                  double tol)
{
    char which[32] = "every input";
    if (alone >= 0)
        snprintf(which, sizeof which, "input %d alone", alone);
    ck_assert_int_eq(tg_numel(got), tg_numel(want));
    for (int64_t i = 0; i < tg_numel(got); i++) {
        double g = tg_get(got, i), w = tg_get(want, i);
        ck_assert_msg(fabs(g - w) <= tol * (1 + fabs(w)),
                      "%s (%s, tangent of %s): element %lld is %.17g, %s gives %.17g", name,
                      tg_dtype_name(dtype), which, (long long)i, g, against, w);
    }
}

/* tg_jvp of row's sample at in along v (v[k] NULL: no tangent for input k),
 * checked both ways. alone is the input that carries the only tangent, or
 * -1 for all. */
static void check_tangent(const tg_op_info *row, tg_dtype dtype, tg_tensor *const *in,
                          tg_tensor *const *v, int alone)
{
    const jvp_tols *tols = dtype == TG_F32 ? &f32_tols : &f64_tols;
    tg_tensor *y, *dy;
    int rc = tg_jvp(row->sample.call, NULL, row->sample.n_inputs, in, v, &y, &dy);
    ck_assert_msg(rc == 0, "%s (%s): %s", row->name, tg_dtype_name(dtype), tg_last_error());
    ck_assert_msg(tg_dtype_of(dy) == tg_dtype_of(y), "%s: the tangent's dtype is not y's",
                  row->name);
    assert_tangents_close(row->name, dtype, "the central difference", alone, dy,
                          central_difference(row, in, v, tols->step), tols->tol);
    tg_tensor *jv = double_vjp(row->name, row->sample.call, row->sample.n_inputs, in, v);
    assert_tangents_close(row->name, dtype, "the double VJP", alone, dy, jv,
                          dtype == TG_F32 ? 1e-4 : 1e-12);
    /* with grad mode off nothing records, and a rule may run a fused pass */
    tg_tensor *unrecorded;
    tg_no_grad_begin();
    rc = tg_jvp(row->sample.call, NULL, row->sample.n_inputs, in, v, &y, &unrecorded);
    tg_no_grad_end();
    ck_assert_msg(rc == 0, "%s (%s, no grad): %s", row->name, tg_dtype_name(dtype),
                  tg_last_error());
    assert_tangents_close(row->name, dtype, "the recorded rule", alone, unrecorded, dy,
                          dtype == TG_F32 ? 1e-5 : 1e-13);
}

/* ---- forward over reverse: tangents through the ops of backward rules ---- */

/* f's gradient g_k = Jᵀ u at in, weighed: <g, w> = sum_k <g_k, w_k>, with
 * u and the w_k fixed patterns of values (of any dtype). Run under tg_jvp,
 * the tangents flow through the sweep's rules, which are made of ops; the
 * tangent of <g, w> is wᵀ H_u v. ctx is the op's row. */
static tg_tensor *weighed_gradient(tg_tensor *const *in, void *ctx)
{
    const tg_op_info *row = ctx;
    int n = row->sample.n_inputs;
    tg_tensor *y = row->sample.call(in, NULL), *g[TG_MAX_INPUTS];
    if (!y)
        return NULL;
    tg_tensor *u = pattern_like(y, 1, false);
    if (tg_grad_ex(&y, &u, 1, in, n, g, 0) < 0)
        return NULL;
    tg_tensor *s = NULL;
    for (int k = 0; k < n; k++) {
        tg_tensor *term = tg_sum(tg_mul(g[k], pattern_like(g[k], k ? -1 : 1, false)));
        s = s ? tg_add(s, term) : term;
    }
    return s;
}

/* tg_jvp of <Jᵀ u, w> along v against its central difference in f64. */
static void check_second_order(const tg_op_info *row, tg_dtype dtype, tg_tensor *const *in,
                               tg_tensor *const *v)
{
    int n = row->sample.n_inputs;
    void *ctx = (void *)row;
    tg_tensor *y, *dy;
    int rc = tg_jvp(weighed_gradient, ctx, n, in, v, &y, &dy);
    ck_assert_msg(rc == 0, "%s (%s, over reverse): %s", row->name, tg_dtype_name(dtype),
                  tg_last_error());
    const double h = 1e-6;
    double at[2];
    for (int side = 0; side < 2; side++) {
        tg_tensor *moved[TG_MAX_INPUTS];
        for (int k = 0; k < n; k++)
            moved[k] = shifted_f64(in[k], v[k], side ? -h : h, true);
        tg_tensor *s = weighed_gradient(moved, ctx);
        tu_assert_ok(s);
        at[side] = tg_item(s);
    }
    double want = (at[0] - at[1]) / (2 * h), got = tg_item(dy);
    double tol = dtype == TG_F32 ? 2e-3 : 1e-6;
    ck_assert_msg(fabs(got - want) <= tol * (1 + fabs(want)),
                  "%s (%s): the tangent of a weighed gradient is %.17g, the central difference "
                  "%.17g",
                  row->name, tg_dtype_name(dtype), got, want);
}

/* ---- reverse over forward: tangents are differentiable in x ---- */

/* <J(x) v, w> for the tangent that tg_jvp carries, w a fixed pattern. */
static tg_tensor *weighed_tangent(const tg_op_info *row, tg_tensor *const *in,
                                  tg_tensor *const *v)
{
    tg_tensor *y, *dy;
    int rc = tg_jvp(row->sample.call, NULL, row->sample.n_inputs, in, v, &y, &dy);
    ck_assert_msg(rc == 0, "%s: %s", row->name, tg_last_error());
    tg_tensor *s = tg_sum(tg_mul(dy, pattern_like(dy, 1, false)));
    tu_assert_ok(s);
    return s;
}

/* The gradient of <J(x) v, w> by a reverse sweep through the recorded
 * tangent, along a direction z, against its central difference in f64. */
static void check_tangent_gradient(const tg_op_info *row, tg_dtype dtype, tg_tensor *const *in,
                                   tg_tensor *const *v, tg_tensor *const *z)
{
    int n = row->sample.n_inputs;
    tg_tensor *s = weighed_tangent(row, in, v), *g[TG_MAX_INPUTS];
    ck_assert_msg(tg_grad(&s, 1, in, n, g, false) == 0, "%s: %s", row->name, tg_last_error());
    double got = 0;
    for (int k = 0; k < n; k++)
        for (int64_t i = 0; i < tg_numel(z[k]); i++)
            got += tg_get(g[k], i) * tg_get(z[k], i);
    const double h = 1e-6;
    double at[2];
    for (int side = 0; side < 2; side++) {
        tg_tensor *moved[TG_MAX_INPUTS], *v64[TG_MAX_INPUTS];
        for (int k = 0; k < n; k++) {
            moved[k] = shifted_f64(in[k], z[k], side ? -h : h, true);
            v64[k] = shifted_f64(v[k], NULL, 0, false);
        }
        at[side] = tg_item(weighed_tangent(row, moved, v64));
    }
    double want = (at[0] - at[1]) / (2 * h), tol = dtype == TG_F32 ? 2e-3 : 1e-6;
    ck_assert_msg(fabs(got - want) <= tol * (1 + fabs(want)),
                  "%s (%s): the gradient of a weighed tangent along z is %.17g, the central "
                  "difference %.17g",
                  row->name, tg_dtype_name(dtype), got, want);
}

static tg_tensor *random_like(const tg_tensor *x)
{
    tu_shape s = {tg_ndim(x), {0}};
    for (int d = 0; d < s.ndim; d++)
        s.d[d] = tg_shape(x)[d];
    return tu_rand(tg_dtype_of(x), s, -1, 1, false);
}

START_TEST(every_op_jvp)
{
    uint64_t seed = 12;
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const tg_op_info *row = tg_op_info_of((tg_op_kind)k);
        if (!row->sample.call)
            continue; /* internal and user-defined kinds */
        ck_assert_msg(tg_op_has_jvp((tg_op_kind)k), "%s has no tangent rule", row->name);
        int n = row->sample.n_inputs;
        for (int dt = TG_F32; dt <= TG_F64; dt++) {
            tg_tensor *in[TG_MAX_INPUTS], *v[TG_MAX_INPUTS], *z[TG_MAX_INPUTS];
            tg_tensor *one[TG_MAX_INPUTS];
            ck_assert_int_eq(tg_op_sample_inputs(row, (tg_dtype)dt, &seed, in), 0);
            for (int i = 0; i < n; i++)
                v[i] = random_like(in[i]);
            check_tangent(row, (tg_dtype)dt, in, v, -1);
            check_second_order(row, (tg_dtype)dt, in, v);
            for (int i = 0; i < n; i++)
                z[i] = random_like(in[i]);
            check_tangent_gradient(row, (tg_dtype)dt, in, v, z);
            for (int i = 0; n > 1 && i < n; i++) {
                for (int j = 0; j < n; j++)
                    one[j] = j == i ? v[j] : NULL;
                check_tangent(row, (tg_dtype)dt, in, one, i);
            }
            tg_tape_reset();
        }
    }
}
END_TEST

/* ---- kinks and ties: the backward rule's conventions ---- */

#define KINK_FN(name, expr)                                                                  \
    static tg_tensor *name(tg_tensor *const *in, void *ctx)                                  \
    {                                                                                        \
        (void)ctx;                                                                           \
        tg_tensor *a = in[0], *b = in[1];                                                    \
        (void)b;                                                                             \
        return expr;                                                                         \
    }

KINK_FN(relu_fn, tg_relu(a))
KINK_FN(abs_fn, tg_abs(a))
KINK_FN(leaky_relu_fn, tg_leaky_relu(a, 0.1))
KINK_FN(elu_fn, tg_elu(a, 2))
KINK_FN(hardtanh_fn, tg_hardtanh(a, -1, 1))
KINK_FN(hardsigmoid_fn, tg_hardsigmoid(a))
KINK_FN(clamp_fn, tg_clamp(a, 0, 1))
KINK_FN(maximum_fn, tg_maximum(a, b))
KINK_FN(minimum_fn, tg_minimum(a, b))
KINK_FN(max_fn, tg_max(a))
KINK_FN(amax_fn, tg_amax(a, 0, NULL, false))
KINK_FN(std_fn, tg_std(a, 0, NULL, 1, false))
KINK_FN(norm_fn, tg_norm(a, 2, 0, NULL, false))
KINK_FN(prod_fn, tg_prod(a))
KINK_FN(atan2_fn, tg_atan2(a, b))
KINK_FN(pow_fn, tg_pow(a, b))
KINK_FN(sign_fn, tg_sign(a))

/* f at x (and y, the second input of a binary f) along tx (and ty), each
 * with n elements; want is the tangent in the convention of PyTorch's
 * backward, which the double VJP through tapegrad's backward must match. */
typedef struct {
    const char *name;
    tg_fn f;
    int n_inputs, n;
    double x[4], y[4], tx[4], ty[4], want[4];
} kink_case;

static const kink_case kinks[] = {
    {"relu'(0) = 0", relu_fn, 1, 3, {-1, 0, 2}, {0}, {1, 1, 1}, {0}, {0, 0, 1}},
    {"abs'(0) = 0", abs_fn, 1, 3, {-1, 0, 2}, {0}, {1, 1, 1}, {0}, {-1, 0, 1}},
    {"leaky_relu'(0) = slope", leaky_relu_fn, 1, 1, {0}, {0}, {1}, {0}, {0.1}},
    {"elu'(0) = alpha", elu_fn, 1, 1, {0}, {0}, {1}, {0}, {2}},
    {"hardtanh' = 0 at its bounds", hardtanh_fn, 1, 3, {-1, 0, 1}, {0}, {1, 1, 1}, {0}, {0, 1, 0}},
    {"hardsigmoid' = 0 at +-3", hardsigmoid_fn, 1, 3, {-3, 0, 3}, {0}, {1, 1, 1}, {0},
     {0, 1.0 / 6, 0}},
    {"clamp passes at its bounds", clamp_fn, 1, 3, {0, 0.5, 1}, {0}, {1, 1, 1}, {0}, {1, 1, 1}},
    {"maximum tie: the mean", maximum_fn, 2, 2, {1, 2}, {1, 1}, {1, 1}, {3, 3}, {2, 1}},
    {"minimum tie: the mean", minimum_fn, 2, 2, {1, 2}, {1, 1}, {1, 1}, {3, 3}, {2, 3}},
    {"max tie: the first", max_fn, 1, 3, {2, 1, 2}, {0}, {1, 5, 3}, {0}, {1}},
    {"amax tie: shared", amax_fn, 1, 3, {2, 1, 2}, {0}, {1, 5, 3}, {0}, {2}},
    {"std of a constant: 0", std_fn, 1, 3, {1, 1, 1}, {0}, {1, 2, 3}, {0}, {0}},
    {"norm at 0: 0", norm_fn, 1, 3, {0, 0, 0}, {0}, {1, 2, 3}, {0}, {0}},
    {"prod with one zero", prod_fn, 1, 3, {0, 2, 3}, {0}, {1, 1, 1}, {0}, {6}},
    {"prod with two zeros", prod_fn, 1, 3, {0, 0, 3}, {0}, {1, 1, 1}, {0}, {0}},
    {"atan2 at the origin: 0", atan2_fn, 2, 1, {0}, {0}, {1}, {1}, {0}},
    {"pow at 0^0 and 0^2", pow_fn, 2, 2, {0, 0}, {0, 2}, {1, 1}, {1, 1}, {0, 0}},
    {"sign: 0 everywhere", sign_fn, 1, 3, {-1, 0, 2}, {0}, {1, 1, 1}, {0}, {0, 0, 0}},
};

START_TEST(kinks_follow_the_backward)
{
    for (size_t c = 0; c < sizeof kinks / sizeof *kinks; c++) {
        const kink_case *k = &kinks[c];
        for (int dt = TG_F32; dt <= TG_F64; dt++) {
            tu_shape shape = TU_SHAPE(k->n);
            tg_tensor *in[2] = {tu_tensor((tg_dtype)dt, shape, k->x, true),
                                tu_tensor((tg_dtype)dt, shape, k->y, true)};
            tg_tensor *v[2] = {tu_tensor((tg_dtype)dt, shape, k->tx, false),
                               tu_tensor((tg_dtype)dt, shape, k->ty, false)};
            tg_tensor *y, *dy;
            ck_assert_msg(tg_jvp(k->f, NULL, k->n_inputs, in, v, &y, &dy) == 0, "%s: %s",
                          k->name, tg_last_error());
            for (int64_t i = 0; i < tg_numel(dy); i++)
                ck_assert_msg(fabs(tg_get(dy, i) - k->want[i]) <= 1e-6,
                              "%s (%s): element %lld is %.17g, expected %.17g", k->name,
                              tg_dtype_name((tg_dtype)dt), (long long)i, tg_get(dy, i),
                              k->want[i]);
            assert_tangents_close(k->name, (tg_dtype)dt, "the double VJP", -1, dy,
                                  double_vjp(k->name, k->f, k->n_inputs, in, v), 1e-6);
            tg_tape_reset();
        }
    }
}
END_TEST

TCase *tg_test_jvp(void)
{
    TCase *tc = tu_tcase("jvp");
    tcase_add_test(tc, every_op_jvp);
    tcase_add_test(tc, kinks_follow_the_backward);
    return tc;
}
