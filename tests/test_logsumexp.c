/* test_logsumexp.c -- tg_logsumexp: values against log(sum(exp)), the
 * stability cases (PyTorch #31829), infinities, the softmax gradient and
 * second order. */
#include "testutil.h"

typedef struct {
    int n;
    int axes[TG_MAX_DIMS];
    bool keepdim;
} axes_arg;

static tg_tensor *lse_fn(tg_tensor *const *in, void *ctx)
{
    const axes_arg *a = ctx;
    return tg_logsumexp(in[0], a->n, a->axes, a->keepdim);
}

START_TEST(logsumexp_values)
{
    double v[6] = {-1, 0.5, 2, 3, -4, 0};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), v, false);
        double tol = dt == TG_F32 ? 1e-6 : 1e-15;
        tg_tensor *rows = tg_logsumexp(x, 1, (const int[]){1}, false);
        tu_assert_ok(rows);
        ck_assert_int_eq(tg_ndim(rows), 1);
        for (int r = 0; r < 2; r++)
            tu_assert_close(tg_get(rows, r),
                            log(exp(v[3 * r]) + exp(v[3 * r + 1]) + exp(v[3 * r + 2])), tol);
        double all = 0;
        for (int i = 0; i < 6; i++)
            all += exp(v[i]);
        tu_assert_close(tg_item(tg_logsumexp(x, 0, NULL, false)), log(all), tol);
        tg_tensor *kept = tg_logsumexp(x, 2, (const int[]){0, 1}, true);
        ck_assert_int_eq(tg_ndim(kept), 2);
        tu_assert_close(tg_get(kept, 0), log(all), tol);
    }
}
END_TEST

/* log(sum(exp(x))) at [1000, 1000] is inf; logsumexp is 1000 + log 2 with
 * gradient (1/2, 1/2), in both dtypes, and stays exact at -1000. */
START_TEST(logsumexp_is_stable)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double tol = dt == TG_F32 ? 1e-7 : 1e-15;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2), (double[]){1000, 1000}, true);
        tg_tensor *y = tg_logsumexp(x, 0, NULL, false);
        tu_assert_close(tg_item(y), 1000 + log(2), tol);
        ck_assert_int_eq(tg_backward(y), 0);
        /* e^(x - y) with y rounded to f32 near 1000 (ulp 6e-5), as PyTorch's
         * rule computes it */
        double gtol = dt == TG_F32 ? 1e-4 : 1e-12;
        tu_assert_close(tg_grad_get(x, 0), 0.5, gtol);
        tu_assert_close(tg_grad_get(x, 1), 0.5, gtol);
        tg_tensor *low = tu_tensor((tg_dtype)dt, TU_SHAPE(2), (double[]){-1000, -1001}, false);
        tu_assert_close(tg_item(tg_logsumexp(low, 0, NULL, false)), -1000 + log1p(exp(-1)), tol);
    }
}
END_TEST

/* An infinite maximum is replaced by 0 (as in PyTorch): all -inf gives
 * -inf, and +inf gives +inf, not inf - inf = NaN. */
START_TEST(logsumexp_of_infinities)
{
    tg_tensor *neg = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){-INFINITY, -INFINITY}, false);
    double y = tg_item(tg_logsumexp(neg, 0, NULL, false));
    ck_assert(isinf(y) && y < 0);
    tg_tensor *pos = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){INFINITY, 1}, false);
    y = tg_item(tg_logsumexp(pos, 0, NULL, false));
    ck_assert(isinf(y) && y > 0);
    tg_tensor *nan = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){NAN, 1}, false);
    ck_assert(isnan(tg_item(tg_logsumexp(nan, 0, NULL, false))));
}
END_TEST

START_TEST(logsumexp_gradient_is_softmax)
{
    double v[3] = {0.5, -1, 2};
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), v, true);
    ck_assert_int_eq(tg_backward(tg_logsumexp(x, 0, NULL, false)), 0);
    double s = exp(0.5) + exp(-1) + exp(2);
    for (int i = 0; i < 3; i++)
        tu_assert_close(tg_grad_get(x, i), exp(v[i]) / s, 1e-15);
    /* second derivative of logsumexp of a scalar is 0; of [a, b] w.r.t. a
     * it is p (1 - p), p = softmax */
    tg_tensor *a = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){0.3, -0.2}, true), *da, *d2;
    tg_tensor *y = tg_logsumexp(a, 0, NULL, false);
    ck_assert_int_eq(tg_grad(&y, 1, &a, 1, &da, true), 0);
    tg_tensor *first = tg_reshape(da, 1, (const int64_t[]){2});
    tg_tensor *d0 = tg_sum(tg_mul(first, tu_tensor(TG_F64, TU_SHAPE(2), (double[]){1, 0}, false)));
    ck_assert_int_eq(tg_grad(&d0, 1, &a, 1, &d2, false), 0);
    double p = exp(0.3) / (exp(0.3) + exp(-0.2));
    tu_assert_close(tg_get(d2, 0), p * (1 - p), 1e-15);
}
END_TEST

START_TEST(logsumexp_gradcheck)
{
    static const struct {
        tu_shape shape;
        axes_arg arg;
    } cases[] = {
        {TU_SCALAR, {0, {0}, false}},             {TU_SHAPE(5), {1, {0}, true}},
        {TU_SHAPE(2, 3), {2, {0, 1}, false}},     {TU_SHAPE(2, 3), {1, {-1}, true}},
        {TU_SHAPE(3, 1, 2), {2, {0, 1}, true}},   {TU_SHAPE(2, 3, 2), {2, {0, 2}, false}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        tu_gradcheck_both(lse_fn, (void *)&cases[i].arg, 1, &cases[i].shape, -3, 3);
}
END_TEST

START_TEST(logsumexp_errors)
{
    ck_assert_ptr_null(tg_logsumexp(NULL, 0, NULL, false));
    ck_assert_str_eq(tg_last_error(), "tg_logsumexp: argument 1 is NULL");
    tg_clear_error();
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){1, 2}, false);
    ck_assert_ptr_null(tg_logsumexp(x, 1, (const int[]){1}, false));
    ck_assert_str_eq(tg_last_error(), "tg_logsumexp: axis 1 out of range for shape [2]");
    tg_clear_error();
    tg_tensor *empty = tu_tensor(TG_F64, TU_SHAPE(0), NULL, false);
    double y = tg_item(tg_logsumexp(empty, 0, NULL, false)); /* log 0 */
    ck_assert(isinf(y) && y < 0);
}
END_TEST

TCase *tg_test_logsumexp(void)
{
    TCase *tc = tu_tcase("logsumexp");
    tcase_add_test(tc, logsumexp_values);
    tcase_add_test(tc, logsumexp_is_stable);
    tcase_add_test(tc, logsumexp_of_infinities);
    tcase_add_test(tc, logsumexp_gradient_is_softmax);
    tcase_add_test(tc, logsumexp_gradcheck);
    tcase_add_test(tc, logsumexp_errors);
    return tc;
}
