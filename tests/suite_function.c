/* suite_function.c -- user-defined ops through tapegrad/function.h, defined
 * here without touching the library: a Huber loss whose backward is written
 * with tapegrad ops, a softplus whose backward is a raw loop, and ops that
 * fail on purpose to show their names in the messages. */
#include <string.h>

#include "testutil.h"

/* ---- Huber loss as one op ----
 *   r = pred - target,  loss = mean(h(r)),
 *   h(r) = r^2 / 2 for |r| <= delta, delta (|r| - delta / 2) beyond
 *   d loss / d pred = clip(r, -delta, delta) / n = -d loss / d target */

static tg_tensor *huber_forward(tg_tensor *const *in, void *ud)
{
    double delta = *(const double *)ud, total = 0;
    tg_tensor *r = tg_sub(in[0], in[1]);
    if (!r)
        return NULL;
    for (int64_t i = 0; i < tg_numel(r); i++) {
        double a = fabs(tg_get(r, i));
        total += a <= delta ? 0.5 * a * a : delta * (a - 0.5 * delta);
    }
    return tg_scalar_of(tg_dtype_of(r), total / (double)tg_numel(r));
}

static int huber_backward(tg_tensor *out, tg_tensor *g, tg_tensor *const *in, tg_tensor **grad_in,
                          void *ud)
{
    (void)out;
    double delta = *(const double *)ud;
    tg_tensor *r = tg_sub(in[0], in[1]);
    tg_tensor *lo = tg_scalar_of(tg_dtype_of(g), -delta), *hi = tg_scalar_of(tg_dtype_of(g), delta);
    tg_tensor *clipped = tg_minimum(tg_maximum(r, lo), hi);
    tg_tensor *d = tg_mul(tg_mul_scalar(g, 1.0 / (double)tg_numel(r)), clipped);
    grad_in[0] = tg_requires_grad(in[0]) ? d : NULL;
    grad_in[1] = tg_requires_grad(in[1]) ? tg_neg(d) : NULL;
    return d ? 0 : tg_last_error_code();
}

static const tg_function huber = {"huber_loss", 2, huber_forward, huber_backward};

/* The same loss composed from built-in ops. */
static tg_tensor *huber_composed(tg_tensor *pred, tg_tensor *target, double delta)
{
    tg_tensor *r = tg_sub(pred, target), *a = tg_abs(r);
    tg_tensor *quadratic = tg_mul_scalar(tg_mul(r, r), 0.5);
    tg_tensor *linear = tg_mul_scalar(tg_add_scalar(a, -0.5 * delta), delta);
    tg_tensor *inside = tg_step(tg_add_scalar(tg_neg(a), delta)); /* 1 where |r| <= delta */
    return tg_mean(tg_where(inside, quadratic, linear));
}

/* ---- softplus log(1 + e^x) with a raw-loop backward g sigmoid(x) ---- */

static tg_tensor *softplus_forward(tg_tensor *const *in, void *ud)
{
    (void)ud;
    tg_tensor *x = in[0];
    tg_tensor *y = tg_tensor_new(tg_dtype_of(x), tg_ndim(x), tg_shape(x), NULL, false);
    for (int64_t i = 0; y && i < tg_numel(x); i++) {
        double v = tg_get(x, i);
        tg_set(y, i, fmax(v, 0) + log1p(exp(-fabs(v))));
    }
    return y;
}

static int softplus_backward(tg_tensor *out, tg_tensor *g, tg_tensor *const *in,
                             tg_tensor **grad_in, void *ud)
{
    (void)out;
    (void)ud;
    tg_tensor *x = in[0];
    grad_in[0] = tg_tensor_new(tg_dtype_of(x), tg_ndim(x), tg_shape(x), NULL, false);
    for (int64_t i = 0; grad_in[0] && i < tg_numel(x); i++)
        tg_set(grad_in[0], i, tg_get(g, i) / (1 + exp(-tg_get(x, i))));
    return grad_in[0] ? 0 : tg_last_error_code();
}

static const tg_function softplus = {"softplus", 1, softplus_forward, softplus_backward};

static double delta = 0.5;

static tg_tensor *huber_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_apply(&huber, in, &delta);
}

static tg_tensor *softplus_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_apply(&softplus, in, NULL);
}

/* Residuals of both signs, inside and outside delta, none near the kink. */
static tg_tensor **huber_inputs(tg_dtype dtype, tg_tensor **in)
{
    in[0] = tu_tensor(dtype, TU_SHAPE(2, 3), (double[]){0.1, -0.2, 1.5, -1.25, 0.3, 2}, true);
    in[1] = tu_tensor(dtype, TU_SHAPE(2, 3), (double[]){0, 0.05, -0.5, 0.5, 0.6, 0.25}, true);
    return in;
}

START_TEST(custom_ops_pass_gradcheck)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *in[2];
        ck_assert_msg(tg_gradcheck(huber_fn, NULL, 2, huber_inputs((tg_dtype)dt, in), NULL, NULL) ==
                          0,
                      "%s", tg_last_error());
        tu_gradcheck(softplus_fn, NULL, (tg_dtype)dt, 1, (tu_shape[]){TU_SHAPE(2, 3)}, -3, 3);
    }
}
END_TEST

START_TEST(huber_op_backward_of_ops_passes_gradgradcheck)
{
    tg_tensor *in[2];
    ck_assert_msg(tg_gradgradcheck(huber_fn, NULL, 2, huber_inputs(TG_F64, in), NULL, NULL) == 0,
                  "%s", tg_last_error());
}
END_TEST

START_TEST(huber_op_equals_composed_loss_in_value_and_gradient)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double tol = dt == TG_F32 ? 1e-6 : 1e-15;
        tg_tensor *in[2], *g_op[2], *g_composed[2];
        huber_inputs((tg_dtype)dt, in);
        tg_tensor *op = tg_apply(&huber, in, &delta);
        tg_tensor *composed = huber_composed(in[0], in[1], delta);
        tu_assert_close(tg_item(op), tg_item(composed), tol);
        ck_assert_int_eq(tg_grad(&op, 1, in, 2, g_op, false), 0);
        ck_assert_int_eq(tg_grad(&composed, 1, in, 2, g_composed, false), 0);
        for (int k = 0; k < 2; k++)
            for (int64_t i = 0; i < 6; i++)
                tu_assert_close(tg_get(g_op[k], i), tg_get(g_composed[k], i), tol);
    }
}
END_TEST

enum { SAMPLES = 8, FEATURES = 3 };

/* loss = huber(X w + b, y) + 0.01 sum(softplus(w)), built with one of the
 * two Huber losses; returns the loss value after a backward into w and b. */
static double training_step(tg_tensor *w, tg_tensor *b, bool as_op)
{
    static double xs[SAMPLES * FEATURES], ys[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) {
        for (int j = 0; j < FEATURES; j++)
            xs[i * FEATURES + j] = sin(1.0 + i * FEATURES + j);
        ys[i] = 2 * xs[i * FEATURES] - xs[i * FEATURES + 2] + (i % 3 == 0 ? 3 : 0.5); /* outliers */
    }
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(SAMPLES, FEATURES), xs, false);
    tg_tensor *y = tu_tensor(TG_F64, TU_SHAPE(SAMPLES), ys, false);
    tg_tensor *pred = tg_add(tg_matmul(x, w), b);
    tg_tensor *fit = as_op ? tg_apply(&huber, (tg_tensor *[]){pred, y}, &delta)
                           : huber_composed(pred, y, delta);
    tg_tensor *loss = tg_add(fit, tg_mul_scalar(tg_sum(tg_apply(&softplus, &w, NULL)), 0.01));
    ck_assert_msg(tg_backward(loss) == 0, "%s", tg_last_error());
    return tg_item(loss);
}

static void sgd(tg_tensor *p, double lr)
{
    for (int64_t i = 0; i < tg_numel(p); i++)
        tg_set(p, i, tg_get(p, i) - lr * tg_grad_get(p, i));
    tg_zero_grad(p);
}

START_TEST(custom_ops_train_next_to_builtin_ops)
{
    tg_tensor *w[2], *b[2];
    for (int m = 0; m < 2; m++) {
        w[m] = tg_param(TG_F64, 1, (int64_t[]){FEATURES}, NULL);
        b[m] = tg_param(TG_F64, 0, NULL, NULL);
    }
    double first = 0, last = 0;
    for (int step = 0; step < 200; step++) {
        double with_op = training_step(w[0], b[0], true);
        double composed = training_step(w[1], b[1], false);
        tu_assert_close(with_op, composed, 1e-12);
        for (int i = 0; i < FEATURES; i++)
            tu_assert_close(tg_grad_get(w[0], i), tg_grad_get(w[1], i), 1e-12);
        for (int m = 0; m < 2; m++) {
            sgd(w[m], 0.2);
            sgd(b[m], 0.2);
        }
        first = step == 0 ? with_op : first;
        last = with_op;
        tg_tape_reset();
    }
    ck_assert_msg(last < 0.6 * first, "loss %g -> %g", first, last);
    tu_assert_close(tg_get(w[0], 0), tg_get(w[1], 0), 1e-9);
    for (int m = 0; m < 2; m++) {
        tg_free(w[m]);
        tg_free(b[m]);
    }
}
END_TEST

START_TEST(custom_op_is_one_node_recorded_under_its_name)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(4), -1, 1, true);
    tg_tensor *y = tg_apply(&softplus, &x, NULL);
    tu_assert_ok(y);
    ck_assert_int_eq(tg_tape_length(), 1);
    TG_NO_GRAD { tu_assert_ok(tg_apply(&softplus, &x, NULL)); }
    ck_assert_int_eq(tg_tape_length(), 1);
    tg_tensor *c = tu_rand(TG_F64, TU_SHAPE(4), -1, 1, false);
    ck_assert(!tg_requires_grad(tg_apply(&softplus, &c, NULL)));
}
END_TEST

/* ---- failures name the op ---- */

static tg_tensor *identity_forward(tg_tensor *const *in, void *ud)
{
    (void)ud;
    return in[0]; /* handed back as is: tg_apply copies it */
}

static int wrong_shape_backward(tg_tensor *out, tg_tensor *g, tg_tensor *const *in,
                                tg_tensor **grad_in, void *ud)
{
    (void)out;
    (void)in;
    (void)ud;
    grad_in[0] = tg_sum(g);
    return grad_in[0] ? 0 : tg_last_error_code();
}

static int failing_backward(tg_tensor *out, tg_tensor *g, tg_tensor *const *in, tg_tensor **grad_in,
                            void *ud)
{
    (void)out;
    (void)g;
    (void)in;
    (void)grad_in;
    return tg_set_error(TG_EVALUE, "the rule is not defined at %g", *(const double *)ud);
}

static tg_tensor *failing_forward(tg_tensor *const *in, void *ud)
{
    (void)ud;
    return tg_add(in[0], tg_tensor_new(TG_F64, 1, (int64_t[]){5}, NULL, false));
}

static const tg_function wrong_shape = {"wrong_shape_op", 1, identity_forward,
                                        wrong_shape_backward};
static const tg_function failing = {"failing_op", 1, identity_forward, failing_backward};
static const tg_function failing_fwd = {"bad_forward_op", 1, failing_forward, failing_backward};
static const tg_function no_inputs = {"no_inputs", 0, identity_forward, failing_backward};

#define assert_error_has(text)                                                                   \
    ck_assert_msg(strstr(tg_last_error(), text) != NULL, "error \"%s\" lacks \"%s\"",           \
                  tg_last_error(), text)

START_TEST(custom_op_errors_carry_its_name)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(3), -1, 1, true);
    tg_tensor *y = tg_apply(&wrong_shape, &x, NULL);
    tu_assert_ok(y);
    ck_assert(y != x);
    tu_assert_close(tg_get(y, 2), tg_get(x, 2), 0);
    ck_assert_int_eq(tg_backward_ex(y, tg_full(TG_F64, 1, (int64_t[]){3}, 1, false), 0),
                     TG_ESHAPE);
    assert_error_has("tg_backward: wrong_shape_op produced a f64 gradient of shape [] for a "
                     "tensor of shape [3]");
    tg_clear_error();

    double at = 0.25;
    tg_tensor *z = tg_sum(tg_apply(&failing, &x, &at));
    ck_assert_int_eq(tg_backward(z), TG_EVALUE);
    assert_error_has("failing_op (tape #");
    assert_error_has("backward failed: the rule is not defined at 0.25");
    tg_clear_error();

    ck_assert_ptr_null(tg_apply(&failing_fwd, &x, NULL));
    assert_error_has("bad_forward_op (forward): failed: tg_add: shapes do not broadcast");
    tg_clear_error(); /* else the NULL is blamed on the failure above, which made it */
    ck_assert_ptr_null(tg_apply(&failing, (tg_tensor *[]){NULL}, NULL));
    assert_error_has("failing_op: argument 1 is NULL");
    tg_clear_error();
    ck_assert_ptr_null(tg_apply(&no_inputs, &x, NULL));
    assert_error_has("tg_apply: no_inputs has 0 inputs; it needs at least 1");
    tg_clear_error();
    ck_assert_ptr_null(tg_apply(NULL, &x, NULL));
    ck_assert_int_eq(tg_last_error_code(), TG_ENULL);
}
END_TEST

/* A user-defined op of five inputs (more than a built-in node's three):
 * their broadcast product, with a backward written with ops. */
static tg_tensor *product5_forward(tg_tensor *const *in, void *ud)
{
    (void)ud;
    tg_tensor *y = in[0];
    for (int k = 1; k < 5; k++)
        y = tg_mul(y, in[k]);
    return y;
}

static int product5_backward(tg_tensor *out, tg_tensor *g, tg_tensor *const *in,
                             tg_tensor **grad_in, void *ud)
{
    (void)out;
    (void)ud;
    for (int k = 0; k < 5; k++) {
        tg_tensor *others = g;
        for (int j = 0; j < 5; j++)
            others = j == k ? others : tg_mul(others, in[j]);
        if (!(grad_in[k] = tg_sum_to(others, tg_ndim(in[k]), tg_shape(in[k]))))
            return tg_last_error_code();
    }
    return 0;
}

static const tg_function product5 = {"product5", 5, product5_forward, product5_backward};

static tg_tensor *apply_product5(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_apply(&product5, in, NULL);
}

START_TEST(user_op_with_five_inputs)
{
    tu_shape shapes[5] = {TU_SHAPE(2, 3), TU_SHAPE(3), TU_SCALAR, TU_SHAPE(2, 3), TU_SHAPE(1, 3)};
    tu_gradcheck_both(apply_product5, NULL, 5, shapes, 0.5, 1.5);
    tg_tensor *in[5];
    for (int k = 0; k < 5; k++)
        in[k] = tu_rand(TG_F64, shapes[k], 0.5, 1.5, true);
    tg_gradcheck_result r;
    ck_assert_msg(tg_gradgradcheck(apply_product5, NULL, 5, in, NULL, &r) == 0, "%s",
                  tg_last_error());
    tg_tensor *y = apply_product5(in, NULL);
    ck_assert_int_eq(tg_op_num_inputs(y), 5);
    ck_assert_ptr_eq(tg_op_input(y, 4), in[4]);
}
END_TEST

/* Two results of two inputs: the product and the sum. The rule is asked
 * once per result that receives a gradient. */
static int rule_calls;

static int prod_sum_forward(tg_tensor *const *in, tg_tensor **out, void *ud)
{
    (void)ud;
    out[0] = tg_mul(in[0], in[1]);
    out[1] = tg_add(in[0], in[1]);
    return out[0] && out[1] ? 0 : tg_last_error_code();
}

static int prod_sum_backward(tg_tensor *const *outs, int k, tg_tensor *g, tg_tensor *const *in,
                             tg_tensor **grad_in, void *ud)
{
    (void)outs;
    (void)ud;
    rule_calls++;
    grad_in[0] = k == 0 ? tg_mul(g, in[1]) : g;
    grad_in[1] = k == 0 ? tg_mul(g, in[0]) : g;
    return grad_in[0] && grad_in[1] ? 0 : tg_last_error_code();
}

static const tg_function_multi prod_sum = {"prod_sum", 2, 2, prod_sum_forward,
                                           prod_sum_backward};

static tg_tensor *prod_sum_loss(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    tg_tensor *o[2];
    if (tg_apply_multi(&prod_sum, in, NULL, o) != 0)
        return NULL;
    return tg_sum(tg_mul(o[0], tg_sin(o[1])));
}

START_TEST(user_op_with_two_outputs)
{
    tg_tensor *x = tg_var(2), *y = tg_var(3), *o[2];
    ck_assert_int_eq(tg_apply_multi(&prod_sum, (tg_tensor *[]){x, y}, NULL, o), 0);
    tu_assert_close(tg_item(o[0]), 6, 0);
    tu_assert_close(tg_item(o[1]), 5, 0);
    ck_assert_str_eq(tg_op_name(o[1]), "prod_sum");
    rule_calls = 0;
    ck_assert_int_eq(tg_backward(tg_add(tg_mul_scalar(o[0], 10), o[1])), 0);
    ck_assert_int_eq(rule_calls, 2); /* once per result */
    tu_assert_close(tg_grad_get(x, 0), 31, 0);
    tu_assert_close(tg_grad_get(y, 0), 21, 0);
    tg_tensor *a = tg_var(2), *b = tg_var(3);
    ck_assert_int_eq(tg_apply_multi(&prod_sum, (tg_tensor *[]){a, b}, NULL, o), 0);
    rule_calls = 0;
    ck_assert_int_eq(tg_backward(o[1]), 0); /* the product is not used: no call for it */
    ck_assert_int_eq(rule_calls, 1);
    tu_assert_close(tg_grad_get(a, 0), 1, 0);
    tu_gradcheck_both(prod_sum_loss, NULL, 2, (tu_shape[]){TU_SHAPE(2, 3), TU_SHAPE(2, 3)}, -1, 1);
    tg_tensor *in[2] = {tu_rand(TG_F64, TU_SHAPE(3), -1, 1, true),
                        tu_rand(TG_F64, TU_SHAPE(3), -1, 1, true)};
    tg_gradcheck_result r;
    ck_assert_msg(tg_gradgradcheck(prod_sum_loss, NULL, 2, in, NULL, &r) == 0, "%s",
                  tg_last_error());
    static const tg_function_multi none = {"no_outputs", 1, 0, prod_sum_forward,
                                           prod_sum_backward};
    ck_assert_int_eq(tg_apply_multi(&none, &x, NULL, o), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(), "tg_apply_multi: no_outputs has 0 outputs; it needs at least 1");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("function");
    TCase *tc = tu_tcase("function");
    tcase_add_test(tc, custom_ops_pass_gradcheck);
    tcase_add_test(tc, user_op_with_five_inputs);
    tcase_add_test(tc, user_op_with_two_outputs);
    tcase_add_test(tc, huber_op_backward_of_ops_passes_gradgradcheck);
    tcase_add_test(tc, huber_op_equals_composed_loss_in_value_and_gradient);
    tcase_add_test(tc, custom_ops_train_next_to_builtin_ops);
    tcase_add_test(tc, custom_op_is_one_node_recorded_under_its_name);
    tcase_add_test(tc, custom_op_errors_carry_its_name);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
