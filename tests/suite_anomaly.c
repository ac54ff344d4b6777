/* suite_anomaly.c -- anomaly mode: off by default; on, the first NaN or
 * infinity made by an op or a backward rule stops with the op's name, its
 * tape position and its inputs' ranges. Every test leaves the mode off,
 * since it is process-wide. */
#include <string.h>

#include "testutil.h"

#define assert_error_has(text)                                                                   \
    ck_assert_msg(strstr(tg_last_error(), text) != NULL, "error \"%s\" lacks \"%s\"",           \
                  tg_last_error(), text)

START_TEST(off_by_default_and_nan_passes_silently)
{
    ck_assert(!tg_anomaly_mode());
    tg_tensor *y = tg_log(tg_add_scalar(tg_var(1), -2));
    tu_assert_ok(y);
    ck_assert(isnan(tg_item(y)));
    ck_assert_int_eq(tg_backward(y), 0);
}
END_TEST

START_TEST(forward_nan_names_the_op_and_tape_position)
{
    tg_set_anomaly_mode(true);
    tg_tensor *x = tg_var(1);
    tg_tensor *shifted = tg_add_scalar(x, -3); /* tape #0 */
    tg_tensor *scaled = tg_mul(shifted, x);    /* tape #1, -2 */
    tg_tensor *y = tg_log(scaled);             /* tape #2 would be NaN */
    tg_set_anomaly_mode(false);
    ck_assert_ptr_null(y);
    ck_assert_int_eq(tg_last_error_code(), TG_EANOMALY);
    ck_assert_str_eq(tg_last_error(),
                     "tg_log (tape #2): forward produced NaN from input min -2 max -2 "
                     "(result element 0)");
    ck_assert_int_eq(tg_tape_length(), 2); /* the failing result was not recorded */
}
END_TEST

START_TEST(forward_check_covers_unrecorded_and_multi_input_ops)
{
    tg_set_anomaly_mode(true);
    tg_tensor *c = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){1, 0, 2}, false);
    ck_assert_ptr_null(tg_div(tg_scalar(1), c));
    assert_error_has("tg_div (not recorded): forward produced inf from input 1 min 1 max 1, "
                     "input 2 min 0 max 2 (result element 1)");
    tu_assert_ok(tg_div(tg_scalar(1), tg_add_scalar(c, 1))); /* finite: no complaint */
    tg_set_anomaly_mode(false);
}
END_TEST

START_TEST(backward_inf_names_the_op_and_tape_position)
{
    /* forward computed with the mode off, sweep with it on: ln 0 = -inf is
     * fine as a value, but its gradient -1 / 0 is the anomaly */
    tg_tensor *x = tg_var(0);
    tg_tensor *y = tg_log(tg_mul_scalar(x, 2)); /* tape #0, #1 */
    tg_set_anomaly_mode(true);
    int rc = tg_backward_ex(y, tg_scalar(-1), 0);
    tg_set_anomaly_mode(false);
    ck_assert_int_eq(rc, TG_EANOMALY);
    assert_error_has("tg_log (tape #1): backward produced -inf from input min 0");
    ck_assert_ptr_null(tg_grad_tensor(x)); /* the sweep stopped before x */
}
END_TEST

START_TEST(backward_of_sqrt_at_zero_is_caught_in_tg_grad_too)
{
    tg_set_anomaly_mode(true);
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){4, 0, 1}, true);
    tg_tensor *y = tg_sum(tg_sqrt(x)), *g = NULL; /* forward: 2 + 0 + 1, finite */
    tu_assert_ok(y);
    int rc = tg_grad(&y, 1, &x, 1, &g, false);
    tg_set_anomaly_mode(false);
    ck_assert_int_eq(rc, TG_EANOMALY);
    ck_assert_ptr_null(g);
    ck_assert_str_eq(tg_last_error(),
                     "tg_sqrt (tape #0): backward produced inf from input min 0 max 4 "
                     "(element 1 of the gradient for input 1)");
}
END_TEST

/* A user-defined op whose forward divides by its input. */
static tg_tensor *reciprocal_forward(tg_tensor *const *in, void *ud)
{
    (void)ud;
    return tg_div(tg_scalar_of(tg_dtype_of(in[0]), 1), in[0]);
}

static int reciprocal_backward(tg_tensor *out, tg_tensor *g, tg_tensor *const *in,
                               tg_tensor **grad_in, void *ud)
{
    (void)ud;
    grad_in[0] = tg_neg(tg_mul(g, tg_div(out, in[0])));
    return grad_in[0] ? 0 : tg_last_error_code();
}

static const tg_function reciprocal = {"my_reciprocal", 1, reciprocal_forward,
                                       reciprocal_backward};

START_TEST(custom_op_is_named_by_anomaly_mode)
{
    tg_set_anomaly_mode(true);
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){2, 0}, true);
    tg_tensor *y = tg_apply(&reciprocal, &x, NULL);
    tg_set_anomaly_mode(false);
    ck_assert_ptr_null(y);
    ck_assert_int_eq(tg_tape_length(), 0);
    /* the op inside the forward is caught first, and the message says in which op */
    assert_error_has("my_reciprocal (forward): failed: tg_div (not recorded): forward produced "
                     "inf from input 1 min 1 max 1, input 2 min 0 max 2");
    tg_clear_error();
    x = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){2, 1e-200}, true);
    y = tg_apply(&reciprocal, &x, NULL); /* finite forward; the backward overflows */
    tu_assert_ok(y);
    tg_set_anomaly_mode(true);
    int rc = tg_backward_ex(y, tu_tensor(TG_F64, TU_SHAPE(2), (double[]){1, 1}, false), 0);
    tg_set_anomaly_mode(false);
    ck_assert_int_eq(rc, TG_EANOMALY);
    assert_error_has("my_reciprocal (tape #0): backward produced -inf from input min 1e-200 max 2");
}
END_TEST

START_TEST(finite_training_step_is_unaffected)
{
    tg_set_anomaly_mode(true);
    tg_tensor *w = tu_rand(TG_F64, TU_SHAPE(3, 2), -1, 1, true);
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(2), -1, 1, false);
    tg_tensor *loss = tg_mean(tg_log_softmax(tg_tanh(tg_matmul(w, x)), 0));
    int rc = tg_backward(loss);
    tg_set_anomaly_mode(false);
    ck_assert_msg(rc == 0, "%s", tg_last_error());
    ck_assert(isfinite(tg_grad_get(w, 0)));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("anomaly");
    TCase *tc = tu_tcase("anomaly");
    tcase_add_test(tc, off_by_default_and_nan_passes_silently);
    tcase_add_test(tc, forward_nan_names_the_op_and_tape_position);
    tcase_add_test(tc, forward_check_covers_unrecorded_and_multi_input_ops);
    tcase_add_test(tc, backward_inf_names_the_op_and_tape_position);
    tcase_add_test(tc, backward_of_sqrt_at_zero_is_caught_in_tg_grad_too);
    tcase_add_test(tc, custom_op_is_named_by_anomaly_mode);
    tcase_add_test(tc, finite_training_step_is_unaffected);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
