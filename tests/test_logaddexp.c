/* test_logaddexp.c -- tg_logaddexp: values and gradients against the
 * closed form, 1e4 and 1e4, infinities, broadcasting, errors. */
#include "testutil.h"

static tg_tensor *logaddexp_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_logaddexp(in[0], in[1]);
}

static double sigmoid(double v) { return v >= 0 ? 1 / (1 + exp(-v)) : exp(v) / (1 + exp(v)); }

START_TEST(logaddexp_values_and_gradient)
{
    double a[7] = {0, 1e4, -1e4, 1e4, 3, -2, 800}, b[7] = {0, 1e4, -1e4, -1e4, 2.5, 7, 799};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *ta = tu_tensor((tg_dtype)dt, TU_SHAPE(7), a, true);
        tg_tensor *tb = tu_tensor((tg_dtype)dt, TU_SHAPE(7), b, true);
        tg_tensor *y = tg_logaddexp(ta, tb);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_backward(tg_sum(y)), 0);
        double tol = dt == TG_F32 ? 1e-6 : 1e-15;
        for (int i = 0; i < 7; i++) {
            double want = fmax(a[i], b[i]) + log1p(exp(-fabs(a[i] - b[i])));
            tu_assert_close(tg_get(y, i), want, tol);
            tu_assert_close(tg_grad_get(ta, i), sigmoid(a[i] - b[i]), tol);
            tu_assert_close(tg_grad_get(tb, i), sigmoid(b[i] - a[i]), tol);
        }
        tu_assert_close(tg_get(y, 1), 1e4 + log(2.0), tol); /* not inf */
        tg_tape_reset();
    }
}
END_TEST

START_TEST(logaddexp_infinities)
{
    ck_assert(tg_item(tg_logaddexp(tg_scalar(INFINITY), tg_scalar(INFINITY))) == INFINITY);
    ck_assert(tg_item(tg_logaddexp(tg_scalar(-INFINITY), tg_scalar(-INFINITY))) == -INFINITY);
    ck_assert(tg_item(tg_logaddexp(tg_scalar(-INFINITY), tg_scalar(2))) == 2);
    ck_assert(isnan(tg_item(tg_logaddexp(tg_scalar(NAN), tg_scalar(2)))));
}
END_TEST

START_TEST(logaddexp_gradcheck)
{
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
        tu_gradcheck_both(logaddexp_fn, NULL, 2, tu_broadcast_pairs[p], -3, 3);
}
END_TEST

START_TEST(logaddexp_errors)
{
    ck_assert_ptr_null(tg_logaddexp(NULL, tg_var(1)));
    ck_assert_str_eq(tg_last_error(), "tg_logaddexp: argument 1 is NULL");
    tg_clear_error();
    ck_assert_ptr_null(tg_logaddexp(tg_var(1), tu_tensor(TG_F32, TU_SCALAR, NULL, false)));
    ck_assert_int_eq(tg_last_error_code(), TG_EDTYPE);
}
END_TEST

TCase *tg_test_logaddexp(void)
{
    TCase *tc = tu_tcase("logaddexp");
    tcase_add_test(tc, logaddexp_values_and_gradient);
    tcase_add_test(tc, logaddexp_infinities);
    tcase_add_test(tc, logaddexp_gradcheck);
    tcase_add_test(tc, logaddexp_errors);
    return tc;
}
