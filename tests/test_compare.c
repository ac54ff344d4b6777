/* test_compare.c -- the comparisons (gt ge lt le eq ne) and the logical ops
 * (logical_and logical_or logical_not): values against C's operators in
 * both dtypes, ties and NaN, broadcasting, no gradient, errors. */
#include <stdio.h>
#include <string.h>

#include "testutil.h"

typedef tg_tensor *(*binary_op)(tg_tensor *, tg_tensor *);

typedef struct {
    const char *name;
    binary_op op;
    tg_op_kind kind;
} compare_case;

static const compare_case cases[] = {
    {"tg_gt", tg_gt, TG_OP_GT},
    {"tg_ge", tg_ge, TG_OP_GE},
    {"tg_lt", tg_lt, TG_OP_LT},
    {"tg_le", tg_le, TG_OP_LE},
    {"tg_eq", tg_eq, TG_OP_EQ},
    {"tg_ne", tg_ne, TG_OP_NE},
    {"tg_logical_and", tg_logical_and, TG_OP_LOGICAL_AND},
    {"tg_logical_or", tg_logical_or, TG_OP_LOGICAL_OR},
};

#define N_CASES (int)(sizeof cases / sizeof *cases)

/* What C says, case by case (NaN compares false, and is true as a truth
 * value since it is not 0). */
static double expected(int c, double a, double b)
{
    switch (c) {
    case 0: return a > b;
    case 1: return a >= b;
    case 2: return a < b;
    case 3: return a <= b;
    case 4: return a == b;
    case 5: return a != b;
    case 6: return a != 0 && b != 0;
    default: return a != 0 || b != 0;
    }
}

/* Every pair of these, ties, signed zeros and NaN included. */
static const double points[] = {-2, -0.0, 0, 0.5, 1, 1e30, NAN};
#define N_POINTS (int)(sizeof points / sizeof *points)

START_TEST(compare_values_against_c)
{
    double a[N_POINTS * N_POINTS], b[N_POINTS * N_POINTS];
    for (int i = 0; i < N_POINTS; i++)
        for (int j = 0; j < N_POINTS; j++) {
            a[i * N_POINTS + j] = points[i];
            b[i * N_POINTS + j] = points[j];
        }
    for (int dt = TG_F32; dt <= TG_F64; dt++)
        for (int c = 0; c < N_CASES; c++) {
            tu_shape s = TU_SHAPE(N_POINTS, N_POINTS);
            tg_tensor *y = cases[c].op(tu_tensor((tg_dtype)dt, s, a, false),
                                       tu_tensor((tg_dtype)dt, s, b, false));
            tu_assert_ok(y);
            ck_assert_int_eq(tg_dtype_of(y), dt);
            for (int k = 0; k < N_POINTS * N_POINTS; k++)
                ck_assert_msg(tg_get(y, k) == expected(c, a[k], b[k]), "%s(%g, %g) = %g",
                              cases[c].name, a[k], b[k], tg_get(y, k));
        }
}
END_TEST

/* The conventions at a tie: gt and lt are 0, ge, le and eq 1; -0 == 0. */
START_TEST(compare_ties_follow_ieee)
{
    tg_tensor *z = tg_scalar(0), *nz = tg_scalar(-0.0), *nan = tg_scalar(NAN);
    ck_assert(tg_item(tg_gt(z, nz)) == 0);
    ck_assert(tg_item(tg_ge(z, nz)) == 1);
    ck_assert(tg_item(tg_le(z, nz)) == 1);
    ck_assert(tg_item(tg_eq(z, nz)) == 1);
    ck_assert(tg_item(tg_eq(nan, nan)) == 0);
    ck_assert(tg_item(tg_ne(nan, nan)) == 1);
    ck_assert(tg_item(tg_logical_and(nan, tg_scalar(2))) == 1);
    ck_assert(tg_item(tg_logical_not(nan)) == 0);
    ck_assert(tg_item(tg_logical_not(nz)) == 1);
}
END_TEST

START_TEST(logical_not_values)
{
    double x[5] = {-1, 0, -0.0, 1e-300, NAN}, want[5] = {0, 1, 1, 0, 0};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_logical_not(tu_tensor((tg_dtype)dt, TU_SHAPE(5), x, false));
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        for (int i = 0; i < 5; i++) /* 1e-300 is 0 in f32: not-zero is 1 there */
            ck_assert(tg_get(y, i) == (dt == TG_F32 && i == 3 ? 1 : want[i]));
    }
}
END_TEST

/* [2,1] against [3]: every row of a compared with every element of b. */
START_TEST(compare_broadcasts)
{
    double a[2] = {1, 3}, b[3] = {0, 1, 4};
    for (int c = 0; c < N_CASES; c++) {
        tg_tensor *y = cases[c].op(tu_tensor(TG_F64, TU_SHAPE(2, 1), a, false),
                                   tu_tensor(TG_F64, TU_SHAPE(3), b, false));
        tu_assert_ok(y);
        ck_assert_int_eq(tg_ndim(y), 2);
        ck_assert_int_eq(tg_shape(y)[0], 2);
        ck_assert_int_eq(tg_shape(y)[1], 3);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                ck_assert(tg_get(y, i * 3 + j) == expected(c, a[i], b[j]));
    }
}
END_TEST

/* Recorded (so explain and dot show them) but passing no gradient. */
START_TEST(compare_passes_no_gradient)
{
    for (int c = 0; c < N_CASES; c++) {
        tg_tensor *a = tg_var(1.5), *b = tg_var(-0.5);
        tg_tensor *y = cases[c].op(a, b);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_op_kind_of(y), cases[c].kind);
        ck_assert_str_eq(tg_op_name(y), cases[c].name);
        ck_assert_int_eq(tg_backward(y), 0);
        tu_assert_close(tg_grad_get(a, 0), 0, 0);
        tu_assert_close(tg_grad_get(b, 0), 0, 0);
        tg_tape_reset();
    }
    tg_tensor *x = tg_var(2);
    tg_tensor *y = tg_logical_not(x);
    ck_assert_int_eq(tg_op_kind_of(y), TG_OP_LOGICAL_NOT);
    ck_assert_int_eq(tg_backward(y), 0);
    tu_assert_close(tg_grad_get(x, 0), 0, 0);
}
END_TEST

/* d/dx sum([x > 0] x) = [x > 0] and d/dx sum([x >= 0] x) = [x >= 0]: the
 * mask is a constant factor, at the tie x = 0 too. */
START_TEST(mask_times_x_gradient)
{
    double x[4] = {-1, 0, 0.5, 2};
    binary_op ops[2] = {tg_gt, tg_ge};
    for (int k = 0; k < 2; k++) {
        tg_tensor *t = tu_tensor(TG_F64, TU_SHAPE(4), x, true);
        ck_assert_int_eq(tg_backward(tg_sum(tg_mul(ops[k](t, tg_scalar(0)), t))), 0);
        for (int i = 0; i < 4; i++)
            tu_assert_close(tg_grad_get(t, i), k ? x[i] >= 0 : x[i] > 0, 0);
    }
}
END_TEST

/* op(a, -b) * a * b with a, b in [0.25, 2]: no tie within a step, and the
 * product's gradient flows around the constant mask. */
static tg_tensor *masked_product(tg_tensor *const *in, void *ctx)
{
    const compare_case *c = ctx;
    return tg_mul(c->op(in[0], tg_neg(in[1])), tg_mul(in[0], in[1]));
}

static tg_tensor *not_product(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_logical_not(tg_add_scalar(in[0], -3)), in[0]);
}

START_TEST(compare_gradcheck)
{
    for (int c = 0; c < N_CASES; c++)
        for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
            tu_gradcheck_both(masked_product, (void *)&cases[c], 2, tu_broadcast_pairs[p], 0.25,
                              2);
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
        tu_gradcheck_both(not_product, NULL, 1, &shapes[i], -2, 2);
}
END_TEST

START_TEST(compare_errors)
{
    for (int c = 0; c < N_CASES; c++) {
        char want[96];
        tg_clear_error();
        ck_assert_ptr_null(cases[c].op(tg_scalar(1), NULL));
        snprintf(want, sizeof want, "%s: argument 2 is NULL", cases[c].name);
        ck_assert_str_eq(tg_last_error(), want);
        tg_clear_error();
        ck_assert_ptr_null(cases[c].op(tg_scalar_of(TG_F32, 1), tg_scalar(1)));
        ck_assert_int_eq(tg_last_error_code(), TG_EDTYPE);
        snprintf(want, sizeof want, "%s: dtypes differ: f32 and f64", cases[c].name);
        ck_assert_msg(strstr(tg_last_error(), want), "%s", tg_last_error());
        tg_clear_error();
        ck_assert_ptr_null(cases[c].op(tu_rand(TG_F64, TU_SHAPE(2), -1, 1, false),
                                       tu_rand(TG_F64, TU_SHAPE(3), -1, 1, false)));
        ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
        snprintf(want, sizeof want, "%s: shapes do not broadcast: [2] and [3]", cases[c].name);
        ck_assert_str_eq(tg_last_error(), want);
    }
    tg_clear_error();
    ck_assert_ptr_null(tg_logical_not(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_logical_not: argument 1 is NULL");
}
END_TEST

TCase *tg_test_compare(void)
{
    TCase *tc = tu_tcase("compare");
    tcase_add_test(tc, compare_values_against_c);
    tcase_add_test(tc, compare_ties_follow_ieee);
    tcase_add_test(tc, logical_not_values);
    tcase_add_test(tc, compare_broadcasts);
    tcase_add_test(tc, compare_passes_no_gradient);
    tcase_add_test(tc, mask_times_x_gradient);
    tcase_add_test(tc, compare_gradcheck);
    tcase_add_test(tc, compare_errors);
    return tc;
}
