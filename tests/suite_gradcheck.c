/* suite_gradcheck.c -- the checker itself: it passes correct gradients, and
 * catches a wrong one with a message that says where. */
#include <string.h>

#include "testutil.h"

/* x^2 as a user-defined op whose backward rule is wrong on purpose: no
 * built-in op is wrong, and the checker must catch one that is. */
static tg_tensor *square_forward(tg_tensor *const *in, void *ud)
{
    (void)ud;
    return tg_mul(in[0], in[0]);
}

static int wrong_square_backward(tg_tensor *out, tg_tensor *g, tg_tensor *const *in,
                                 tg_tensor **grad_in, void *ud)
{
    (void)out;
    (void)ud;
    grad_in[0] = tg_mul(g, in[0]); /* forgets the factor 2 of d x^2 / dx */
    return grad_in[0] ? TG_OK : tg_last_error_code();
}

static const tg_function wrong_square_op = {"wrong_square", 1, square_forward,
                                            wrong_square_backward};

static tg_tensor *wrong_square(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_apply(&wrong_square_op, in, NULL);
}

/* L = sum(a * sigmoid(b)): a user's function with two inputs. */
static tg_tensor *weighted_sigmoid(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_sum(tg_mul(in[0], tg_sigmoid(in[1])));
}

static tg_tensor *elementwise_product(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(in[0], in[1]);
}

static tg_tensor *always_fails(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_add(in[0], tg_tensor_new(TG_F64, 1, (int64_t[]){5}, NULL, false));
}

START_TEST(correct_gradients_pass)
{
    tg_tensor *in[2] = {tu_rand(TG_F64, TU_SHAPE(2, 3), -1, 1, true),
                        tu_rand(TG_F64, TU_SHAPE(3), -1, 1, true)};
    tg_gradcheck_result r;
    ck_assert_int_eq(tg_gradcheck(weighted_sigmoid, NULL, 2, in, NULL, &r), 0);
    ck_assert_int_eq(r.checked, 9);
    ck_assert(r.max_abs_err < 1e-8);
}
END_TEST

START_TEST(wrong_backward_is_caught_and_located)
{
    double v[3] = {0.5, -1, 2};
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), v, true);
    tg_gradcheck_result r;
    ck_assert_int_eq(tg_gradcheck(wrong_square, NULL, 1, &x, NULL, &r), TG_EMISMATCH);
    ck_assert_msg(strstr(tg_last_error(), "tg_gradcheck: input 0 element 0, output element 0") !=
                      NULL,
                  "%s", tg_last_error());
    tu_assert_close(r.analytic, 0.5, 1e-12);
    tu_assert_close(r.numeric, 1.0, 1e-8);
    ck_assert_int_eq(r.worst_input, 0);
    ck_assert_int_eq(r.worst_index, 0);
}
END_TEST

START_TEST(full_jacobian_of_tensor_output)
{
    /* 6 outputs x 12 input elements: every entry compared, off-diagonal zeros
     * included */
    tg_tensor *in[2] = {tu_rand(TG_F64, TU_SHAPE(2, 3), -1, 1, true),
                        tu_rand(TG_F64, TU_SHAPE(2, 3), -1, 1, true)};
    tg_gradcheck_result r;
    ck_assert_int_eq(tg_gradcheck(elementwise_product, NULL, 2, in, NULL, &r), 0);
    ck_assert_int_eq(r.checked, 6 * 12);
}
END_TEST

START_TEST(constant_inputs_are_held_fixed)
{
    tg_tensor *in[2] = {tu_rand(TG_F64, TU_SHAPE(4), -1, 1, false),
                        tu_rand(TG_F64, TU_SHAPE(4), -1, 1, true)};
    tg_gradcheck_result r;
    ck_assert_int_eq(tg_gradcheck(weighted_sigmoid, NULL, 2, in, NULL, &r), 0);
    ck_assert_int_eq(r.checked, 4);
}
END_TEST

START_TEST(float32_uses_wider_tolerances)
{
    tg_tensor *in[2] = {tu_rand(TG_F32, TU_SHAPE(3, 2), -1, 1, true),
                        tu_rand(TG_F32, TU_SHAPE(2), -1, 1, true)};
    ck_assert_int_eq(tg_gradcheck(weighted_sigmoid, NULL, 2, in, NULL, NULL), 0);
    tg_gradcheck_opts strict = {1e-3, 1e-12, 1e-12};
    ck_assert_int_eq(tg_gradcheck(weighted_sigmoid, NULL, 2, in, &strict, NULL), TG_EMISMATCH);
}
END_TEST

START_TEST(failing_function_reports_its_error)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(3), -1, 1, true);
    ck_assert_int_eq(tg_gradcheck(always_fails, NULL, 1, &x, NULL, NULL), TG_ESHAPE);
    ck_assert_msg(strstr(tg_last_error(), "tg_add: shapes do not broadcast") != NULL, "%s",
                  tg_last_error());
    ck_assert_int_eq(tg_gradcheck(NULL, NULL, 1, &x, NULL, NULL), TG_ENULL);
    ck_assert_int_eq(tg_gradcheck(always_fails, NULL, 0, &x, NULL, NULL), TG_EVALUE);
}
END_TEST

START_TEST(inputs_are_restored)
{
    double v[3] = {0.25, -0.5, 1.75};
    tg_tensor *in[2] = {tu_tensor(TG_F64, TU_SHAPE(3), v, true),
                        tu_tensor(TG_F64, TU_SHAPE(3), v, true)};
    ck_assert_int_eq(tg_gradcheck(weighted_sigmoid, NULL, 2, in, NULL, NULL), 0);
    for (int i = 0; i < 3; i++) {
        ck_assert(tg_get(in[0], i) == v[i]);
        ck_assert(tg_get(in[1], i) == v[i]);
        ck_assert(tg_grad_get(in[0], i) == 0);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gradcheck");
    TCase *tc = tu_tcase("gradcheck");
    tcase_add_test(tc, correct_gradients_pass);
    tcase_add_test(tc, wrong_backward_is_caught_and_located);
    tcase_add_test(tc, full_jacobian_of_tensor_output);
    tcase_add_test(tc, constant_inputs_are_held_fixed);
    tcase_add_test(tc, float32_uses_wider_tolerances);
    tcase_add_test(tc, failing_function_reports_its_error);
    tcase_add_test(tc, inputs_are_restored);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
