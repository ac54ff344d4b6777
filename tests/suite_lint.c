/* suite_lint.c -- tg_tape_lint: each rule on a tape that triggers it and on
 * one that must not, the values and counts it reports, and its errors. */
#include <string.h>

#include "testutil.h"

/* The findings of the current tape; the tape is reset by the test case. */
static int64_t lint(tg_lint_finding *out)
{
    int64_t n = tg_tape_lint(out, 8);
    ck_assert_msg(n >= 0, "%s", tg_last_error());
    return n;
}

static void assert_one(tg_lint_rule rule, tg_tensor *node, tg_tensor *input)
{
    tg_lint_finding f[8];
    ck_assert_int_eq(lint(f), 1);
    ck_assert_int_eq(f[0].rule, rule);
    ck_assert_ptr_eq(f[0].node, node);
    ck_assert_ptr_eq(f[0].input, input);
}

static void assert_none(void)
{
    tg_lint_finding f[8];
    int64_t n = lint(f);
    ck_assert_msg(n == 0, "found %s", n ? tg_lint_rule_name(f[0].rule) : "");
}

static tg_tensor *vec(double a, double b)
{
    return tg_tensor_new(TG_F64, 1, (int64_t[]){2}, (double[]){a, b}, true);
}

START_TEST(softplus_rule)
{
    tg_tensor *x = vec(1000, -3);
    tg_tensor *y = tg_log(tg_add_scalar(tg_exp(x), 1));
    tg_lint_finding f[8];
    ck_assert_int_eq(lint(f), 2); /* e^1000 overflows on its own, first on the tape */
    ck_assert_int_eq(f[0].rule, TG_LINT_EXP_OVERFLOW);
    ck_assert_int_eq(f[1].rule, TG_LINT_SOFTPLUS);
    ck_assert_ptr_eq(f[1].node, y);
    ck_assert_ptr_eq(f[1].input, x);
    ck_assert(f[1].lo == -3 && f[1].hi == 1000 && f[1].count == 0);
    tg_tape_reset();
    x = vec(1, 2);
    y = tg_log(tg_add(tg_scalar(1), tg_exp(x))); /* a constant 1 works too */
    assert_one(TG_LINT_SOFTPLUS, y, x);
    tg_tape_reset();
    x = vec(1, 2);
    tg_log(tg_add_scalar(tg_exp(x), 2)); /* log(2 + e^x) is not softplus */
    tg_log(tg_add_scalar(x, 1));
    tg_log(tg_add(tg_scalar(1), tg_sigmoid(x)));
    assert_none();
}
END_TEST

START_TEST(logsumexp_rule)
{
    tg_tensor *x = vec(100, 200);
    assert_one(TG_LINT_LOGSUMEXP, tg_log(tg_sum(tg_exp(x))), x);
    tg_tape_reset();
    x = vec(1, 2);
    assert_one(TG_LINT_LOGSUMEXP, tg_log(tg_sum_axis(tg_exp(x), 0, false)), x);
    tg_tape_reset();
    x = vec(1, 2);
    tg_log(tg_sum(x));
    tg_sum(tg_log(tg_exp(x)));
    assert_none();
}
END_TEST

START_TEST(norm_rule)
{
    tg_tensor *x = vec(0, 1);
    assert_one(TG_LINT_NORM, tg_sqrt(tg_sum(tg_pow_scalar(x, 2))), x);
    tg_tape_reset();
    x = vec(0, 0); /* at 0 the root of the sum is a root at 0 as well */
    tg_sqrt(tg_sum(tg_pow_scalar(x, 2)));
    tg_lint_finding f[8];
    ck_assert_int_eq(lint(f), 2);
    ck_assert_int_eq(f[0].rule, TG_LINT_NORM);
    ck_assert_int_eq(f[1].rule, TG_LINT_ROOT_AT_ZERO);
    tg_tape_reset();
    x = vec(1, 2);
    assert_one(TG_LINT_NORM, tg_sqrt(tg_sum(tg_mul(x, x))), x);
    tg_tape_reset();
    x = vec(1, 2);
    tg_tensor *w = vec(3, 4);
    tg_sqrt(tg_sum(tg_mul(x, w)));
    tg_sqrt(tg_sum(tg_pow_scalar(x, 3)));
    tg_sqrt(tg_sum(x));
    assert_none();
}
END_TEST

START_TEST(root_at_zero_rule)
{
    tg_tensor *x = tg_tensor_new(TG_F64, 1, (int64_t[]){3}, (double[]){0, 4, 0}, true);
    tg_tensor *y = tg_sqrt(x);
    tg_lint_finding f[8];
    ck_assert_int_eq(lint(f), 1);
    ck_assert_int_eq(f[0].rule, TG_LINT_ROOT_AT_ZERO);
    ck_assert_ptr_eq(f[0].node, y);
    ck_assert_int_eq(f[0].count, 2);
    tg_tape_reset();
    x = vec(0, 1);
    assert_one(TG_LINT_ROOT_AT_ZERO, tg_pow_scalar(x, 0.5), x);
    tg_tape_reset();
    x = vec(0.5, 1);
    tg_sqrt(x);                          /* away from 0 */
    tg_pow_scalar(vec(0, 1), 2);         /* x^2 at 0 is smooth */
    tg_mul(x, tg_sqrt(tg_scalar(0)));    /* a constant's root: no gradient wanted */
    assert_none();
}
END_TEST

/* docs/ops.md's trap: where(x > 0, sqrt(x), 0) at x = -1; the safe
 * pattern has no finding; a side that needs no gradient is harmless. */
START_TEST(where_branch_rule)
{
    tg_tensor *x = vec(-1, 4), *zero = tg_scalar(0);
    tg_tensor *root = tg_sqrt(x);
    tg_tensor *y = tg_where(tg_gt(x, zero), root, zero);
    tg_lint_finding f[8];
    ck_assert_int_eq(lint(f), 1);
    ck_assert_int_eq(f[0].rule, TG_LINT_WHERE_BRANCH);
    ck_assert_ptr_eq(f[0].node, y);
    ck_assert_ptr_eq(f[0].input, root);
    ck_assert_int_eq(f[0].count, 1);
    ck_assert(isnan(f[0].lo) && isnan(f[0].hi));
    tg_tape_reset();
    x = vec(-1, 4);
    tg_tensor *pos = tg_gt(x, tg_scalar(0));
    tg_where(pos, tg_sqrt(tg_where(pos, x, tg_scalar(1))), tg_scalar(0));
    tg_where(pos, x, tg_scalar(INFINITY)); /* a constant side wants no gradient */
    assert_none();
}
END_TEST

START_TEST(log_sigmoid_rule)
{
    tg_tensor *x = vec(-1e4, 2);
    tg_tensor *y = tg_log(tg_sigmoid(x));
    tg_lint_finding f[8];
    ck_assert_int_eq(lint(f), 1);
    ck_assert_int_eq(f[0].rule, TG_LINT_LOG_SIGMOID);
    ck_assert_ptr_eq(f[0].node, y);
    ck_assert_ptr_eq(f[0].input, x);
    ck_assert(f[0].lo == -1e4 && f[0].hi == 2 && f[0].count == 0);
    tg_tape_reset();
    x = vec(-1e4, 2);
    tg_log_sigmoid(x);
    tg_log(tg_add_scalar(tg_sigmoid(x), 1)); /* log(1 + sigmoid) is bounded */
    tg_sigmoid(tg_log(tg_add_scalar(tg_abs(x), 1)));
    assert_none();
}
END_TEST

/* The limit is the dtype's: 100 overflows float32 but not float64. */
START_TEST(exp_overflow_rule)
{
    double v[4] = {100, 88, 710, -1000};
    tg_tensor *x = tg_tensor_new(TG_F32, 1, (int64_t[]){4}, v, true);
    tg_tensor *y = tg_exp(x);
    tg_lint_finding f[8];
    ck_assert_int_eq(lint(f), 1);
    ck_assert_int_eq(f[0].rule, TG_LINT_EXP_OVERFLOW);
    ck_assert_ptr_eq(f[0].node, y);
    ck_assert_ptr_eq(f[0].input, x);
    ck_assert_int_eq(f[0].count, 2);
    ck_assert(f[0].lo == 100 && f[0].hi == 710);
    tg_tape_reset();
    x = tg_tensor_new(TG_F64, 1, (int64_t[]){4}, v, true);
    assert_one(TG_LINT_EXP_OVERFLOW, tg_exp(x), x);
    tg_tape_reset();
    tg_exp(vec(100, 709)); /* finite in float64 */
    tg_exp(tg_tensor_new(TG_F32, 1, (int64_t[]){2}, (double[]){88, -1e4}, true));
    tg_softplus(vec(1e4, 800), 1, 20);
    assert_none();
}
END_TEST

/* 1 - exp(x) in each spelling the language and the C API produce. */
START_TEST(expm1_rule)
{
    tg_tensor *x = tg_tensor_new(TG_F64, 1, (int64_t[]){3}, (double[]){1e-9, -2e-4, 3}, true);
    tg_tensor *y = tg_sub(tg_scalar(1), tg_exp(x));
    tg_lint_finding f[8];
    ck_assert_int_eq(lint(f), 1);
    ck_assert_int_eq(f[0].rule, TG_LINT_EXPM1);
    ck_assert_ptr_eq(f[0].node, y);
    ck_assert_ptr_eq(f[0].input, x);
    ck_assert_int_eq(f[0].count, 2);
    ck_assert(f[0].lo == -2e-4 && f[0].hi == 1e-9);
    tg_tape_reset();
    x = vec(0, 1);
    assert_one(TG_LINT_EXPM1, tg_add_scalar(tg_exp(x), -1), x);
    tg_tape_reset();
    x = vec(0, 1);
    assert_one(TG_LINT_EXPM1, tg_add_scalar(tg_neg(tg_exp(x)), 1), x);
    tg_tape_reset();
    x = vec(0, 1);
    assert_one(TG_LINT_EXPM1, tg_sub(tg_exp(x), tg_scalar(1)), x);
    tg_tape_reset();
    x = vec(0.5, -2); /* away from 0 nothing cancels */
    tg_sub(tg_scalar(1), tg_exp(x));
    x = vec(0, 1e-6);
    tg_expm1(x);
    tg_sub(tg_scalar(2), tg_exp(x));
    tg_add_scalar(tg_exp(x), 1);
    tg_sub(tg_scalar(1), tg_sigmoid(x));
    assert_none();
}
END_TEST

/* The condition [2,1] and the sides [3] and 0-d broadcast to [2,3]: only
 * the row where the condition is 0 leaves the infinite entry unchosen. */
START_TEST(where_branch_broadcasts)
{
    tg_tensor *c = tg_tensor_new(TG_F64, 2, (int64_t[]){2, 1}, (double[]){1, 0}, false);
    tg_tensor *a = tg_tensor_new(TG_F64, 1, (int64_t[]){3}, (double[]){1, INFINITY, 2}, true);
    tg_tensor *y = tg_where(c, tg_scalar(5), a);
    tg_lint_finding f[8];
    ck_assert_int_eq(lint(f), 1);
    ck_assert_ptr_eq(f[0].node, y);
    ck_assert_ptr_eq(f[0].input, a);
    ck_assert_int_eq(f[0].count, 1);
    ck_assert(f[0].lo == INFINITY && f[0].hi == INFINITY);
}
END_TEST

START_TEST(lint_counts_past_max_and_refuses_bad_arguments)
{
    tg_tensor *x = vec(0, 1);
    for (int i = 0; i < 3; i++)
        tg_sqrt(x);
    tg_lint_finding f[2];
    ck_assert_int_eq(tg_tape_lint(f, 2), 3);
    ck_assert_int_eq(tg_tape_lint(NULL, 0), 3);
    ck_assert_int_eq(tg_tape_lint(NULL, 1), TG_ENULL);
    ck_assert_str_eq(tg_last_error(), "tg_tape_lint: argument 1 (out) is NULL");
    tg_clear_error();
    ck_assert_int_eq(tg_tape_lint(f, -1), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(), "tg_tape_lint: max is -1, not >= 0");
    ck_assert_str_eq(tg_lint_rule_name(TG_LINT_NORM), "norm");
    ck_assert_str_eq(tg_lint_rule_name(TG_LINT_EXPM1), "expm1");
    for (int r = 0; r < TG_LINT_RULE_COUNT; r++)
        ck_assert(tg_lint_rule_name((tg_lint_rule)r) && tg_lint_advice((tg_lint_rule)r));
    ck_assert_ptr_nonnull(strstr(tg_lint_advice(TG_LINT_SOFTPLUS), "softplus(x)"));
    ck_assert_ptr_null(tg_lint_rule_name(TG_LINT_RULE_COUNT));
    ck_assert_ptr_null(tg_lint_advice((tg_lint_rule)-1));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lint");
    TCase *tc = tu_tcase("lint");
    tcase_add_test(tc, softplus_rule);
    tcase_add_test(tc, logsumexp_rule);
    tcase_add_test(tc, norm_rule);
    tcase_add_test(tc, root_at_zero_rule);
    tcase_add_test(tc, where_branch_rule);
    tcase_add_test(tc, where_branch_broadcasts);
    tcase_add_test(tc, log_sigmoid_rule);
    tcase_add_test(tc, exp_overflow_rule);
    tcase_add_test(tc, expm1_rule);
    tcase_add_test(tc, lint_counts_past_max_and_refuses_bad_arguments);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
