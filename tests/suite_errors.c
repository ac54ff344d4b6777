/* suite_errors.c -- bad input gives NULL (or a negative code) and a message
 * that names the function and the values at fault; nothing aborts. */
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

START_TEST(nested_failure_reports_root_cause)
{
    tg_tensor *a = zeros(TG_F64, TU_SHAPE(2, 3)), *b = zeros(TG_F64, TU_SHAPE(4));
    ck_assert_ptr_null(tg_sigmoid(tg_mul(tg_add(a, b), a)));
    assert_error(TG_ESHAPE, "tg_add: shapes do not broadcast: [2,3] and [4]");
}
END_TEST

START_TEST(success_clears_a_handled_error)
{
    ck_assert_ptr_null(tg_add(NULL, NULL));
    tu_assert_ok(tg_add(tg_var(1), tg_var(2)));
    ck_assert_int_eq(tg_last_error_code(), TG_OK);
    ck_assert_str_eq(tg_last_error(), "");
    ck_assert_ptr_null(tg_neg(NULL));
    assert_error(TG_ENULL, "tg_neg: argument 1 is NULL");
}
END_TEST

START_TEST(shape_mismatch_names_shapes)
{
    ck_assert_ptr_null(tg_matmul(zeros(TG_F64, TU_SHAPE(2, 3)), zeros(TG_F64, TU_SHAPE(4, 5))));
    ck_assert_str_eq(tg_last_error(), "tg_matmul: inner dimensions differ: [2,3] @ [4,5]");
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
    ck_assert_ptr_null(tg_sub(zeros(TG_F32, TU_SHAPE(3, 2)), zeros(TG_F32, TU_SHAPE(3))));
    assert_error(TG_ESHAPE, "tg_sub: shapes do not broadcast: [3,2] and [3]");
}
END_TEST

START_TEST(dtype_mismatch_is_refused)
{
    ck_assert_ptr_null(tg_mul(zeros(TG_F32, TU_SHAPE(2)), zeros(TG_F64, TU_SHAPE(2))));
    assert_error(TG_EDTYPE, "tg_mul: dtypes differ: f32 and f64");
    ck_assert_ptr_null(tg_matmul(zeros(TG_F64, TU_SHAPE(2, 2)), zeros(TG_F32, TU_SHAPE(2, 2))));
    assert_error(TG_EDTYPE, "tg_matmul: dtypes differ: f64 and f32");
    ck_assert_ptr_null(tg_tensor_new((tg_dtype)7, 0, NULL, NULL, false));
    assert_error(TG_EDTYPE, "tg_tensor_new: unknown dtype 7");
}
END_TEST

START_TEST(axis_out_of_range_is_refused)
{
    tg_tensor *x = zeros(TG_F64, TU_SHAPE(2, 3));
    ck_assert_ptr_null(tg_sum_axis(x, 2, false));
    assert_error(TG_EAXIS, "tg_sum_axis: axis 2 out of range for shape [2,3]");
    ck_assert_ptr_null(tg_softmax(x, -3));
    assert_error(TG_EAXIS, "tg_softmax: axis -3 out of range for shape [2,3]");
    ck_assert_ptr_null(tg_max_axis(tg_var(1), 0, true));
    assert_error(TG_EAXIS, "tg_max_axis: axis 0 out of range for shape []");
}
END_TEST

START_TEST(bad_shapes_are_refused)
{
    ck_assert_ptr_null(tg_tensor_new(TG_F64, 2, (int64_t[]){2, -1}, NULL, false));
    assert_error(TG_ESHAPE, "tg_tensor_new: dimension 1 is negative (-1)");
    ck_assert_ptr_null(tg_tensor_new(TG_F64, TG_MAX_DIMS + 1, (int64_t[8]){1}, NULL, false));
    assert_error(TG_ESHAPE, "tg_tensor_new: ndim 7 out of range");
    ck_assert_ptr_null(tg_reshape(zeros(TG_F64, TU_SHAPE(2, 3)), 2, (int64_t[]){4, 2}));
    assert_error(TG_ESHAPE, "tg_reshape");
}
END_TEST

START_TEST(backward_of_many_elements_needs_a_seed)
{
    tg_tensor *y = tg_mul(zeros(TG_F64, TU_SHAPE(2, 2)), tg_scalar(2));
    ck_assert_int_eq(tg_backward(y), TG_ESHAPE);
    assert_error(TG_ESHAPE, "tg_backward: tensor of shape [2,2] has 4 elements");
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
    ck_assert_int_eq(tg_backward(y), TG_ESTALE);
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
    tcase_add_test(tc, success_clears_a_handled_error);
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
