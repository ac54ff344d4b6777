/* test_norm.c -- tg_norm: p = 1, 2, inf and other p against closed forms,
 * overflow-free scaling, the subgradient 0 at 0 (PyTorch #2421), ties of the
 * inf-norm, second order, and the errors. */
#include "testutil.h"

typedef struct {
    double p;
    int n;
    int axes[TG_MAX_DIMS];
    bool keepdim;
} norm_arg;

static tg_tensor *norm_fn(tg_tensor *const *in, void *ctx)
{
    const norm_arg *a = ctx;
    return tg_norm(in[0], a->p, a->n, a->axes, a->keepdim);
}

START_TEST(norm_values)
{
    double v[6] = {3, -4, 0, 1, -2, 2};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double tol = dt == TG_F32 ? 1e-6 : 1e-15;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), v, false);
        tg_tensor *rows = tg_norm(x, 2, 1, (const int[]){1}, false);
        tu_assert_ok(rows);
        tu_assert_close(tg_get(rows, 0), 5, tol);
        tu_assert_close(tg_get(rows, 1), 3, tol);
        tu_assert_close(tg_item(tg_norm(x, 1, 0, NULL, false)), 12, tol);
        tu_assert_close(tg_item(tg_norm(x, INFINITY, 0, NULL, false)), 4, tol);
        tu_assert_close(tg_item(tg_norm(x, 3, 2, (const int[]){0, 1}, false)),
                        cbrt(27 + 64 + 1 + 8 + 8), tol);
        tu_assert_close(tg_item(tg_norm(x, 0.5, 0, NULL, false)),
                        pow(sqrt(3) + 2 + 1 + 2 * sqrt(2), 2), tol);
        tg_tensor *cols = tg_norm(x, 2, 1, (const int[]){0}, true);
        ck_assert_int_eq(tg_ndim(cols), 2);
        tu_assert_close(tg_get(cols, 1), sqrt(20), tol);
        double p;
        ck_assert(tg_op_constant(tg_norm(tu_tensor((tg_dtype)dt, TU_SHAPE(2), v, true), 1.5, 0,
                                         NULL, false), &p));
        tu_assert_close(p, 1.5, 0);
    }
}
END_TEST

/* sqrt(sum(x^2)) overflows at 1e200 in f64 and 1e30 in f32; the norm is
 * scaled by max |x| and stays finite, with a finite gradient. */
START_TEST(norm_does_not_overflow)
{
    static const double big[2] = {1e30, 1e200};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double b = big[dt == TG_F64];
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2), (double[]){b, -b}, true);
        tg_tensor *y = tg_norm(x, 2, 0, NULL, false);
        tu_assert_close(tg_item(y) / b, sqrt(2), 1e-6);
        ck_assert_int_eq(tg_backward(y), 0);
        tu_assert_close(tg_grad_get(x, 0), 1 / sqrt(2), 1e-6);
        tu_assert_close(tg_grad_get(x, 1), -1 / sqrt(2), 1e-6);
        tg_tensor *tiny = tu_tensor((tg_dtype)dt, TU_SHAPE(2), (double[]){1e-30, 1e-30}, false);
        tu_assert_close(tg_item(tg_norm(tiny, 2, 0, NULL, false)) / 1e-30, sqrt(2), 1e-6);
        tg_tensor *high = tu_tensor((tg_dtype)dt, TU_SHAPE(2), (double[]){3, 2}, true);
        tg_tensor *z = tg_norm(high, 100, 0, NULL, false); /* 3^100 overflows f32 */
        ck_assert_int_eq(tg_backward(z), 0);
        ck_assert(isfinite(tg_item(z)) && isfinite(tg_grad_get(high, 0)));
        tu_assert_close(tg_grad_get(high, 0), 1, 1e-6);
    }
}
END_TEST

/* The gradient of sqrt(sum(x^2)) at 0 is NaN; the norm's is 0 for every p
 * (PyTorch's subgradient), also at second order, and where x = 0 with p < 1
 * (0 * inf otherwise). */
START_TEST(norm_subgradient_at_zero)
{
    static const double ps[] = {0.5, 1, 1.5, 2, 3, INFINITY};
    for (int dt = TG_F32; dt <= TG_F64; dt++)
        for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
            tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(3), (double[]){0, 0, 0}, true), *dx;
            tg_tensor *y = tg_norm(x, ps[k], 0, NULL, false);
            tu_assert_close(tg_item(y), 0, 0);
            ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dx, true), 0);
            for (int i = 0; i < 3; i++)
                tu_assert_close(tg_get(dx, i), 0, 0);
            tg_tensor *part = tu_tensor((tg_dtype)dt, TU_SHAPE(2), (double[]){0, -2}, true);
            ck_assert_int_eq(tg_backward(tg_norm(part, ps[k], 0, NULL, false)), 0);
            tu_assert_close(tg_grad_get(part, 0), 0, 0);
            tu_assert_close(tg_grad_get(part, 1), -1, 1e-6);
        }
}
END_TEST

START_TEST(norm_gradients_closed_form)
{
    double v[3] = {1, -2, 0.5};
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), v, true);
    tg_tensor *y = tg_norm(x, 3, 0, NULL, false);
    ck_assert_int_eq(tg_backward(y), 0);
    double n = tg_item(y);
    for (int i = 0; i < 3; i++) /* sign(x) |x|^2 / n^2 */
        tu_assert_close(tg_grad_get(x, i), (v[i] > 0 ? 1 : -1) * v[i] * v[i] / (n * n), 1e-15);
    /* inf-norm: tied maxima share g evenly, with their signs */
    tg_tensor *t = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){2, -2, 1}, true);
    ck_assert_int_eq(tg_backward(tg_norm(t, INFINITY, 0, NULL, false)), 0);
    tu_assert_close(tg_grad_get(t, 0), 0.5, 0);
    tu_assert_close(tg_grad_get(t, 1), -0.5, 0);
    tu_assert_close(tg_grad_get(t, 2), 0, 0);
}
END_TEST

START_TEST(norm_gradcheck)
{
    static const struct {
        tu_shape shape;
        norm_arg arg;
    } cases[] = {
        {TU_SCALAR, {2, 0, {0}, false}},            {TU_SHAPE(5), {1, 1, {0}, true}},
        {TU_SHAPE(2, 3), {2, 2, {0, 1}, false}},    {TU_SHAPE(2, 3), {3, 1, {-1}, true}},
        {TU_SHAPE(3, 1, 2), {0.5, 2, {0, 1}, true}}, {TU_SHAPE(2, 3, 2), {2.5, 2, {0, 2}, false}},
        {TU_SHAPE(2, 3), {INFINITY, 1, {1}, false}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int dt = TG_F32; dt <= TG_F64; dt++) {
            /* away from 0, where the norm has its kink */
            tg_tensor *x = tu_rand((tg_dtype)dt, cases[i].shape, 0.5, 2, true);
            for (int64_t k = 0; k < tg_numel(x); k += 2)
                tg_set(x, k, -tg_get(x, k));
            if (cases[i].arg.p == INFINITY) /* distinct magnitudes: no ties */
                for (int64_t k = 0; k < tg_numel(x); k++)
                    tg_set(x, k, (k % 2 ? -1 : 1) * (0.5 + 0.25 * (double)k));
            ck_assert_msg(tg_gradcheck(norm_fn, (void *)&cases[i].arg, 1, &x, NULL, NULL) == 0,
                          "%s", tg_last_error());
            tg_gradcheck_opts f32 = {1e-2, 2e-2, 2e-2};
            ck_assert_msg(tg_gradgradcheck(norm_fn, (void *)&cases[i].arg, 1, &x,
                                           dt == TG_F32 ? &f32 : NULL, NULL) == 0,
                          "%s", tg_last_error());
        }
}
END_TEST

START_TEST(norm_errors)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){1, 3}, false);
    ck_assert_ptr_null(tg_norm(x, 0, 0, NULL, false));
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(), "tg_norm: p = 0; the norm needs p > 0 (or INFINITY)");
    tg_clear_error();
    ck_assert_ptr_null(tg_norm(x, NAN, 0, NULL, false));
    tg_clear_error();
    ck_assert_ptr_null(tg_norm(x, -INFINITY, 0, NULL, false));
    tg_clear_error();
    ck_assert_ptr_null(tg_norm(x, 2, 1, (const int[]){-2}, false));
    ck_assert_str_eq(tg_last_error(), "tg_norm: axis -2 out of range for shape [2]");
}
END_TEST

TCase *tg_test_norm(void)
{
    TCase *tc = tu_tcase("norm");
    tcase_add_test(tc, norm_values);
    tcase_add_test(tc, norm_does_not_overflow);
    tcase_add_test(tc, norm_subgradient_at_zero);
    tcase_add_test(tc, norm_gradients_closed_form);
    tcase_add_test(tc, norm_gradcheck);
    tcase_add_test(tc, norm_errors);
    return tc;
}
