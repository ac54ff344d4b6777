/* suite_errors.c -- bad input gives NULL (or a negative code) and a message
 * that names the function and the values at fault; nothing aborts. The
 * error is sticky: the first failure's message stands until tg_clear_error
 * or tg_tape_reset, so tests that provoke one failure after another clear
 * in between. */
#include <string.h>

#include "testutil.h"

#define assert_error(code, text)                                                          \
    do {                                                                                  \
        ck_assert_int_eq(tg_last_error_code(), (code));                                   \
        ck_assert_msg(strstr(tg_last_error(), (text)) != NULL, "error \"%s\" lacks \"%s\"", \
                      tg_last_error(), (text));                                           \
    } while (0)

static tg_tensor *zeros(tg_dtype dtype, tu_shape shape) { return tu_tensor(dtype, shape, NULL, true); }

START_TEST(null_argument_is_named)
{
    ck_assert_ptr_null(tg_add(tg_var(1), NULL));
    assert_error(TG_ENULL, "tg_add: argument 2 is NULL");
    tg_clear_error(); /* else the NULL below is blamed on the failure above */
    ck_assert_ptr_null(tg_exp(NULL));
    assert_error(TG_ENULL, "tg_exp: argument 1 is NULL");
    tg_clear_error();
    ck_assert_int_eq(tg_backward(NULL), TG_ENULL);
    assert_error(TG_ENULL, "tg_backward: argument 1 is NULL");
    ck_assert(isnan(tg_item(NULL)));
}
END_TEST

#define MUL_MESSAGE "tg_mul: shapes do not broadcast: [2,3] and [4]"

/* a * b fails: [2,3] and [4] do not broadcast */
static tg_tensor *bad_product(void)
{
    return tg_mul(zeros(TG_F64, TU_SHAPE(2, 3)), zeros(TG_F64, TU_SHAPE(4)));
}

static tg_tensor *pass_hook(tg_tensor *t, tg_tensor *g, void *ud)
{
    (void)t, (void)ud;
    return g;
}

START_TEST(nested_failure_reports_root_cause)
{
    tg_tensor *a = zeros(TG_F64, TU_SHAPE(2, 3)), *b = zeros(TG_F64, TU_SHAPE(4));
    ck_assert_ptr_null(tg_sigmoid(tg_mul(tg_add(a, b), a)));
    assert_error(TG_ESHAPE, "tg_add: shapes do not broadcast: [2,3] and [4]");
}
END_TEST

/* C leaves the order of argument evaluation open, so a sibling may succeed
 * before or after the failing one: both orders report the failure. */
START_TEST(sibling_success_keeps_root_cause_in_either_order)
{
    ck_assert_ptr_null(tg_sub(bad_product(), tg_scalar(10)));
    assert_error(TG_ESHAPE, MUL_MESSAGE);
    tg_clear_error();
    ck_assert_ptr_null(tg_sub(tg_scalar(10), bad_product()));
    assert_error(TG_ESHAPE, MUL_MESSAGE);
    tg_clear_error();

    /* the same with the order forced: the success comes after the failure */
    tg_tensor *bad = bad_product(), *good = tg_var(2);
    ck_assert_ptr_null(tg_sub(bad, good));
    assert_error(TG_ESHAPE, MUL_MESSAGE);
    ck_assert_ptr_null(tg_sub(good, bad));
    assert_error(TG_ESHAPE, MUL_MESSAGE);
    tg_clear_error();

    /* deeper: successes on every level around the failure */
    tg_tensor *x = tg_var(0.5);
    tg_tensor *y = tg_add(tg_mul(tg_exp(x), tg_sigmoid(tg_sub(x, bad_product()))),
                          tg_tanh(tg_mul(x, x)));
    ck_assert_ptr_null(y);
    assert_error(TG_ESHAPE, MUL_MESSAGE);
    tg_clear_error();
    y = tg_add(tg_tanh(tg_mul(x, x)),
               tg_mul(tg_sigmoid(tg_sub(bad_product(), x)), tg_exp(x)));
    ck_assert_ptr_null(y);
    assert_error(TG_ESHAPE, MUL_MESSAGE);
    /* an int-returning call on the NULL returns the root cause's code */
    ck_assert_int_eq(tg_backward(tg_sum(y)), TG_ESHAPE);
    assert_error(TG_ESHAPE, MUL_MESSAGE);
}
END_TEST

START_TEST(success_does_not_clear_a_failure)
{
    ck_assert_ptr_null(bad_product());
    tg_tensor *x = tg_var(3), *y = tg_mul(x, x);
    tu_assert_ok(y);
    ck_assert_int_eq(tg_backward(y), 0);
    tg_tensor *g, *z = tg_exp(x);
    ck_assert_int_eq(tg_grad(&z, 1, &x, 1, &g, false), 0);
    ck_assert_ptr_nonnull(tg_detach(x));
    ck_assert_int_eq(tg_register_hook(x, pass_hook, NULL), 0);
    ck_assert_double_eq(tg_item(x), 3);
    assert_error(TG_ESHAPE, MUL_MESSAGE);
}
END_TEST

START_TEST(second_failure_returns_its_own_code)
{
    ck_assert_ptr_null(bad_product());
    /* an independent failure: its own return value, the first message */
    ck_assert_int_eq(tg_backward(tg_mul(tg_scalar(2), tg_scalar(3))), TG_ESTATE);
    ck_assert(isnan(tg_get(tg_scalar(1), 5)));
    ck_assert_ptr_null(tg_sum_axis(tg_scalar(1), 3, false));
    assert_error(TG_ESHAPE, MUL_MESSAGE);
    double v = 0;
    ck_assert_int_eq(tg_get_ex(tg_scalar(1), 5, &v), TG_EVALUE);
    ck_assert(isnan(v));
    assert_error(TG_ESHAPE, MUL_MESSAGE);
}
END_TEST

START_TEST(pending_error_is_blamed_for_a_null)
{
    /* documented: a NULL while an error is pending counts as its product */
    ck_assert_ptr_null(bad_product());
    ck_assert_ptr_null(tg_exp(NULL));
    assert_error(TG_ESHAPE, MUL_MESSAGE);
    ck_assert_int_eq(tg_backward(NULL), TG_ESHAPE);
    /* once cleared, the NULL reports itself */
    tg_clear_error();
    ck_assert_int_eq(tg_last_error_code(), TG_OK);
    ck_assert_str_eq(tg_last_error(), "");
    ck_assert_ptr_null(tg_exp(NULL));
    assert_error(TG_ENULL, "tg_exp: argument 1 is NULL");
    ck_assert_int_eq(tg_backward(NULL), TG_ENULL);
}
END_TEST

START_TEST(reset_and_destroy_clear_the_error)
{
    ck_assert_ptr_null(bad_product());
    tg_tape_reset();
    ck_assert_int_eq(tg_last_error_code(), TG_OK);
    ck_assert_str_eq(tg_last_error(), "");
    ck_assert_ptr_null(tg_neg(NULL));
    assert_error(TG_ENULL, "tg_neg: argument 1 is NULL");
    tg_tape_destroy();
    ck_assert_int_eq(tg_last_error_code(), TG_OK);
    ck_assert_ptr_null(bad_product());
    assert_error(TG_ESHAPE, MUL_MESSAGE);
}
END_TEST

START_TEST(item_ex_tells_nan_from_failure)
{
    double v = 0;
    ck_assert_int_eq(tg_item_ex(tg_scalar(NAN), &v), 0);
    ck_assert(isnan(v));
    ck_assert_int_eq(tg_last_error_code(), TG_OK);
    ck_assert_int_eq(tg_item_ex(tg_scalar(2.5), &v), 0);
    ck_assert_double_eq(v, 2.5);
    ck_assert_int_eq(tg_item_ex(zeros(TG_F32, TU_SHAPE(2)), &v), TG_ESHAPE);
    ck_assert(isnan(v));
    assert_error(TG_ESHAPE, "tg_item_ex: tensor of shape [2] has 2 elements, not 1");
    tg_clear_error();
    ck_assert_int_eq(tg_item_ex(NULL, &v), TG_ENULL);
    assert_error(TG_ENULL, "tg_item_ex: argument 1 is NULL");
    tg_clear_error();
    ck_assert_int_eq(tg_item_ex(tg_scalar(1), NULL), TG_ENULL);
    assert_error(TG_ENULL, "tg_item_ex: argument 2 (out) is NULL");
    tg_clear_error();
    ck_assert_int_eq(tg_get_ex(tu_tensor(TG_F64, TU_SHAPE(2), (double[]){1, NAN}, false), 1, &v),
                     0);
    ck_assert(isnan(v));
    ck_assert_int_eq(tg_get_ex(zeros(TG_F64, TU_SHAPE(2)), 2, &v), TG_EVALUE);
    assert_error(TG_EVALUE, "tg_get_ex: index 2 out of range for shape [2]");
}
END_TEST

/* ---- callbacks: a failure must be reported, and an old one not blamed ---- */

static tg_tensor *silent_hook(tg_tensor *t, tg_tensor *g, void *ud)
{
    (void)t, (void)g, (void)ud;
    return NULL;
}

static tg_tensor *refusing_hook(tg_tensor *t, tg_tensor *g, void *ud)
{
    (void)t, (void)g, (void)ud;
    tg_set_error(TG_EVALUE, "my_hook: gradient refused");
    return NULL;
}

/* Sweeps exp(x) with hook on the exp node. */
static int sweep_with_hook(tg_hook_fn hook)
{
    tg_tensor *y = tg_exp(tg_var(2));
    ck_assert_int_eq(tg_register_hook(y, hook, NULL), 0);
    return tg_backward(y);
}

START_TEST(hook_failures_are_reported_without_blaming_an_old_one)
{
    ck_assert_int_eq(sweep_with_hook(silent_hook), TG_ESTATE);
    assert_error(TG_ESTATE,
                 "tg_backward: a hook of tg_exp (tape #0) returned NULL without setting an error");
    tg_tape_reset();
    ck_assert_int_eq(sweep_with_hook(refusing_hook), TG_EVALUE);
    assert_error(TG_EVALUE, "my_hook: gradient refused");
    tg_tape_reset();
    /* with an older failure pending, each sweep still fails with its own code */
    ck_assert_ptr_null(bad_product());
    ck_assert_int_eq(sweep_with_hook(silent_hook), TG_ESTATE);
    ck_assert_int_eq(sweep_with_hook(refusing_hook), TG_EVALUE);
    ck_assert_int_eq(sweep_with_hook(pass_hook), 0);
    assert_error(TG_ESHAPE, MUL_MESSAGE);
}
END_TEST

static tg_tensor *silent_forward(tg_tensor *const *in, void *ud)
{
    (void)in, (void)ud;
    return NULL;
}

static tg_tensor *neg_forward(tg_tensor *const *in, void *ud)
{
    (void)ud;
    return tg_neg(in[0]);
}

static int silent_backward(tg_tensor *out, tg_tensor *g, tg_tensor *const *in, tg_tensor **grad_in,
                           void *ud)
{
    (void)out, (void)g, (void)in, (void)grad_in, (void)ud;
    return TG_EVALUE;
}

static const tg_function silent_fwd = {"silent_fwd", 1, silent_forward, silent_backward};
static const tg_function silent_bwd = {"silent_bwd", 1, neg_forward, silent_backward};

START_TEST(user_function_failures_are_reported_without_blaming_an_old_one)
{
    tg_tensor *x = tg_var(2);
    ck_assert_ptr_null(tg_apply(&silent_fwd, &x, NULL));
    assert_error(TG_ESTATE, "silent_fwd (forward): returned NULL without setting an error");
    tg_clear_error();
    ck_assert_int_eq(tg_backward(tg_apply(&silent_bwd, &x, NULL)), TG_EVALUE);
    assert_error(TG_EVALUE,
                 "silent_bwd (tape #0): backward failed: returned -8 without setting an error");
    tg_tape_reset();
    x = tg_var(2);
    ck_assert_ptr_null(bad_product());
    ck_assert_ptr_null(tg_apply(&silent_fwd, &x, NULL));
    ck_assert_int_eq(tg_backward(tg_apply(&silent_bwd, &x, NULL)), TG_EVALUE);
    assert_error(TG_ESHAPE, MUL_MESSAGE);
}
END_TEST

static tg_tensor *null_fn(tg_tensor *const *in, void *ctx)
{
    (void)in, (void)ctx;
    return NULL;
}

START_TEST(gradcheck_of_a_silent_function_is_reported)
{
    tg_tensor *x = tg_var(1);
    ck_assert_int_eq(tg_gradcheck(null_fn, NULL, 1, &x, NULL, NULL), TG_ESTATE);
    assert_error(TG_ESTATE, "tg_gradcheck: f returned NULL without setting an error");
    tg_clear_error();
    ck_assert_ptr_null(bad_product());
    ck_assert_int_eq(tg_gradcheck(null_fn, NULL, 1, &x, NULL, NULL), TG_ESTATE);
    assert_error(TG_ESHAPE, MUL_MESSAGE);
}
END_TEST

START_TEST(amend_puts_only_its_own_failure_in_context)
{
    uint64_t mark = tg_error_mark();
    ck_assert_ptr_null(bad_product());
    ck_assert_int_eq(tg_amend_error(mark, TG_EVALUE, "my_layer: %s", tg_last_error()), TG_EVALUE);
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(), "my_layer: " MUL_MESSAGE);
    /* a failure after a new mark cannot set the message: the amend leaves it */
    mark = tg_error_mark();
    ck_assert_ptr_null(tg_sum_axis(tg_scalar(1), 3, false));
    ck_assert_int_eq(tg_amend_error(mark, TG_EAXIS, "my_layer: the sum failed"), TG_EAXIS);
    assert_error(TG_EVALUE, "my_layer: " MUL_MESSAGE);
    /* nothing failed since the mark and nothing pending: it reports itself */
    tg_clear_error();
    mark = tg_error_mark();
    ck_assert_int_eq(tg_amend_error(mark, TG_ESTATE, "my_layer: not built"), TG_ESTATE);
    assert_error(TG_ESTATE, "my_layer: not built");
}
END_TEST

START_TEST(shape_mismatch_names_shapes)
{
    ck_assert_ptr_null(tg_matmul(zeros(TG_F64, TU_SHAPE(2, 3)), zeros(TG_F64, TU_SHAPE(4, 5))));
    ck_assert_str_eq(tg_last_error(), "tg_matmul: inner dimensions differ: [2,3] @ [4,5]");
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
    tg_clear_error();
    ck_assert_ptr_null(tg_sub(zeros(TG_F32, TU_SHAPE(3, 2)), zeros(TG_F32, TU_SHAPE(3))));
    assert_error(TG_ESHAPE, "tg_sub: shapes do not broadcast: [3,2] and [3]");
}
END_TEST

START_TEST(dtype_mismatch_is_refused)
{
    ck_assert_ptr_null(tg_mul(zeros(TG_F32, TU_SHAPE(2)), zeros(TG_F64, TU_SHAPE(2))));
    assert_error(TG_EDTYPE, "tg_mul: dtypes differ: f32 and f64");
    tg_clear_error();
    ck_assert_ptr_null(tg_matmul(zeros(TG_F64, TU_SHAPE(2, 2)), zeros(TG_F32, TU_SHAPE(2, 2))));
    assert_error(TG_EDTYPE, "tg_matmul: dtypes differ: f64 and f32");
    tg_clear_error();
    ck_assert_ptr_null(tg_tensor_new((tg_dtype)7, 0, NULL, NULL, false));
    assert_error(TG_EDTYPE, "tg_tensor_new: unknown dtype 7");
}
END_TEST

START_TEST(axis_out_of_range_is_refused)
{
    tg_tensor *x = zeros(TG_F64, TU_SHAPE(2, 3));
    ck_assert_ptr_null(tg_sum_axis(x, 2, false));
    assert_error(TG_EAXIS, "tg_sum_axis: axis 2 out of range for shape [2,3]");
    tg_clear_error();
    ck_assert_ptr_null(tg_softmax(x, -3));
    assert_error(TG_EAXIS, "tg_softmax: axis -3 out of range for shape [2,3]");
    tg_clear_error();
    ck_assert_ptr_null(tg_max_axis(tg_var(1), 0, true));
    assert_error(TG_EAXIS, "tg_max_axis: axis 0 out of range for shape []");
}
END_TEST

START_TEST(bad_shapes_are_refused)
{
    ck_assert_ptr_null(tg_tensor_new(TG_F64, 2, (int64_t[]){2, -1}, NULL, false));
    assert_error(TG_ESHAPE, "tg_tensor_new: dimension 1 is negative (-1)");
    tg_clear_error();
    ck_assert_ptr_null(tg_tensor_new(TG_F64, TG_MAX_DIMS + 1, (int64_t[8]){1}, NULL, false));
    assert_error(TG_ESHAPE, "tg_tensor_new: ndim 7 out of range");
    tg_clear_error();
    ck_assert_ptr_null(tg_reshape(zeros(TG_F64, TU_SHAPE(2, 3)), 2, (int64_t[]){4, 2}));
    assert_error(TG_ESHAPE, "tg_reshape");
}
END_TEST

START_TEST(backward_of_many_elements_needs_a_seed)
{
    tg_tensor *y = tg_mul(zeros(TG_F64, TU_SHAPE(2, 2)), tg_scalar(2));
    ck_assert_int_eq(tg_backward(y), TG_ESHAPE);
    assert_error(TG_ESHAPE, "tg_backward: tensor of shape [2,2] has 4 elements");
    tg_clear_error();
    ck_assert_int_eq(tg_backward_ex(y, zeros(TG_F64, TU_SHAPE(2)), 0), TG_ESHAPE);
    assert_error(TG_ESHAPE, "tg_backward: seed gradient f64 [2] does not match output f64 [2,2]");
}
END_TEST

START_TEST(backward_without_requires_grad_is_refused)
{
    ck_assert_int_eq(tg_backward(tg_mul(tg_scalar(2), tg_scalar(3))), TG_ESTATE);
    assert_error(TG_ESTATE, "tg_backward: the tensor does not require grad");
}
END_TEST

START_TEST(stale_tensor_after_reset_is_detected)
{
    tg_tensor *x = tg_var(2);
    tg_tensor *y = tg_mul(x, x);
    tg_tape_reset();
    ck_assert_ptr_null(tg_add(x, tg_var(1)));
    assert_error(TG_ESTALE, "tg_add: argument 1 belongs to a tape that was reset");
    tg_clear_error();
    ck_assert_int_eq(tg_backward(y), TG_ESTALE);
    assert_error(TG_ESTALE, "tg_backward");
    tg_clear_error();
    ck_assert(isnan(tg_item(y)));
    assert_error(TG_ESTALE, "tg_item");
}
END_TEST

START_TEST(second_sweep_of_released_graph_is_refused)
{
    tg_tensor *x = tg_var(2);
    tg_tensor *h = tg_sigmoid(x);
    tg_tensor *y = tg_mul(h, h);
    ck_assert_int_eq(tg_backward(y), 0);
    ck_assert_int_eq(tg_backward(y), TG_ESTATE);
    assert_error(TG_ESTATE, "already swept and its buffers released");
    tg_clear_error();
    /* a new head on the released part fails on reaching it, naming the node */
    ck_assert_int_eq(tg_backward(tg_add(h, x)), TG_ESTATE);
    assert_error(TG_ESTATE, "tg_sigmoid (tape #0) was already swept");
}
END_TEST

START_TEST(index_and_item_errors)
{
    tg_tensor *x = zeros(TG_F64, TU_SHAPE(2, 3));
    ck_assert(isnan(tg_item(x)));
    assert_error(TG_ESHAPE, "tg_item: tensor of shape [2,3] has 6 elements, not 1");
    tg_clear_error();
    ck_assert(isnan(tg_get(x, 6)));
    assert_error(TG_EVALUE, "tg_get: index 6 out of range for shape [2,3]");
    ck_assert_int_eq(tg_set(x, -1, 0), TG_EVALUE);
}
END_TEST

START_TEST(tg_grad_names_the_array_entry_at_fault)
{
    tg_tensor *x = tg_var(1), *y = tg_mul(x, x), *dx;
    tg_tensor *inputs[2] = {x, NULL};
    ck_assert_int_eq(tg_grad(&y, 1, inputs, 2, (tg_tensor *[2]){NULL}, false), TG_ENULL);
    assert_error(TG_ENULL, "tg_grad: inputs[1] is NULL");
    tg_clear_error();
    tg_tensor *outputs[1] = {NULL};
    ck_assert_int_eq(tg_grad(outputs, 1, &x, 1, &dx, false), TG_ENULL);
    assert_error(TG_ENULL, "tg_grad: outputs[0] is NULL");
}
END_TEST

START_TEST(huge_persistent_shape_is_refused)
{
    /* 2^31 x 2^31 doubles: the byte count would wrap around */
    ck_assert_ptr_null(tg_param(TG_F64, 2, (int64_t[]){(int64_t)1 << 31, (int64_t)1 << 31}, NULL));
    assert_error(TG_ESHAPE, "tg_param: shape too large");
}
END_TEST

START_TEST(sweep_without_memory_for_a_tape_fails_cleanly)
{
    tu_allocator_install();
    tg_tensor *p = tg_param(TG_F64, 0, NULL, (double[]){1.5});
    tu_assert_ok(p);
    tu_allocation_budget(0); /* this thread has no tape yet, and cannot make one */
    ck_assert_int_eq(tg_backward(p), TG_ENOMEM);
    assert_error(TG_ENOMEM, "tg_backward: out of memory");
    tu_allocation_budget(-1);
    tg_free(p);
    tu_allocator_remove();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tu_tcase("errors");
    tcase_add_test(tc, null_argument_is_named);
    tcase_add_test(tc, nested_failure_reports_root_cause);
    tcase_add_test(tc, sibling_success_keeps_root_cause_in_either_order);
    tcase_add_test(tc, success_does_not_clear_a_failure);
    tcase_add_test(tc, second_failure_returns_its_own_code);
    tcase_add_test(tc, pending_error_is_blamed_for_a_null);
    tcase_add_test(tc, reset_and_destroy_clear_the_error);
    tcase_add_test(tc, item_ex_tells_nan_from_failure);
    tcase_add_test(tc, hook_failures_are_reported_without_blaming_an_old_one);
    tcase_add_test(tc, user_function_failures_are_reported_without_blaming_an_old_one);
    tcase_add_test(tc, gradcheck_of_a_silent_function_is_reported);
    tcase_add_test(tc, amend_puts_only_its_own_failure_in_context);
    tcase_add_test(tc, shape_mismatch_names_shapes);
    tcase_add_test(tc, dtype_mismatch_is_refused);
    tcase_add_test(tc, axis_out_of_range_is_refused);
    tcase_add_test(tc, bad_shapes_are_refused);
    tcase_add_test(tc, backward_of_many_elements_needs_a_seed);
    tcase_add_test(tc, backward_without_requires_grad_is_refused);
    tcase_add_test(tc, stale_tensor_after_reset_is_detected);
    tcase_add_test(tc, second_sweep_of_released_graph_is_refused);
    tcase_add_test(tc, index_and_item_errors);
    tcase_add_test(tc, huge_persistent_shape_is_refused);
    tcase_add_test(tc, tg_grad_names_the_array_entry_at_fault);
    tcase_add_test(tc, sweep_without_memory_for_a_tape_fails_cleanly);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
