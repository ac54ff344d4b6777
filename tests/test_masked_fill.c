/* test_masked_fill.c -- tg_masked_fill: values with broadcasting, NaN and
 * infinities, the gradient to x only, second derivatives, errors; and the
 * `where` gradient trap of docs/ops.md with its safe pattern. */
#include <string.h>

#include "testutil.h"

/* 1, 0, 1, 0, ... in the given shape */
static tg_tensor *alternating(tg_dtype dtype, tu_shape shape)
{
    tg_tensor *t = tu_tensor(dtype, shape, NULL, false);
    for (int64_t i = 0; i < tg_numel(t); i++)
        tg_set(t, i, (double)(i % 2 == 0));
    return t;
}

/* ctx is the mask, held constant */
static tg_tensor *masked_fill_fn(tg_tensor *const *in, void *ctx)
{
    return tg_masked_fill(in[0], ctx, 0.75);
}

START_TEST(masked_fill_values_with_broadcasting)
{
    double x[3] = {1, NAN, INFINITY}, m[2] = {0, -2};
    double want[6] = {1, NAN, INFINITY, -5, -5, -5};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_masked_fill(tu_tensor((tg_dtype)dt, TU_SHAPE(3), x, false),
                                      tu_tensor((tg_dtype)dt, TU_SHAPE(2, 1), m, false), -5);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_ndim(y), 2);
        ck_assert_int_eq(tg_shape(y)[0], 2);
        ck_assert_int_eq(tg_shape(y)[1], 3);
        for (int i = 0; i < 6; i++)
            ck_assert_msg(isnan(want[i]) ? isnan(tg_get(y, i)) : tg_get(y, i) == want[i],
                          "element %d: %g", i, tg_get(y, i));
    }
}
END_TEST

/* A NaN mask entry is true, as in PyTorch; the value may be infinite (the
 * -inf of an attention mask). */
START_TEST(masked_fill_nan_mask_and_infinite_value)
{
    double x[3] = {1, 2, 3}, m[3] = {NAN, 0, 1};
    tg_tensor *y = tg_masked_fill(tu_tensor(TG_F32, TU_SHAPE(3), x, false),
                                  tu_tensor(TG_F32, TU_SHAPE(3), m, false), -INFINITY);
    tu_assert_ok(y);
    ck_assert(tg_get(y, 0) == -INFINITY);
    ck_assert(tg_get(y, 1) == 2);
    ck_assert(tg_get(y, 2) == -INFINITY);
    double c;
    ck_assert(!tg_op_constant(y, &c)); /* nothing required grad: not recorded */
}
END_TEST

/* dx = g where the mask is 0, summed over the axes x was broadcast along;
 * the mask gets none even when it requires grad. */
START_TEST(masked_fill_gradient)
{
    double m[6] = {1, 0, 0, 0, 1, 0};
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(3), -1, 1, true);
    tg_tensor *mask = tu_tensor(TG_F64, TU_SHAPE(2, 3), m, true);
    tg_tensor *y = tg_masked_fill(x, mask, 7);
    tu_assert_ok(y);
    ck_assert_int_eq(tg_op_kind_of(y), TG_OP_MASKED_FILL);
    double c;
    ck_assert(tg_op_constant(y, &c) && c == 7);
    ck_assert_int_eq(tg_backward(tg_sum(y)), 0);
    double want[3] = {1, 1, 2};
    for (int i = 0; i < 3; i++)
        tu_assert_close(tg_grad_get(x, i), want[i], 0);
    ck_assert_ptr_null(tg_grad_tensor(mask));
}
END_TEST

/* y = masked_fill(x^3, m, 1): y'' = 6x where m is 0, 0 where it is not. */
START_TEST(masked_fill_second_derivative)
{
    double xs[2] = {0.5, -2}, m[2] = {0, 1};
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2), xs, true), *dy, *d2y;
    tg_tensor *y = tg_sum(tg_masked_fill(tg_pow_scalar(x, 3), tu_tensor(TG_F64, TU_SHAPE(2), m,
                                                                        false), 1));
    ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
    tu_assert_close(tg_get(dy, 0), 0.75, 1e-15);
    tu_assert_close(tg_get(dy, 1), 0, 0);
    tg_tensor *s = tg_sum(dy);
    ck_assert_int_eq(tg_grad(&s, 1, &x, 1, &d2y, false), 0);
    tu_assert_close(tg_get(d2y, 0), 3, 1e-15);
    tu_assert_close(tg_get(d2y, 1), 0, 0);
}
END_TEST

START_TEST(masked_fill_gradcheck)
{
    static const tu_shape shapes[][2] = {
        /* x, mask */
        {TU_SCALAR, TU_SCALAR},
        {TU_SHAPE(5), TU_SHAPE(5)},
        {TU_SHAPE(2, 3), TU_SHAPE(2, 3)},
        {TU_SHAPE(2, 3), TU_SHAPE(3)},
        {TU_SHAPE(3), TU_SHAPE(2, 3)},
        {TU_SHAPE(2, 3), TU_SCALAR},
        {TU_SHAPE(4, 1, 3), TU_SHAPE(2, 1)},
        {TU_SHAPE(1, 3), TU_SHAPE(2, 1)},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
        for (int dt = TG_F32; dt <= TG_F64; dt++)
            tu_gradcheck(masked_fill_fn, alternating((tg_dtype)dt, shapes[i][1]), (tg_dtype)dt, 1,
                         &shapes[i][0], -2, 2);
}
END_TEST

START_TEST(masked_fill_errors)
{
    ck_assert_ptr_null(tg_masked_fill(NULL, tg_scalar(1), 0));
    ck_assert_str_eq(tg_last_error(), "tg_masked_fill: argument 1 is NULL");
    tg_clear_error();
    ck_assert_ptr_null(tg_masked_fill(tg_scalar(1), tg_scalar_of(TG_F32, 1), 0));
    ck_assert_int_eq(tg_last_error_code(), TG_EDTYPE);
    ck_assert_msg(strstr(tg_last_error(), "tg_masked_fill: dtypes differ: f64 and f32"), "%s",
                  tg_last_error());
    tg_clear_error();
    ck_assert_ptr_null(tg_masked_fill(tu_rand(TG_F64, TU_SHAPE(2), -1, 1, false),
                                      tu_rand(TG_F64, TU_SHAPE(3), -1, 1, false), 0));
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
    ck_assert_str_eq(tg_last_error(), "tg_masked_fill: shapes do not broadcast: [2] and [3]");
}
END_TEST

/* docs/ops.md, "The where gradient trap": where(x > 0, sqrt(x), 0) has a NaN
 * gradient at x < 0 (0 times sqrt's NaN derivative), PyTorch #4132; the
 * safe pattern where(x > 0, sqrt(where(x > 0, x, 1)), 0) has 0 there and
 * the true derivative elsewhere. */
static tg_tensor *naive_root(tg_tensor *x)
{
    return tg_where(tg_gt(x, tg_scalar(0)), tg_sqrt(x), tg_scalar(0));
}

static tg_tensor *safe_root(tg_tensor *x)
{
    tg_tensor *pos = tg_gt(x, tg_scalar(0));
    return tg_where(pos, tg_sqrt(tg_where(pos, x, tg_scalar(1))), tg_scalar(0));
}

START_TEST(where_trap_and_safe_pattern)
{
    double xs[2] = {-1, 4};
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2), xs, true);
    tg_tensor *naive = naive_root(x);
    tu_assert_close(tg_get(naive, 0), 0, 0);
    ck_assert_int_eq(tg_backward(tg_sum(naive)), 0);
    ck_assert(isnan(tg_grad_get(x, 0)));
    tu_assert_close(tg_grad_get(x, 1), 0.25, 1e-15);
    x = tu_tensor(TG_F64, TU_SHAPE(2), xs, true);
    tg_tensor *safe = safe_root(x);
    tu_assert_close(tg_get(safe, 0), 0, 0);
    tu_assert_close(tg_get(safe, 1), 2, 1e-15);
    ck_assert_int_eq(tg_backward(tg_sum(safe)), 0);
    tu_assert_close(tg_grad_get(x, 0), 0, 0);
    tu_assert_close(tg_grad_get(x, 1), 0.25, 1e-15);
}
END_TEST

TCase *tg_test_masked_fill(void)
{
    TCase *tc = tu_tcase("masked_fill");
    tcase_add_test(tc, masked_fill_values_with_broadcasting);
    tcase_add_test(tc, masked_fill_nan_mask_and_infinite_value);
    tcase_add_test(tc, masked_fill_gradient);
    tcase_add_test(tc, masked_fill_second_derivative);
    tcase_add_test(tc, masked_fill_gradcheck);
    tcase_add_test(tc, masked_fill_errors);
    tcase_add_test(tc, where_trap_and_safe_pattern);
    return tc;
}
