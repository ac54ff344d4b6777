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

/* J v by two reverse sweeps: g = Jᵀ u for a cotangent u that requires
 * grad (recorded, so g depends on u linearly), then d <g, v> / du = J v. */
static tg_tensor *double_vjp(const tg_op_info *row, tg_tensor *const *in, tg_tensor *const *v)
{
    int n = row->sample.n_inputs;
    tg_tensor *y = row->sample.call(in, NULL);
    tu_assert_ok(y);
    tg_tensor *u = tg_tensor_new(tg_dtype_of(y), tg_ndim(y), tg_shape(y), NULL, true);
    tu_assert_ok(u);
    for (int64_t i = 0; i < tg_numel(u); i++)
        tg_set(u, i, 0.5 + 0.125 * (double)(i % 5));
    tg_tensor *g[TG_MAX_INPUTS];
    ck_assert_msg(tg_grad_ex(&y, &u, 1, in, n, g, TG_CREATE_GRAPH) == 0, "%s: %s", row->name,
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
    ck_assert_msg(tg_grad(&s, 1, &u, 1, &jv, false) == 0, "%s: %s", row->name, tg_last_error());
    return jv;
}

static void assert_tangents_close(const tg_op_info *row, tg_dtype dtype, const char *against,
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
                      "%s (%s, tangent of %s): element %lld is %.17g, %s gives %.17g", row->name,
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
    ck_assert_msg(tg_dtype_of(dy) == tg_dtype_of(y), "%s: the tangent's dtype is not y's", row->name);
    assert_tangents_close(row, dtype, "the central difference", alone, dy,
                          central_difference(row, in, v, tols->step), tols->tol);
    assert_tangents_close(row, dtype, "the double VJP", alone, dy, double_vjp(row, in, v),
                          dtype == TG_F32 ? 1e-4 : 1e-12);
}

/* ---- forward over reverse: tangents through the ops of backward rules ---- */

/* f's gradient g_k = Jᵀ u at in, weighed: <g, w> = sum_k <g_k, w_k>, with
 * u and the w_k fixed patterns of values (of any dtype). Run under tg_jvp,
 * the tangents flow through the sweep's rules, which are made of ops; the
 * tangent of <g, w> is wᵀ H_u v. ctx is the op's row. */
static tg_tensor *pattern_like(const tg_tensor *t, double scale, bool requires_grad)
{
    tg_tensor *p = tg_tensor_new(tg_dtype_of(t), tg_ndim(t), tg_shape(t), NULL, requires_grad);
    tu_assert_ok(p);
    for (int64_t i = 0; i < tg_numel(p); i++)
        tg_set(p, i, scale * (0.5 + 0.125 * (double)(i % 5)));
    return p;
}

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
            tg_tensor *in[TG_MAX_INPUTS], *v[TG_MAX_INPUTS], *one[TG_MAX_INPUTS];
            ck_assert_int_eq(tg_op_sample_inputs(row, (tg_dtype)dt, &seed, in), 0);
            for (int i = 0; i < n; i++)
                v[i] = random_like(in[i]);
            check_tangent(row, (tg_dtype)dt, in, v, -1);
            check_second_order(row, (tg_dtype)dt, in, v);
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

TCase *tg_test_jvp(void)
{
    TCase *tc = tu_tcase("jvp");
    tcase_add_test(tc, every_op_jvp);
    return tc;
}
