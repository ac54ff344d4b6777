/* test_slice.c -- tg_select and tg_slice: values in both dtypes, Python's
 * bounds, empty slices, gradients placed back, second order, errors. */
#include <string.h>

#include "testutil.h"

static const double v12[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

static void assert_values(tg_tensor *y, int n, const double *want)
{
    tu_assert_ok(y);
    ck_assert_int_eq(tg_numel(y), n);
    for (int i = 0; i < n; i++)
        tu_assert_close(tg_get(y, i), want[i], 0);
}

START_TEST(select_values)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(3, 4), v12, false);
        tg_tensor *row = tg_select(x, 0, 1), *col = tg_select(x, 1, -1);
        assert_values(row, 4, (double[]){4, 5, 6, 7});
        ck_assert_int_eq(tg_ndim(row), 1);
        assert_values(col, 3, (double[]){3, 7, 11});
        ck_assert_int_eq(tg_dtype_of(col), dt);
        tg_tensor *s = tg_select(tg_select(x, 0, 2), 0, 0); /* x[2][0], a 0-d tensor */
        ck_assert_int_eq(tg_ndim(s), 0);
        tu_assert_close(tg_item(s), 8, 0);
    }
}
END_TEST

START_TEST(slice_values_and_python_bounds)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3, 4), v12, false);
    assert_values(tg_slice(x, 1, 1, 3, 1), 6, (double[]){1, 2, 5, 6, 9, 10});
    assert_values(tg_slice(x, 1, 0, TG_SLICE_END, 2), 6, (double[]){0, 2, 4, 6, 8, 10});
    assert_values(tg_slice(x, 0, -1, TG_SLICE_END, 1), 4, (double[]){8, 9, 10, 11});
    assert_values(tg_slice(x, -1, -3, -1, 1), 6, (double[]){1, 2, 5, 6, 9, 10});
    assert_values(tg_slice(x, 0, -100, 100, 2), 8, (double[]){0, 1, 2, 3, 8, 9, 10, 11});
    tg_tensor *e = tg_slice(x, 1, 3, 1, 1); /* stop before start: empty, as x[:, 3:1] */
    tu_assert_ok(e);
    ck_assert_int_eq(tg_shape(e)[0], 3);
    ck_assert_int_eq(tg_shape(e)[1], 0);
    ck_assert_int_eq(tg_op_kind_of(tg_slice(tu_tensor(TG_F64, TU_SHAPE(4), v12, true), 0, 1, 3, 1)),
                     TG_OP_SLICE);
}
END_TEST

/* d/dx sum(w * x[:, 1::2]) puts w at the odd columns, 0 at the even ones;
 * an empty slice sends nothing. */
START_TEST(gradients_are_placed_back)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 4), v12, true);
        tg_tensor *w = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 2), (double[]){1, 2, 3, 4}, false);
        tg_tensor *y = tg_sum(tg_mul(tg_slice(x, 1, 1, TG_SLICE_END, 2), w));
        ck_assert_int_eq(tg_backward(y), 0);
        double want[8] = {0, 1, 0, 2, 0, 3, 0, 4};
        for (int i = 0; i < 8; i++)
            tu_assert_close(tg_grad_get(x, i), want[i], 0);
        tg_tensor *z = tu_tensor((tg_dtype)dt, TU_SHAPE(3), v12, true);
        ck_assert_int_eq(tg_backward(tg_add(tg_sum(tg_slice(z, 0, 2, 2, 1)), tg_select(z, 0, -1))), 0);
        tu_assert_close(tg_grad_get(z, 0), 0, 0);
        tu_assert_close(tg_grad_get(z, 2), 1, 0);
    }
}
END_TEST

/* x[0] * x[1]: the first example, d/dx = [x1, x0], d2 = [[0,1],[1,0]]. */
START_TEST(product_of_two_elements)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){2, 3}, true), *dx, *d2;
    tg_tensor *y = tg_mul(tg_select(x, 0, 0), tg_select(x, 0, 1));
    ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dx, true), 0);
    tu_assert_close(tg_get(dx, 0), 3, 0);
    tu_assert_close(tg_get(dx, 1), 2, 0);
    tg_tensor *first = tg_select(dx, 0, 0);
    ck_assert_int_eq(tg_grad(&first, 1, &x, 1, &d2, false), 0);
    tu_assert_close(tg_get(d2, 0), 0, 0);
    tu_assert_close(tg_get(d2, 1), 1, 0);
}
END_TEST

static tg_tensor *select_fn(tg_tensor *const *in, void *ctx)
{
    return tg_select(in[0], *(int *)ctx, -1);
}

static tg_tensor *slice_fn(tg_tensor *const *in, void *ctx)
{
    return tg_slice(in[0], *(int *)ctx, 1, TG_SLICE_END, 2);
}

START_TEST(select_slice_gradcheck)
{
    static const tu_shape shapes[] = {TU_SHAPE(5), TU_SHAPE(3, 4), TU_SHAPE(1, 3),
                                      TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int axis = 0; axis < shapes[i].ndim; axis++) {
            tu_gradcheck_both(select_fn, &axis, 1, &shapes[i], -2, 2);
            if (shapes[i].d[axis] > 1)
                tu_gradcheck_both(slice_fn, &axis, 1, &shapes[i], -2, 2);
        }
}
END_TEST

START_TEST(select_slice_errors)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3, 4), v12, false);
    ck_assert_ptr_null(tg_select(x, 1, 4));
    ck_assert_str_eq(tg_last_error(), "tg_select: index 4 is out of range for axis 1 of size 4");
    tg_clear_error();
    ck_assert_ptr_null(tg_select(x, 0, -4));
    ck_assert_str_eq(tg_last_error(), "tg_select: index -4 is out of range for axis 0 of size 3");
    tg_clear_error();
    ck_assert_ptr_null(tg_slice(x, 1, 3, 0, -1));
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(), "tg_slice: step -1 along axis 1 must be positive (PyTorch "
                                      "refuses negative steps; tg_flip reverses an axis)");
    tg_clear_error();
    ck_assert_ptr_null(tg_slice(x, 2, 0, 1, 1));
    ck_assert_int_eq(tg_last_error_code(), TG_EAXIS);
    tg_clear_error();
    ck_assert_ptr_null(tg_select(tg_scalar(1), 0, 0));
    ck_assert_int_eq(tg_last_error_code(), TG_EAXIS);
    tg_clear_error();
    ck_assert_ptr_null(tg_slice(NULL, 0, 0, 1, 1));
    ck_assert_str_eq(tg_last_error(), "tg_slice: argument 1 is NULL");
}
END_TEST

TCase *tg_test_slice(void)
{
    TCase *tc = tu_tcase("slice");
    tcase_add_test(tc, select_values);
    tcase_add_test(tc, slice_values_and_python_bounds);
    tcase_add_test(tc, gradients_are_placed_back);
    tcase_add_test(tc, product_of_two_elements);
    tcase_add_test(tc, select_slice_gradcheck);
    tcase_add_test(tc, select_slice_errors);
    return tc;
}
