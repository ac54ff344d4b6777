/* test_variance.c -- tg_variance and tg_std: values with PyTorch's
 * correction, a large common offset, the gradients, std's zero gradient at
 * zero variance (PyTorch's std_backward), N - correction <= 0, errors. */
#include "testutil.h"

typedef struct {
    int n;
    int axes[TG_MAX_DIMS];
    double correction;
    bool keepdim;
} spread_arg;

static tg_tensor *var_fn(tg_tensor *const *in, void *ctx)
{
    const spread_arg *a = ctx;
    return tg_variance(in[0], a->n, a->axes, a->correction, a->keepdim);
}

static tg_tensor *std_fn(tg_tensor *const *in, void *ctx)
{
    const spread_arg *a = ctx;
    return tg_std(in[0], a->n, a->axes, a->correction, a->keepdim);
}

START_TEST(variance_values)
{
    /* rows [1, 2, 3, 6] and [2, 2, 2, 10]: means 3 and 4, squared deviations
     * 14 and 48 */
    double v[8] = {1, 2, 3, 6, 2, 2, 2, 10};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double tol = dt == TG_F32 ? 1e-6 : 1e-15;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 4), v, false);
        tg_tensor *unbiased = tg_variance(x, 1, (const int[]){1}, 1, false);
        tg_tensor *biased = tg_variance(x, 1, (const int[]){-1}, 0, true);
        tu_assert_ok(unbiased);
        ck_assert_int_eq(tg_ndim(unbiased), 1);
        ck_assert_int_eq(tg_ndim(biased), 2);
        tu_assert_close(tg_get(unbiased, 0), 14.0 / 3, tol);
        tu_assert_close(tg_get(unbiased, 1), 16, tol);
        tu_assert_close(tg_get(biased, 0), 3.5, tol);
        tu_assert_close(tg_get(tg_std(x, 1, (const int[]){1}, 1, false), 1), 4, tol);
        /* all 8 elements: mean 3.5, squared deviations summing to 64 */
        tu_assert_close(tg_item(tg_variance(x, 0, NULL, 1, false)), 64.0 / 7, tol);
        tu_assert_close(tg_item(tg_std(x, 2, (const int[]){0, 1}, 1, false)), sqrt(64.0 / 7), tol);
        double c;
        ck_assert(tg_op_constant(tg_variance(tu_tensor((tg_dtype)dt, TU_SHAPE(2), v, true), 0,
                                             NULL, 0.5, false), &c));
        tu_assert_close(c, 0.5, 0);
    }
}
END_TEST

/* Two passes in double: 1e8 + [0, 1, 2] has variance 1 exactly. */
START_TEST(variance_of_a_large_offset)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){1e8, 1e8 + 1, 1e8 + 2}, false);
    tu_assert_close(tg_item(tg_variance(x, 0, NULL, 1, false)), 1, 0);
}
END_TEST

START_TEST(variance_gradients)
{
    double v[4] = {1, 2, 3, 6}; /* mean 3 */
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(4), v, true);
    ck_assert_int_eq(tg_backward(tg_variance(x, 0, NULL, 1, false)), 0);
    for (int i = 0; i < 4; i++)
        tu_assert_close(tg_grad_get(x, i), 2 * (v[i] - 3) / 3, 1e-15);
    tg_tensor *s = tu_tensor(TG_F64, TU_SHAPE(4), v, true);
    tg_tensor *sd = tg_std(s, 0, NULL, 1, false);
    ck_assert_int_eq(tg_backward(sd), 0);
    for (int i = 0; i < 4; i++)
        tu_assert_close(tg_grad_get(s, i), (v[i] - 3) / (3 * tg_item(sd)), 1e-15);
}
END_TEST

/* PyTorch's std_backward masks the gradient where std = 0: a constant
 * slice gives 0, also at second order; var's is 0 there anyway. */
START_TEST(std_gradient_at_zero_variance)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), (double[]){4, 4, 4, 1, 2, 4}, true);
        tg_tensor *sd = tg_std(x, 1, (const int[]){1}, 1, false), *y = tg_sum(sd), *dx, *d2;
        tu_assert_close(tg_get(sd, 0), 0, 0);
        ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dx, true), 0);
        for (int i = 0; i < 3; i++)
            tu_assert_close(tg_get(dx, i), 0, 0);
        for (int i = 3; i < 6; i++)
            ck_assert(isfinite(tg_get(dx, i)) && tg_get(dx, i) != 0);
        tg_tensor *s = tg_sum(dx);
        ck_assert_int_eq(tg_grad(&s, 1, &x, 1, &d2, false), 0);
        for (int i = 0; i < 6; i++)
            ck_assert(isfinite(tg_get(d2, i)));
    }
}
END_TEST

/* A constant slice whose plain mean does not round back to its value
 * ((0.1 + 0.1 + 0.1) / 3 is not 0.1 in double): its std is 0 exactly and
 * so is its gradient, as in PyTorch; the plain mean gave a std of about
 * 1e-17 and gradients of order 1. Found by torch_compare. */
START_TEST(std_of_a_constant_slice_is_exactly_zero)
{
    double v[10] = {0.1, 0.1, 0.1, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *a = tu_tensor((tg_dtype)dt, TU_SHAPE(3), v, true);
        tg_tensor *b = tu_tensor((tg_dtype)dt, TU_SHAPE(7), v + 3, true);
        tg_tensor *sa = tg_std(a, 0, NULL, 1, false), *sb = tg_std(b, 1, (const int[]){0}, 0, true);
        tu_assert_close(tg_item(sa), 0, 0);
        tu_assert_close(tg_item(sb), 0, 0);
        tu_assert_close(tg_item(tg_variance(a, 0, NULL, 0, false)), 0, 0);
        ck_assert_int_eq(tg_backward(tg_add(sa, tg_sum(sb))), 0);
        for (int i = 0; i < 3; i++)
            tu_assert_close(tg_grad_get(a, i), 0, 0);
        for (int i = 0; i < 7; i++)
            tu_assert_close(tg_grad_get(b, i), 0, 0);
    }
}
END_TEST

/* N - correction <= 0 divides by 0, as PyTorch does (after a warning). */
START_TEST(variance_without_degrees_of_freedom)
{
    tg_tensor *one = tu_tensor(TG_F64, TU_SHAPE(1), (double[]){3}, false);
    ck_assert(isnan(tg_item(tg_variance(one, 0, NULL, 1, false))));
    tg_tensor *two = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){1, 3}, false);
    ck_assert(isinf(tg_item(tg_variance(two, 0, NULL, 2, false))));
    tu_assert_close(tg_item(tg_variance(one, 0, NULL, 0, false)), 0, 0);
}
END_TEST

START_TEST(variance_gradcheck)
{
    static const struct {
        tu_shape shape;
        spread_arg arg;
    } cases[] = {
        {TU_SHAPE(5), {0, {0}, 1, false}},          {TU_SHAPE(5), {1, {0}, 0, true}},
        {TU_SHAPE(2, 3), {2, {0, 1}, 1, false}},    {TU_SHAPE(2, 3), {1, {-1}, 1, true}},
        {TU_SHAPE(3, 1, 2), {2, {0, 1}, 1, true}},  {TU_SHAPE(2, 3, 2), {2, {0, 2}, 0.5, false}},
        {TU_SCALAR, {0, {0}, 0, false}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_gradcheck_both(var_fn, (void *)&cases[i].arg, 1, &cases[i].shape, -2, 2);
        if (cases[i].shape.ndim > 0) /* a single element has std 0: a kink */
            tu_gradcheck_both(std_fn, (void *)&cases[i].arg, 1, &cases[i].shape, -2, 2);
    }
}
END_TEST

START_TEST(variance_errors)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){1, 3}, false);
    ck_assert_ptr_null(tg_variance(x, 0, NULL, NAN, false));
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(), "tg_variance: correction nan is not finite");
    tg_clear_error();
    ck_assert_ptr_null(tg_std(x, 1, (const int[]){2}, 1, false));
    ck_assert_str_eq(tg_last_error(), "tg_std: axis 2 out of range for shape [2]");
}
END_TEST

TCase *tg_test_variance(void)
{
    TCase *tc = tu_tcase("variance");
    tcase_add_test(tc, variance_values);
    tcase_add_test(tc, variance_of_a_large_offset);
    tcase_add_test(tc, variance_gradients);
    tcase_add_test(tc, std_gradient_at_zero_variance);
    tcase_add_test(tc, std_of_a_constant_slice_is_exactly_zero);
    tcase_add_test(tc, variance_without_degrees_of_freedom);
    tcase_add_test(tc, variance_gradcheck);
    tcase_add_test(tc, variance_errors);
    return tc;
}
