/* test_notes.c -- every formula of the lecture notes (../shared/seed-notes.md)
 * written with tapegrad, its values and gradients against the closed forms the
 * notes give, and the nested network against finite differences. */
#include "testutil.h"

static double sigmoid_of(double x) { return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)); }

/* A second leaf with x's values, so two formulas get separate gradients. */
static tg_tensor *twin(tg_tensor *x)
{
    tg_tensor *t = tg_tensor_new(tg_dtype_of(x), tg_ndim(x), tg_shape(x), NULL, true);
    for (int64_t i = 0; i < tg_numel(x); i++)
        tg_set(t, i, tg_get(x, i));
    return t;
}

START_TEST(x_squared_minus_ten_has_derivative_two_x)
{
    /* y = x^2 - 10; dy/dx = 2x, which is 0 at x = 0 where y = -10 */
    for (double x0 = -3; x0 <= 3; x0 += 0.5) {
        tg_tensor *x = tg_var(x0);
        tg_tensor *y = tg_sub(tg_mul(x, x), tg_scalar(10));
        ck_assert_int_eq(tg_backward(y), 0);
        tu_assert_close(tg_item(y), x0 * x0 - 10, 0);
        tu_assert_close(tg_grad_get(x, 0), 2 * x0, 0);
        tg_tensor *x2 = tg_var(x0);
        ck_assert_int_eq(tg_backward(tg_add_scalar(tg_pow_scalar(x2, 2), -10)), 0);
        tu_assert_close(tg_grad_get(x2, 0), 2 * x0, 1e-15);
        tg_tape_reset();
    }
}
END_TEST

START_TEST(sigmoid_derivative_is_s_times_one_minus_s)
{
    const double xs[] = {-1e4, -30, -2, -0.5, 0, 0.5, 2, 30, 1e4};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        for (int dt = TG_F32; dt <= TG_F64; dt++) {
            tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SCALAR, &xs[i], true);
            tg_tensor *s = tg_sigmoid(x);
            ck_assert_int_eq(tg_backward(s), 0);
            double sv = tg_item(s), g = tg_grad_get(x, 0);
            ck_assert(isfinite(sv) && isfinite(g));
            tu_assert_close(sv, sigmoid_of(xs[i]), dt == TG_F32 ? 1e-6 : 1e-15);
            tu_assert_close(g, sv * (1 - sv), dt == TG_F32 ? 1e-6 : 1e-15);
        }
    }
}
END_TEST

START_TEST(sigmoid_two_forms_of_the_notes_agree)
{
    /* 1 / (1 + e^-x) = e^x / (e^x + 1), both composed from ops, both equal
     * tg_sigmoid in value and gradient where neither overflows */
    for (double x0 = -8; x0 <= 8; x0 += 1) {
        tg_tensor *a = tg_var(x0), *b = tg_var(x0), *c = tg_var(x0);
        tg_tensor *first = tg_div(tg_scalar(1), tg_add_scalar(tg_exp(tg_neg(a)), 1));
        tg_tensor *second = tg_div(tg_exp(b), tg_add_scalar(tg_exp(b), 1));
        tg_tensor *fused = tg_sigmoid(c);
        ck_assert_int_eq(tg_backward(first), 0);
        ck_assert_int_eq(tg_backward(second), 0);
        ck_assert_int_eq(tg_backward(fused), 0);
        tu_assert_close(tg_item(first), tg_item(fused), 1e-15);
        tu_assert_close(tg_item(second), tg_item(fused), 1e-15);
        tu_assert_close(tg_grad_get(a, 0), tg_grad_get(c, 0), 1e-14);
        tu_assert_close(tg_grad_get(b, 0), tg_grad_get(c, 0), 1e-14);
        tg_tape_reset();
    }
}
END_TEST

START_TEST(tanh_is_two_sigmoid_two_x_minus_one)
{
    /* tanh x = 2 sigmoid(2x) - 1: values and gradients */
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(5, 4), -4, 4, true);
    tg_tensor *xc = twin(x);
    tg_tensor *t = tg_tanh(x);
    tg_tensor *composed = tg_add_scalar(tg_mul_scalar(tg_sigmoid(tg_mul_scalar(xc, 2)), 2), -1);
    ck_assert_int_eq(tg_backward(tg_sum(t)), 0);
    ck_assert_int_eq(tg_backward(tg_sum(composed)), 0);
    for (int64_t i = 0; i < 20; i++) {
        tu_assert_close(tg_get(t, i), tg_get(composed, i), 1e-15);
        tu_assert_close(tg_get(t, i), tanh(tg_get(x, i)), 1e-15);
        tu_assert_close(tg_grad_get(x, i), tg_grad_get(xc, i), 1e-14);
        tu_assert_close(tg_grad_get(x, i), 1 - pow(tanh(tg_get(x, i)), 2), 1e-14);
    }
}
END_TEST

START_TEST(relu_is_max_zero_x_and_leaky_is_max_small_x_x)
{
    double v[6] = {-2, -0.5, 0, 0.25, 1, 3};
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(6), v, true);
    tg_tensor *relu = tg_relu(x);
    tg_tensor *max0 = tg_maximum(tg_scalar(0), x);
    tg_tensor *leaky = tg_leaky_relu(x, 0.01);
    tg_tensor *notes_leaky = tg_maximum(tg_mul_scalar(x, 0.01), x);
    for (int i = 0; i < 6; i++) {
        tu_assert_close(tg_get(relu, i), v[i] >= 0 ? v[i] : 0, 0);
        tu_assert_close(tg_get(max0, i), tg_get(relu, i), 0);
        tu_assert_close(tg_get(leaky, i), tg_get(notes_leaky, i), 0);
    }
    ck_assert_int_eq(tg_backward(tg_sum(relu)), 0);
    for (int i = 0; i < 6; i++)
        tu_assert_close(tg_grad_get(x, i), v[i] > 0 ? 1 : 0, 0); /* relu'(0) = 0 */
}
END_TEST

START_TEST(step_of_a_neuron_is_heaviside_with_zero_gradient)
{
    /* Step(w1 x1 + w2 x2 + b): 1 if the sum is >= 0, else 0 */
    double w[2] = {0.5, -1}, xs[3][2] = {{2, 1}, {1, 1}, {0, 0.5}}, b0 = 0;
    for (int k = 0; k < 3; k++) {
        tg_tensor *wt = tu_tensor(TG_F64, TU_SHAPE(2), w, true);
        tg_tensor *b = tg_var(b0);
        tg_tensor *sum = tg_add(tg_sum(tg_mul(wt, tu_tensor(TG_F64, TU_SHAPE(2), xs[k], false))), b);
        tg_tensor *z = tg_step(sum);
        double pre = w[0] * xs[k][0] + w[1] * xs[k][1] + b0;
        tu_assert_close(tg_item(z), pre >= 0 ? 1 : 0, 0);
        ck_assert_int_eq(tg_backward(z), 0);
        tu_assert_close(tg_grad_get(wt, 0), 0, 0);
        tu_assert_close(tg_grad_get(b, 0), 0, 0);
        tg_tape_reset();
    }
}
END_TEST

START_TEST(linear_activation_is_identity)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(3), -2, 2, true);
    tg_tensor *y = tg_linear(x);
    ck_assert_int_eq(tg_backward(tg_sum(y)), 0);
    for (int i = 0; i < 3; i++) {
        tu_assert_close(tg_get(y, i), tg_get(x, i), 0);
        tu_assert_close(tg_grad_get(x, i), 1, 0);
    }
}
END_TEST

START_TEST(neuron_gradients_match_closed_form)
{
    /* z1 = sigmoid(w11 x1 + w21 x2 + w31 x3 + b) built from 0-d tensors:
     * dz/dw_i1 = s(1 - s) x_i and dz/db = s(1 - s) */
    double x[3] = {0.5, -1.5, 2.0}, w0[3] = {0.1, -0.2, 0.3}, b0 = 0.05;
    tg_tensor *w[3], *b = tg_var(b0), *sum = b;
    for (int i = 0; i < 3; i++) {
        w[i] = tg_var(w0[i]);
        sum = tg_add(sum, tg_mul(w[i], tg_scalar(x[i])));
    }
    tg_tensor *z = tg_sigmoid(sum);
    ck_assert_int_eq(tg_backward(z), 0);
    double s = sigmoid_of(w0[0] * x[0] + w0[1] * x[1] + w0[2] * x[2] + b0);
    tu_assert_close(tg_item(z), s, 1e-15);
    for (int i = 0; i < 3; i++)
        tu_assert_close(tg_grad_get(w[i], 0), s * (1 - s) * x[i], 1e-15);
    tu_assert_close(tg_grad_get(b, 0), s * (1 - s), 1e-15);
}
END_TEST

START_TEST(layer_sum_form_equals_matrix_form)
{
    /* z_j = f(sum_i w_ji x_i + b_j) element by element equals f(W x + b) */
    tg_tensor *W = tu_rand(TG_F64, TU_SHAPE(4, 3), -1, 1, true);
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(3), -1, 1, false);
    tg_tensor *b = tu_rand(TG_F64, TU_SHAPE(4), -1, 1, true);
    tg_tensor *z = tg_sigmoid(tg_add(tg_matmul(W, x), b));
    for (int j = 0; j < 4; j++) {
        double pre = tg_get(b, j);
        for (int i = 0; i < 3; i++)
            pre += tg_get(W, j * 3 + i) * tg_get(x, i);
        tu_assert_close(tg_get(z, j), sigmoid_of(pre), 1e-15);
    }
}
END_TEST

START_TEST(softmax_is_exp_over_sum_of_exp)
{
    /* y_i = e^{z_i} / sum_j e^{z_j}, composed and fused, values and gradients */
    tg_tensor *z = tu_rand(TG_F64, TU_SHAPE(5), -3, 3, true);
    tg_tensor *zc = twin(z);
    tg_tensor *weights = tu_rand(TG_F64, TU_SHAPE(5), -1, 1, false);
    tg_tensor *fused = tg_softmax(z, 0);
    tg_tensor *e = tg_exp(zc);
    tg_tensor *composed = tg_div(e, tg_sum(e));
    ck_assert_int_eq(tg_backward(tg_sum(tg_mul(fused, weights))), 0);
    ck_assert_int_eq(tg_backward(tg_sum(tg_mul(composed, weights))), 0);
    for (int i = 0; i < 5; i++) {
        tu_assert_close(tg_get(fused, i), tg_get(composed, i), 1e-15);
        tu_assert_close(tg_grad_get(z, i), tg_grad_get(zc, i), 1e-14);
    }
}
END_TEST

/* The notes' classifier loss -(y log yhat + (1 - y) log(1 - yhat)) on
 * yhat = sigmoid(z), composed from ops. */
static tg_tensor *bce_of_sigmoid(tg_tensor *z, double y)
{
    tg_tensor *yhat = tg_sigmoid(z);
    tg_tensor *pos = tg_mul_scalar(tg_log(yhat), y);
    tg_tensor *neg = tg_mul_scalar(tg_log(tg_add_scalar(tg_neg(yhat), 1)), 1 - y);
    return tg_neg(tg_add(pos, neg));
}

START_TEST(cross_entropy_of_sigmoid_has_gradient_s_minus_y)
{
    const double zs[] = {-4, -1, 0, 0.5, 3}, ys[] = {0, 1, 0.3};
    for (size_t i = 0; i < 5; i++)
        for (size_t k = 0; k < 3; k++) {
            tg_tensor *z = tg_var(zs[i]);
            ck_assert_int_eq(tg_backward(bce_of_sigmoid(z, ys[k])), 0);
            tu_assert_close(tg_grad_get(z, 0), sigmoid_of(zs[i]) - ys[k], 1e-13);
            tg_tape_reset();
        }
}
END_TEST

START_TEST(mse_and_half_sse_gradients)
{
    /* MSE = 1/n sum (y - yhat)^2: d/dyhat = 2/n (yhat - y);
     * L = 1/2 sum (y - yhat)^2:   d/dyhat = yhat - y */
    tg_tensor *yhat = tu_rand(TG_F64, TU_SHAPE(6), -1, 1, true);
    tg_tensor *y = tu_rand(TG_F64, TU_SHAPE(6), -1, 1, false);
    tg_tensor *d = tg_sub(y, yhat);
    ck_assert_int_eq(tg_backward(tg_mean(tg_mul(d, d))), 0);
    for (int i = 0; i < 6; i++)
        tu_assert_close(tg_grad_get(yhat, i), 2.0 / 6 * (tg_get(yhat, i) - tg_get(y, i)), 1e-15);
    tg_zero_grad(yhat);
    d = tg_sub(y, yhat);
    ck_assert_int_eq(tg_backward(tg_mul_scalar(tg_sum(tg_mul(d, d)), 0.5)), 0);
    for (int i = 0; i < 6; i++)
        tu_assert_close(tg_grad_get(yhat, i), tg_get(yhat, i) - tg_get(y, i), 1e-15);
}
END_TEST

START_TEST(linear_regression_gradient)
{
    /* yhat = a + b x, L = 1/2 sum (y - yhat)^2:
     * dL/da = sum (yhat - y), dL/db = sum (yhat - y) x */
    double xs[4] = {-10, 12, -5, 6}, ys[4] = {6, 30, 19, 0}, a0 = 1, b0 = 0.5;
    tg_tensor *a = tg_var(a0), *b = tg_var(b0);
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(4), xs, false);
    tg_tensor *d = tg_sub(tu_tensor(TG_F64, TU_SHAPE(4), ys, false), tg_add(a, tg_mul(b, x)));
    ck_assert_int_eq(tg_backward(tg_mul_scalar(tg_sum(tg_mul(d, d)), 0.5)), 0);
    double da = 0, db = 0;
    for (int i = 0; i < 4; i++) {
        double r = a0 + b0 * xs[i] - ys[i];
        da += r;
        db += r * xs[i];
    }
    tu_assert_close(tg_grad_get(a, 0), da, 1e-15);
    tu_assert_close(tg_grad_get(b, 0), db, 1e-15);
}
END_TEST

START_TEST(chain_rule_of_three_functions)
{
    /* f(g(h(x))) with h = x^2, g = sigmoid, f = exp:
     * df/dx = df/dg dg/dh dh/dx = e^g g (1 - g) 2x */
    for (double x0 = -2; x0 <= 2; x0 += 0.25) {
        tg_tensor *x = tg_var(x0);
        ck_assert_int_eq(tg_backward(tg_exp(tg_sigmoid(tg_mul(x, x)))), 0);
        double g = sigmoid_of(x0 * x0);
        tu_assert_close(tg_grad_get(x, 0), exp(g) * g * (1 - g) * 2 * x0, 1e-14);
        tg_tape_reset();
    }
}
END_TEST

/* L = 1/2 sum (y - f(W3 f(W2 f(W1 x + b1) + b2) + b3))^2, f = sigmoid, with
 * inputs W1 b1 W2 b2 W3 b3 and x, y fixed through ctx. */
typedef struct {
    double x[4], y[2];
} nested_data;

static tg_tensor *nested_network_loss(tg_tensor *const *in, void *ctx)
{
    const nested_data *data = ctx;
    tg_dtype dtype = tg_dtype_of(in[0]);
    tg_tensor *h = tg_tensor_new(dtype, 1, (int64_t[]){4}, data->x, false);
    for (int l = 0; l < 3; l++)
        h = tg_sigmoid(tg_add(tg_matmul(in[2 * l], h), in[2 * l + 1]));
    tg_tensor *d = tg_sub(tg_tensor_new(dtype, 1, (int64_t[]){2}, data->y, false), h);
    return tg_mul_scalar(tg_sum(tg_mul(d, d)), 0.5);
}

START_TEST(nested_network_gradients_match_finite_differences)
{
    nested_data data = {{0.5, -1, 0.25, 2}, {0.1, 0.9}};
    const tu_shape shapes[6] = {TU_SHAPE(5, 4), TU_SHAPE(5), TU_SHAPE(3, 5),
                                TU_SHAPE(3),    TU_SHAPE(2, 3), TU_SHAPE(2)};
    tu_gradcheck_both(nested_network_loss, &data, 6, shapes, -1.5, 1.5);
}
END_TEST

TCase *tg_test_notes(void)
{
    TCase *tc = tu_tcase("notes");
    tcase_add_test(tc, x_squared_minus_ten_has_derivative_two_x);
    tcase_add_test(tc, sigmoid_derivative_is_s_times_one_minus_s);
    tcase_add_test(tc, sigmoid_two_forms_of_the_notes_agree);
    tcase_add_test(tc, tanh_is_two_sigmoid_two_x_minus_one);
    tcase_add_test(tc, relu_is_max_zero_x_and_leaky_is_max_small_x_x);
    tcase_add_test(tc, step_of_a_neuron_is_heaviside_with_zero_gradient);
    tcase_add_test(tc, linear_activation_is_identity);
    tcase_add_test(tc, neuron_gradients_match_closed_form);
    tcase_add_test(tc, layer_sum_form_equals_matrix_form);
    tcase_add_test(tc, softmax_is_exp_over_sum_of_exp);
    tcase_add_test(tc, cross_entropy_of_sigmoid_has_gradient_s_minus_y);
    tcase_add_test(tc, mse_and_half_sse_gradients);
    tcase_add_test(tc, linear_regression_gradient);
    tcase_add_test(tc, chain_rule_of_three_functions);
    tcase_add_test(tc, nested_network_gradients_match_finite_differences);
    return tc;
}
