/* suite_higher.c -- gradients of gradients: tg_grad, TG_CREATE_GRAPH,
 * Hessians, Hessian-vector products, a gradient penalty, gradgradcheck. */
#include <string.h>

#include "testutil.h"

/* d out / d x through tg_grad, recorded when create_graph. */
static tg_tensor *derivative(tg_tensor *out, tg_tensor *x, bool create_graph)
{
    tg_tensor *d = NULL;
    ck_assert_msg(tg_grad(&out, 1, &x, 1, &d, create_graph) == 0, "%s", tg_last_error());
    return d;
}

START_TEST(second_derivative_of_cube_is_6x)
{
    for (double x0 = -2; x0 <= 2; x0 += 0.5) {
        tg_tensor *x = tg_var(x0);
        tg_tensor *cubes[2] = {tg_pow_scalar(x, 3), tg_mul(tg_mul(x, x), x)};
        for (int k = 0; k < 2; k++) {
            tg_tensor *dy = derivative(cubes[k], x, true);
            tu_assert_close(tg_item(dy), 3 * x0 * x0, 1e-14);
            ck_assert(tg_requires_grad(dy));
            tu_assert_close(tg_item(derivative(dy, x, false)), 6 * x0, 1e-14);
        }
        tg_tape_reset();
    }
}
END_TEST

/* p(x) = 2x^4 - 3x^3 + x^2 - 5x + 7 */
static tg_tensor *polynomial(tg_tensor *x)
{
    tg_tensor *p = tg_mul_scalar(tg_pow_scalar(x, 4), 2);
    p = tg_sub(p, tg_mul_scalar(tg_mul(x, tg_mul(x, x)), 3));
    p = tg_add(p, tg_mul(x, x));
    return tg_add_scalar(tg_sub(p, tg_mul_scalar(x, 5)), 7);
}

START_TEST(derivatives_of_a_polynomial_to_fifth_order)
{
    for (double x0 = -1.5; x0 <= 1.5; x0 += 0.75) {
        tg_tensor *x = tg_var(x0), *d = polynomial(x);
        double want[6] = {0, 8 * pow(x0, 3) - 9 * x0 * x0 + 2 * x0 - 5,
                          24 * x0 * x0 - 18 * x0 + 2, 48 * x0 - 18, 48, 0};
        for (int order = 1; order <= 5; order++) {
            d = derivative(d, x, true);
            tu_assert_close(tg_item(d), want[order], 1e-12);
        }
        ck_assert(!tg_requires_grad(d)); /* the fifth derivative is a constant */
        tg_tape_reset();
    }
}
END_TEST

/* ---- a small MLP: L(W1, W2) = sum((W2 tanh(W1 x) - t)^2) + sum(sigmoid(W1 x)) ---- */

enum { IN = 3, HIDDEN = 4, N_PARAMS = HIDDEN * IN + HIDDEN };

static tg_tensor *mlp_loss(tg_tensor *w1, tg_tensor *w2)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(IN), (double[]){0.5, -1.0, 1.5}, false);
    tg_tensor *pre = tg_matmul(w1, x);
    tg_tensor *out = tg_matmul(w2, tg_tanh(pre));
    tg_tensor *err = tg_add_scalar(out, -0.3);
    return tg_add(tg_mul(err, err), tg_sum(tg_sigmoid(pre)));
}

static void mlp_params(const double *theta, tg_tensor **w1, tg_tensor **w2)
{
    *w1 = tu_tensor(TG_F64, TU_SHAPE(HIDDEN, IN), theta, true);
    *w2 = tu_tensor(TG_F64, TU_SHAPE(HIDDEN), theta + HIDDEN * IN, true);
}

/* The gradient of the loss at theta, flattened (first order). */
static void mlp_gradient(const double *theta, double *grad)
{
    tg_tensor *w1, *w2, *g[2];
    mlp_params(theta, &w1, &w2);
    tg_tensor *loss = mlp_loss(w1, w2);
    ck_assert_int_eq(tg_grad(&loss, 1, (tg_tensor *[]){w1, w2}, 2, g, false), 0);
    for (int i = 0; i < N_PARAMS; i++)
        grad[i] = i < HIDDEN * IN ? tg_get(g[0], i) : tg_get(g[1], i - HIDDEN * IN);
}

static const double theta0[N_PARAMS] = {0.3,  -0.2, 0.5, 0.1, 0.4,  -0.6, 0.2, 0.7,
                                        -0.3, 0.25, 0.6, -0.1, 0.8, -0.5, 0.35, -0.45};

/* Row i of the Hessian: d (dL/dtheta_i) / dtheta, one sweep through the
 * recorded gradient with a one-hot seed. */
static void hessian(double h[N_PARAMS][N_PARAMS])
{
    tg_tensor *w1, *w2, *g[2], *row[2];
    mlp_params(theta0, &w1, &w2);
    tg_tensor *loss = mlp_loss(w1, w2), *params[2] = {w1, w2};
    ck_assert_int_eq(tg_grad(&loss, 1, params, 2, g, true), 0);
    for (int i = 0; i < N_PARAMS; i++) {
        int part = i >= HIDDEN * IN, at = part ? i - HIDDEN * IN : i;
        tg_tensor *seed = tg_tensor_new(TG_F64, tg_ndim(g[part]), tg_shape(g[part]), NULL, false);
        tg_set(seed, at, 1);
        ck_assert_int_eq(tg_grad_ex(&g[part], &seed, 1, params, 2, row, TG_RETAIN_GRAPH), 0);
        for (int j = 0; j < N_PARAMS; j++)
            h[i][j] = j < HIDDEN * IN ? tg_get(row[0], j) : tg_get(row[1], j - HIDDEN * IN);
    }
}

START_TEST(mlp_hessian_matches_differences_of_its_gradient)
{
    double h[N_PARAMS][N_PARAMS], theta[N_PARAMS], up[N_PARAMS], down[N_PARAMS];
    hessian(h);
    const double eps = 1e-5;
    for (int j = 0; j < N_PARAMS; j++) {
        memcpy(theta, theta0, sizeof theta);
        theta[j] += eps;
        mlp_gradient(theta, up);
        theta[j] -= 2 * eps;
        mlp_gradient(theta, down);
        for (int i = 0; i < N_PARAMS; i++) {
            double numeric = (up[i] - down[i]) / (2 * eps);
            ck_assert_msg(fabs(h[i][j] - numeric) < 1e-7, "H[%d][%d] = %.12g, numeric %.12g", i,
                          j, h[i][j], numeric);
            tu_assert_close(h[i][j], h[j][i], 1e-12); /* symmetric */
        }
    }
}
END_TEST

START_TEST(hessian_vector_product_in_two_sweeps)
{
    double h[N_PARAMS][N_PARAMS], v[N_PARAMS];
    hessian(h);
    for (int i = 0; i < N_PARAMS; i++)
        v[i] = sin(1.0 + i);
    /* Hv = d <dL/dtheta, v> / dtheta, never forming H */
    tg_tensor *w1, *w2, *g[2], *hv[2];
    mlp_params(theta0, &w1, &w2);
    tg_tensor *loss = mlp_loss(w1, w2), *params[2] = {w1, w2};
    ck_assert_int_eq(tg_grad(&loss, 1, params, 2, g, true), 0);
    tg_tensor *v1 = tu_tensor(TG_F64, TU_SHAPE(HIDDEN, IN), v, false);
    tg_tensor *v2 = tu_tensor(TG_F64, TU_SHAPE(HIDDEN), v + HIDDEN * IN, false);
    tg_tensor *gv = tg_add(tg_sum(tg_mul(g[0], v1)), tg_sum(tg_mul(g[1], v2)));
    ck_assert_int_eq(tg_grad(&gv, 1, params, 2, hv, false), 0);
    for (int i = 0; i < N_PARAMS; i++) {
        double want = 0;
        for (int j = 0; j < N_PARAMS; j++)
            want += h[i][j] * v[j];
        double got = i < HIDDEN * IN ? tg_get(hv[0], i) : tg_get(hv[1], i - HIDDEN * IN);
        tu_assert_close(got, want, 1e-12);
    }
}
END_TEST

/* ---- a gradient penalty: L + lambda ||dL/dx||^2, trained on parameters ---- */

enum { BATCH = 4, FEATURES = 2 };

static tg_tensor *penalised_loss(tg_tensor *w, tg_tensor *b, double *plain)
{
    static const double xs[BATCH * FEATURES] = {0.5, -1, 1, 0.25, -0.5, 0.75, 1.5, -0.25};
    static const double ys[BATCH] = {1, 0, 0.5, 1};
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(BATCH, FEATURES), xs, true);
    tg_tensor *y = tu_tensor(TG_F64, TU_SHAPE(BATCH), ys, false);
    tg_tensor *pred = tg_sigmoid(tg_add(tg_matmul(x, w), b));
    tg_tensor *err = tg_sub(pred, y);
    tg_tensor *loss = tg_mean(tg_mul(err, err)), *dx;
    ck_assert_int_eq(tg_grad(&loss, 1, &x, 1, &dx, true), 0);
    if (plain)
        *plain = tg_item(loss);
    return tg_add(loss, tg_mul_scalar(tg_sum(tg_mul(dx, dx)), 10));
}

static tg_tensor *penalised_of_params(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return penalised_loss(in[0], in[1], NULL);
}

START_TEST(gradient_penalty_trains_and_passes_gradcheck)
{
    tg_tensor *w = tg_param(TG_F64, 1, (int64_t[]){FEATURES}, (double[]){1.5, -2});
    tg_tensor *b = tg_param(TG_F64, 0, NULL, (double[]){0.2});
    tg_tensor *params[2] = {w, b};
    ck_assert_msg(tg_gradcheck(penalised_of_params, NULL, 2, params, NULL, NULL) == 0, "%s",
                  tg_last_error());
    double first = 0, last = 0;
    for (int step = 0; step < 20; step++) {
        tg_tensor *total = penalised_loss(w, b, NULL);
        last = tg_item(total);
        first = step == 0 ? last : first;
        ck_assert_int_eq(tg_backward(total), 0);
        for (int k = 0; k < 2; k++) {
            for (int64_t i = 0; i < tg_numel(params[k]); i++)
                tg_set(params[k], i, tg_get(params[k], i) - 0.5 * tg_grad_get(params[k], i));
            tg_zero_grad(params[k]);
        }
        tg_tape_reset();
    }
    ck_assert_msg(last < 0.8 * first, "penalised loss %g -> %g", first, last);
    tg_free(w);
    tg_free(b);
}
END_TEST

/* ---- tg_grad's contract ---- */

START_TEST(tg_grad_leaves_grad_fields_alone)
{
    tg_tensor *w = tg_param(TG_F64, 0, NULL, (double[]){3});
    tg_tensor *x = tg_var(2);
    ck_assert_int_eq(tg_backward(tg_mul(w, x)), 0); /* w.grad = 2, x.grad = 3 */
    tg_tensor *y = tg_mul(tg_mul(w, w), x), *g[2];
    ck_assert_int_eq(tg_grad(&y, 1, (tg_tensor *[]){w, x}, 2, g, false), 0);
    tu_assert_close(tg_item(g[0]), 2 * 3 * 2, 0);
    tu_assert_close(tg_item(g[1]), 9, 0);
    tu_assert_close(tg_grad_get(w, 0), 2, 0);
    tu_assert_close(tg_grad_get(x, 0), 3, 0);
    tg_free(w);
}
END_TEST

START_TEST(tg_grad_sums_outputs_and_handles_odd_inputs)
{
    tg_tensor *x = tg_var(2), *z = tg_var(5), *c = tg_scalar(4);
    tg_tensor *h = tg_mul(x, x);     /* an intermediate as an input */
    tg_tensor *outs[3] = {tg_mul(h, x), tg_exp(x), c}; /* c: requires no grad */
    tg_tensor *g[4];
    ck_assert_int_eq(tg_grad(outs, 3, (tg_tensor *[]){x, z, h, x}, 4, g, false), 0);
    tu_assert_close(tg_item(g[0]), 3 * 4 + exp(2.0), 1e-14);
    tu_assert_close(tg_item(g[1]), 0, 0); /* nothing depends on z */
    tu_assert_close(tg_item(g[2]), 2, 0); /* d (h x) / dh */
    tu_assert_close(tg_item(g[3]), tg_item(g[0]), 0);
    ck_assert_ptr_null(tg_grad_tensor(x));
}
END_TEST

START_TEST(tg_grad_with_seeds_and_release)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){1, 2, 3}, true);
    tg_tensor *y = tg_mul(x, x);
    tg_tensor *seed = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){1, 0, -1}, false);
    tg_tensor *g;
    ck_assert_int_lt(tg_grad(&y, 1, &x, 1, &g, false), 0); /* 3 elements need a seed */
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "tg_grad: tensor of shape [3]"));
    tg_clear_error();
    ck_assert_int_eq(tg_grad_ex(&y, &seed, 1, &x, 1, &g, 0), 0);
    tu_assert_close(tg_get(g, 0), 2, 0);
    tu_assert_close(tg_get(g, 1), 0, 0);
    tu_assert_close(tg_get(g, 2), -6, 0);
    ck_assert_int_eq(tg_grad_ex(&y, &seed, 1, &x, 1, &g, 0), TG_ESTATE); /* released */
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "already swept"));
    tg_clear_error();
    ck_assert_int_eq(tg_grad(NULL, 1, &x, 1, &g, false), TG_ENULL);
    ck_assert_int_eq(tg_grad(&y, 0, &x, 1, &g, false), TG_EVALUE);
}
END_TEST

START_TEST(backward_with_create_graph_records_leaf_grads)
{
    tg_tensor *x = tg_var(2);
    tg_tensor *w = tg_param(TG_F64, 0, NULL, (double[]){3});
    ck_assert_int_eq(tg_backward_ex(tg_mul(w, tg_pow_scalar(x, 3)), NULL, TG_CREATE_GRAPH), 0);
    tg_tensor *gx = tg_grad_tensor(x); /* 3 w x^2, recorded */
    tu_assert_close(tg_item(gx), 36, 0);
    ck_assert(tg_requires_grad(gx));
    tu_assert_close(tg_grad_get(w, 0), 8, 0); /* a persistent grad takes the values */
    tg_zero_grad(x);
    tg_zero_grad(w);
    ck_assert_int_eq(tg_backward(gx), 0);
    tu_assert_close(tg_grad_get(x, 0), 6 * 3 * 2, 0);
    tu_assert_close(tg_grad_get(w, 0), 3 * 4, 0);
    tg_free(w);
}
END_TEST

START_TEST(create_graph_records_even_inside_no_grad)
{
    tg_tensor *x = tg_var(1.5), *y = tg_sigmoid(tg_mul(x, x)), *d = NULL;
    TG_NO_GRAD { ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &d, true), 0); }
    ck_assert(tg_requires_grad(d));
    ck_assert(tg_is_grad_enabled());
    double s = 1 / (1 + exp(-2.25)), ds = s * (1 - s);
    /* d/dx (2x s(x^2)(1-s(x^2))) */
    double want = 2 * ds + 4 * 1.5 * 1.5 * ds * (1 - 2 * s);
    tu_assert_close(tg_item(derivative(d, x, false)), want, 1e-13);
}
END_TEST

/* ---- gradgradcheck ---- */

/* y = x^2 whose backward is a raw loop: right to first order, but the
 * next sweep sees a constant, so its second derivative reads as 0. */
static tg_tensor *square_forward(tg_tensor *const *in, void *ud)
{
    (void)ud;
    tg_tensor *y = tg_tensor_new(tg_dtype_of(in[0]), tg_ndim(in[0]), tg_shape(in[0]), NULL, false);
    for (int64_t i = 0; y && i < tg_numel(y); i++)
        tg_set(y, i, tg_get(in[0], i) * tg_get(in[0], i));
    return y;
}

static int square_backward(tg_tensor *out, tg_tensor *g, tg_tensor *const *in, tg_tensor **grad_in,
                           void *ud)
{
    (void)out;
    (void)ud;
    grad_in[0] = tg_tensor_new(tg_dtype_of(g), tg_ndim(g), tg_shape(g), NULL, false);
    for (int64_t i = 0; grad_in[0] && i < tg_numel(g); i++)
        tg_set(grad_in[0], i, 2 * tg_get(in[0], i) * tg_get(g, i));
    return grad_in[0] ? 0 : tg_last_error_code();
}

static const tg_function raw_square = {"raw_square", 1, square_forward, square_backward};

static tg_tensor *raw_square_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_apply(&raw_square, in, NULL);
}

START_TEST(gradgradcheck_catches_a_non_differentiable_backward)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(3), 0.5, 1.5, true);
    ck_assert_int_eq(tg_gradcheck(raw_square_fn, NULL, 1, &x, NULL, NULL), 0);
    tg_gradcheck_result r;
    ck_assert_int_eq(tg_gradgradcheck(raw_square_fn, NULL, 1, &x, NULL, &r), TG_EMISMATCH);
    ck_assert_msg(strstr(tg_last_error(), "tg_gradgradcheck: gradient of input 0, input 0 ") ==
                      tg_last_error(),
                  "%s", tg_last_error());
    tu_assert_close(r.analytic, 0, 0);
    ck_assert(fabs(r.numeric) > 1);
}
END_TEST

static tg_tensor *mlp_of_params(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return mlp_loss(in[0], in[1]);
}

START_TEST(gradgradcheck_of_an_mlp_loss)
{
    tg_tensor *w1, *w2;
    mlp_params(theta0, &w1, &w2);
    tg_gradcheck_result r;
    ck_assert_msg(tg_gradgradcheck(mlp_of_params, NULL, 2, (tg_tensor *[]){w1, w2}, NULL, &r) == 0,
                  "%s", tg_last_error());
    /* each of the two gradients against both inputs and the seed */
    ck_assert_int_eq(r.checked, (HIDDEN * IN + HIDDEN) * (N_PARAMS + 1));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("higher");
    TCase *tc = tu_tcase("higher");
    tcase_add_test(tc, second_derivative_of_cube_is_6x);
    tcase_add_test(tc, derivatives_of_a_polynomial_to_fifth_order);
    tcase_add_test(tc, mlp_hessian_matches_differences_of_its_gradient);
    tcase_add_test(tc, hessian_vector_product_in_two_sweeps);
    tcase_add_test(tc, gradient_penalty_trains_and_passes_gradcheck);
    tcase_add_test(tc, tg_grad_leaves_grad_fields_alone);
    tcase_add_test(tc, tg_grad_sums_outputs_and_handles_odd_inputs);
    tcase_add_test(tc, tg_grad_with_seeds_and_release);
    tcase_add_test(tc, backward_with_create_graph_records_leaf_grads);
    tcase_add_test(tc, create_graph_records_even_inside_no_grad);
    tcase_add_test(tc, gradgradcheck_catches_a_non_differentiable_backward);
    tcase_add_test(tc, gradgradcheck_of_an_mlp_loss);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
