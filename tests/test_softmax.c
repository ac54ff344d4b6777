/* test_softmax.c -- tg_softmax and tg_log_softmax: values, stability, the
 * Jacobian, gradients, errors. */
#include "testutil.h"

typedef struct {
    tg_tensor *(*f)(tg_tensor *x, int axis);
    int axis;
} axis_arg;

static tg_tensor *axis_fn(tg_tensor *const *in, void *ctx)
{
    const axis_arg *arg = ctx;
    return arg->f(in[0], arg->axis);
}

START_TEST(softmax_values)
{
    double v[6] = {1, 2, 3, 0, 0, 0}; /* [[1,2,3],[0,0,0]] */
    double z = exp(1) + exp(2) + exp(3);
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double tol = dt == TG_F32 ? 1e-6 : 1e-15;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), v, false);
        tg_tensor *y = tg_softmax(x, -1), *ly = tg_log_softmax(x, 1);
        tu_assert_ok(y);
        tu_assert_ok(ly);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_ndim(y), 2);
        for (int j = 0; j < 3; j++) {
            tu_assert_close(tg_get(y, j), exp(v[j]) / z, tol);
            tu_assert_close(tg_get(y, 3 + j), 1.0 / 3, tol);
            tu_assert_close(tg_get(ly, j), v[j] - log(z), tol);
            tu_assert_close(tg_get(ly, 3 + j), -log(3), tol);
        }
    }
}
END_TEST

START_TEST(softmax_along_the_first_axis)
{
    double v[6] = {1, 2, 3, 0, 0, 0};
    tg_tensor *y = tg_softmax(tu_tensor(TG_F64, TU_SHAPE(2, 3), v, false), 0);
    tu_assert_ok(y);
    for (int j = 0; j < 3; j++) {
        double e = exp(v[j]);
        tu_assert_close(tg_get(y, j), e / (e + 1), 1e-15);
        tu_assert_close(tg_get(y, 3 + j), 1 / (e + 1), 1e-15);
    }
}
END_TEST

START_TEST(huge_logits_stay_finite)
{
    double v[3] = {1e4, 0, -1e4};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(3), v, true);
        tg_tensor *y = tg_softmax(x, 0), *ly = tg_log_softmax(x, 0);
        tu_assert_ok(y);
        tu_assert_ok(ly);
        double want[3] = {1, 0, 0}, want_log[3] = {0, -1e4, -2e4};
        for (int j = 0; j < 3; j++) {
            ck_assert(isfinite(tg_get(y, j)) && isfinite(tg_get(ly, j)));
            tu_assert_close(tg_get(y, j), want[j], 0);
            tu_assert_close(tg_get(ly, j), want_log[j], 0);
        }
        /* d/dx of log_softmax(x)[1] is e_1 - softmax(x) = [-1, 1, 0] */
        tg_tensor *seed = tu_tensor((tg_dtype)dt, TU_SHAPE(3), (double[]){0, 1, 0}, false);
        ck_assert_int_eq(tg_backward_ex(ly, seed, 0), 0);
        double want_grad[3] = {-1, 1, 0};
        for (int j = 0; j < 3; j++)
            tu_assert_close(tg_grad_get(x, j), want_grad[j], 0);
    }
}
END_TEST

/* Row r of the Jacobian is the gradient of y_r: seed e_r, sweep, read x's
 * gradient; it must be y_r (delta_rc - y_c). */
START_TEST(softmax_jacobian_is_diag_minus_outer)
{
    double v[4] = {0.5, -1, 2, 0.25};
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(4), v, true);
    tg_tensor *y = tg_softmax(x, 0);
    tu_assert_ok(y);
    for (int r = 0; r < 4; r++) {
        tg_tensor *seed = tu_tensor(TG_F64, TU_SHAPE(4), NULL, false);
        tg_set(seed, r, 1);
        tg_zero_grad(x);
        ck_assert_int_eq(tg_backward_ex(y, seed, TG_RETAIN_GRAPH), 0);
        for (int c = 0; c < 4; c++) {
            double yr = tg_get(y, r), yc = tg_get(y, c);
            tu_assert_close(tg_grad_get(x, c), (r == c ? yr : 0) - yr * yc, 1e-15);
        }
    }
}
END_TEST

START_TEST(softmax_gradcheck)
{
    static const struct {
        tu_shape shape;
        int axis;
    } cases[] = {
        {TU_SHAPE(1), 0},       {TU_SHAPE(4), 0},        {TU_SHAPE(4), -1},
        {TU_SHAPE(2, 3), 0},    {TU_SHAPE(2, 3), 1},     {TU_SHAPE(2, 3), -2},
        {TU_SHAPE(3, 1), 1},    {TU_SHAPE(2, 3, 2), 1},  {TU_SHAPE(2, 3, 2), -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        axis_arg soft = {tg_softmax, cases[i].axis}, log_soft = {tg_log_softmax, cases[i].axis};
        tu_gradcheck_both(axis_fn, &soft, 1, &cases[i].shape, -3, 3);
        tu_gradcheck_both(axis_fn, &log_soft, 1, &cases[i].shape, -3, 3);
    }
}
END_TEST

START_TEST(bad_axis_is_an_error)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2, 3), NULL, false);
    ck_assert_ptr_null(tg_softmax(x, 2));
    ck_assert_int_eq(tg_last_error_code(), TG_EAXIS);
    ck_assert_str_eq(tg_last_error(), "tg_softmax: axis 2 out of range for shape [2,3]");
    tg_clear_error();
    ck_assert_ptr_null(tg_log_softmax(tg_scalar(1), 0));
    ck_assert_str_eq(tg_last_error(), "tg_log_softmax: axis 0 out of range for shape []");
}
END_TEST

TCase *tg_test_softmax(void)
{
    TCase *tc = tu_tcase("softmax");
    tcase_add_test(tc, softmax_values);
    tcase_add_test(tc, softmax_along_the_first_axis);
    tcase_add_test(tc, huge_logits_stay_finite);
    tcase_add_test(tc, softmax_jacobian_is_diag_minus_outer);
    tcase_add_test(tc, softmax_gradcheck);
    tcase_add_test(tc, bad_axis_is_an_error);
    return tc;
}
