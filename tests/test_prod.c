/* test_prod.c -- tg_prod and tg_prod_axis: values, the gradient where
 * elements are 0 (one zero, two zeros) at first and second order, and the
 * errors. */
#include "testutil.h"

static tg_tensor *prod_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_prod(in[0]);
}

typedef struct {
    int axis;
    bool keepdim;
} axis_arg;

static tg_tensor *prod_axis_fn(tg_tensor *const *in, void *ctx)
{
    const axis_arg *a = ctx;
    return tg_prod_axis(in[0], a->axis, a->keepdim);
}

START_TEST(prod_values)
{
    double v[6] = {1.5, -2, 3, 0.5, 4, -1};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), v, false);
        tu_assert_close(tg_item(tg_prod(x)), 1.5 * -2 * 3 * 0.5 * 4 * -1, 0);
        tg_tensor *rows = tg_prod_axis(x, 1, false), *cols = tg_prod_axis(x, 0, true);
        tu_assert_ok(rows);
        ck_assert_int_eq(tg_ndim(rows), 1);
        ck_assert_int_eq(tg_ndim(cols), 2);
        tu_assert_close(tg_get(rows, 0), -9, 0);
        tu_assert_close(tg_get(rows, 1), -2, 0);
        double want[3] = {0.75, -8, -3};
        for (int j = 0; j < 3; j++)
            tu_assert_close(tg_get(cols, j), want[j], 0);
        tu_assert_close(tg_item(tg_prod(tu_tensor((tg_dtype)dt, TU_SHAPE(0), NULL, false))), 1, 0);
    }
}
END_TEST

/* Without zeros dx_i = y / x_i. One zero: the zero's gradient is the
 * product of the others and every other gradient is 0. Two zeros: all 0. */
START_TEST(prod_gradient_at_zeros)
{
    static const struct {
        double x[4], grad[4];
    } cases[] = {
        {{2, 3, -1, 0.5}, {-1.5, -1, 3, -6}},
        {{2, 0, -1, 0.5}, {0, -1, 0, 0}},
        {{0, 3, 0, 0.5}, {0, 0, 0, 0}},
        {{0, 0, 0, 0}, {0, 0, 0, 0}},
    };
    for (int dt = TG_F32; dt <= TG_F64; dt++)
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 2), cases[c].x, true);
            ck_assert_int_eq(tg_backward(tg_prod(x)), 0);
            for (int i = 0; i < 4; i++) {
                ck_assert(isfinite(tg_grad_get(x, i)));
                tu_assert_close(tg_grad_get(x, i), cases[c].grad[i], 1e-6);
            }
            tg_tensor *rowwise = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 2), cases[c].x, true);
            ck_assert_int_eq(tg_backward(tg_sum(tg_prod_axis(rowwise, 1, false))), 0);
            for (int i = 0; i < 4; i++) /* the other element of the row */
                tu_assert_close(tg_grad_get(rowwise, i), cases[c].x[i ^ 1], 0);
        }
}
END_TEST

/* d2/dx0 dx1 of x0 x1 x2 is x2, also where x0 = x1 = 0 (a quotient y / x
 * would give NaN there). */
START_TEST(prod_second_order_at_zeros)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){0, 0, 5}, true), *dx, *d2;
    tg_tensor *y = tg_prod(x);
    ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dx, true), 0);
    tg_tensor *d0 = tg_sum(tg_mul(dx, tu_tensor(TG_F64, TU_SHAPE(3), (double[]){1, 0, 0}, false)));
    ck_assert_int_eq(tg_grad(&d0, 1, &x, 1, &d2, false), 0);
    tu_assert_close(tg_get(d2, 0), 0, 0);
    tu_assert_close(tg_get(d2, 1), 5, 0);
    tu_assert_close(tg_get(d2, 2), 0, 0);
}
END_TEST

START_TEST(prod_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(1), TU_SHAPE(5), TU_SHAPE(2, 3),
                                      TU_SHAPE(3, 1, 2)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(prod_fn, NULL, 1, &shapes[i], -1.5, 1.5);
    static const struct {
        tu_shape shape;
        axis_arg arg;
    } cases[] = {{TU_SHAPE(4), {0, false}},       {TU_SHAPE(2, 3), {1, true}},
                 {TU_SHAPE(2, 3), {-2, false}},   {TU_SHAPE(3, 1, 2), {1, false}},
                 {TU_SHAPE(2, 3, 2), {1, true}}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        tu_gradcheck_both(prod_axis_fn, (void *)&cases[i].arg, 1, &cases[i].shape, -1.5, 1.5);
    /* with exact zeros: the gradient is smooth in the other elements */
    double v[4] = {0, 1.5, -0.5, 2};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(4), v, true);
        tg_gradcheck_opts f32 = {1e-2, 2e-2, 2e-2};
        ck_assert_int_eq(tg_gradgradcheck(prod_fn, NULL, 1, &x, dt == TG_F32 ? &f32 : NULL, NULL),
                         0);
    }
}
END_TEST

START_TEST(prod_errors)
{
    ck_assert_ptr_null(tg_prod(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_prod: argument 1 is NULL");
    tg_clear_error();
    ck_assert_ptr_null(tg_prod_axis(tg_scalar(2), 0, false));
    ck_assert_str_eq(tg_last_error(), "tg_prod_axis: axis 0 out of range for shape []");
}
END_TEST

TCase *tg_test_prod(void)
{
    TCase *tc = tu_tcase("prod");
    tcase_add_test(tc, prod_values);
    tcase_add_test(tc, prod_gradient_at_zeros);
    tcase_add_test(tc, prod_second_order_at_zeros);
    tcase_add_test(tc, prod_gradcheck);
    tcase_add_test(tc, prod_errors);
    return tc;
}
