/* suite_tensor.c -- constructing, reading and writing tensors. */
#include <string.h>

#include "testutil.h"

START_TEST(scalar_is_zero_dimensional)
{
    tg_tensor *s = tg_scalar(2.5), *v = tg_var(-1);
    tu_assert_ok(s);
    ck_assert_int_eq(tg_ndim(s), 0);
    ck_assert_int_eq(tg_numel(s), 1);
    ck_assert_int_eq(tg_dtype_of(s), TG_F64);
    ck_assert(!tg_requires_grad(s));
    ck_assert(tg_requires_grad(v));
    tu_assert_close(tg_item(s), 2.5, 0);
    tu_assert_close(tg_item(v), -1, 0);
}
END_TEST

START_TEST(tensor_new_is_row_major)
{
    double v[6] = {1, 2, 3, 4, 5, 6};
    int64_t shape[2] = {2, 3};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tg_tensor_new((tg_dtype)dt, 2, shape, v, false);
        tu_assert_ok(t);
        ck_assert_int_eq(tg_ndim(t), 2);
        ck_assert_int_eq(tg_shape(t)[0], 2);
        ck_assert_int_eq(tg_shape(t)[1], 3);
        ck_assert_int_eq(tg_numel(t), 6);
        for (int i = 0; i < 6; i++)
            tu_assert_close(tg_get(t, i), v[i], 0);
        char buf[32];
        ck_assert_str_eq(tg_shape_str(t, buf, sizeof buf), "[2,3]");
    }
}
END_TEST

START_TEST(values_null_means_zeros_and_full_fills)
{
    int64_t shape[3] = {2, 1, 4};
    tg_tensor *z = tg_tensor_new(TG_F32, 3, shape, NULL, true);
    tg_tensor *f = tg_full(TG_F32, 3, shape, 0.25, false);
    tu_assert_ok(z);
    tu_assert_ok(f);
    for (int i = 0; i < 8; i++) {
        tu_assert_close(tg_get(z, i), 0, 0);
        tu_assert_close(tg_get(f, i), 0.25, 0);
    }
    ck_assert(tg_requires_grad(z));
}
END_TEST

START_TEST(f32_rounds_values)
{
    tg_tensor *t = tg_scalar_of(TG_F32, 0.1);
    ck_assert(tg_get(t, 0) == (double)0.1f);
    float *raw = tg_data(t);
    ck_assert(raw[0] == 0.1f);
}
END_TEST

START_TEST(set_and_copy_from_write_in_place)
{
    int64_t n = 3;
    double v[3] = {7, 8, 9};
    tg_tensor *t = tg_tensor_new(TG_F64, 1, &n, NULL, false);
    ck_assert_int_eq(tg_set(t, 1, 5), 0);
    tu_assert_close(tg_get(t, 1), 5, 0);
    ck_assert_int_eq(tg_copy_from(t, v), 0);
    tu_assert_close(tg_get(t, 2), 9, 0);
    ck_assert_int_eq(tg_set(t, 3, 1), TG_EVALUE);
    ck_assert(strstr(tg_last_error(), "index 3 out of range") != NULL);
}
END_TEST

START_TEST(four_and_six_dimensions)
{
    int64_t shape[TG_MAX_DIMS] = {2, 1, 3, 1, 2, 2};
    tg_tensor *t = tg_tensor_new(TG_F64, TG_MAX_DIMS, shape, NULL, false);
    tu_assert_ok(t);
    ck_assert_int_eq(tg_numel(t), 24);
    int64_t too_many[TG_MAX_DIMS + 1] = {1, 1, 1, 1, 1, 1, 1};
    ck_assert_ptr_null(tg_tensor_new(TG_F64, TG_MAX_DIMS + 1, too_many, NULL, false));
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
}
END_TEST

START_TEST(empty_tensor)
{
    int64_t shape[2] = {0, 3};
    tg_tensor *t = tg_tensor_new(TG_F32, 2, shape, NULL, false);
    tu_assert_ok(t);
    ck_assert_int_eq(tg_numel(t), 0);
}
END_TEST

START_TEST(params_are_persistent)
{
    double v[2] = {1, 2};
    int64_t n = 2;
    tg_tensor *p = tg_param(TG_F32, 1, &n, v);
    tu_assert_ok(p);
    ck_assert(tg_is_persistent(p));
    ck_assert(tg_requires_grad(p));
    tg_tape_reset();
    tg_tape_reset();
    tu_assert_close(tg_get(p, 1), 2, 0);
    tu_assert_close(tg_grad_get(p, 0), 0, 0); /* no gradient yet reads as 0 */
    ck_assert_ptr_null(tg_grad_tensor(p));
    tg_free(p);
    tg_free(NULL);
}
END_TEST

START_TEST(tape_tensors_are_not_freed_by_tg_free)
{
    tg_tensor *t = tg_var(3);
    tg_free(t); /* ignored: tape tensors die at reset */
    tu_assert_close(tg_item(t), 3, 0);
}
END_TEST

START_TEST(persistent_constant_needs_no_grad)
{
    int64_t n = 2;
    double v[2] = {3, 4};
    tg_tensor *c = tg_persistent(TG_F64, 1, &n, v, false);
    ck_assert(!tg_requires_grad(c));
    tg_tape_reset();
    tu_assert_close(tg_get(c, 1), 4, 0);
    tg_free(c);
}
END_TEST

/* ---- what libraries built on tapegrad use (nn among them) ---- */

START_TEST(empty_is_uninitialised_but_shaped)
{
    tg_tensor *t = tg_empty(TG_F32, 2, (int64_t[]){3, 4}, true);
    tu_assert_ok(t);
    ck_assert_int_eq(tg_numel(t), 12);
    ck_assert_int_eq(tg_dtype_of(t), TG_F32);
    ck_assert(tg_requires_grad(t));
    ck_assert(!tg_is_persistent(t));
    float *v = tg_data(t);
    for (int i = 0; i < 12; i++)
        v[i] = (float)i;
    ck_assert(tg_get(t, 11) == 11);
    tg_clear_error();
    ck_assert_ptr_null(tg_empty((tg_dtype)7, 1, (int64_t[]){2}, false));
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "tg_empty"));
    tg_clear_error();
}
END_TEST

START_TEST(check_tensor_names_the_caller)
{
    tg_tensor *x = tg_scalar(1);
    ck_assert_int_eq(tg_check_tensor("my_loss", x, 1), TG_OK);
    tg_clear_error();
    ck_assert_int_eq(tg_check_tensor("my_loss", NULL, 2), TG_ENULL);
    ck_assert_str_eq(tg_last_error(), "my_loss: argument 2 is NULL");
    tg_tape_reset();
    tg_clear_error();
    ck_assert_int_eq(tg_check_tensor("my_loss", x, 1), TG_ESTALE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "my_loss: argument 1 belongs to a tape"));
    tg_clear_error();
}
END_TEST

START_TEST(mem_functions_use_the_allocator)
{
    void *ud = (void *)1;
    ck_assert_ptr_null(tg_get_allocator(&ud)); /* the C library's */
    ck_assert_ptr_null(ud);
    tu_allocator_install();
    ck_assert_ptr_nonnull(tg_get_allocator(NULL));
    char *p = tg_mem_alloc(16);
    ck_assert_ptr_nonnull(p);
    memset(p, 'a', 16);
    p = tg_mem_realloc(p, 16, 64);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p[15], 'a');
    ck_assert_int_eq(tu_allocations(), 2);
    tu_allocation_budget(0);
    ck_assert_ptr_null(tg_mem_alloc(8));
    ck_assert_ptr_null(tg_mem_realloc(p, 64, 128)); /* p stays valid */
    tg_mem_free(p, 64);
    tg_mem_free(NULL, 0);
    tu_allocator_remove();
    ck_assert_ptr_null(tg_get_allocator(NULL));
}
END_TEST

/* Gradients above the sweep's and tg_zero_grad's grains (2^15 elements) are
 * added and zeroed on two threads: every element, the tail share included,
 * gets its sum over two sweeps and then exactly zero. Below 2^18 elements
 * those passes go on the threads only after a gemm that was split over them
 * (tg_parallel_pass), as in a training step of a large enough layer: a
 * 256^3 matmul first. */
START_TEST(large_gradients_accumulate_and_zero_on_threads)
{
    int saved = tg_get_num_threads();
    ck_assert_int_eq(tg_set_num_threads(2), 0);
    tg_tensor *square = tg_full(TG_F32, 2, (int64_t[]){256, 256}, 0.5, false);
    ck_assert_ptr_nonnull(tg_matmul(square, square));
    tg_tape_reset();
    int64_t n = 3 * ((int64_t)1 << 15) + 5;
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *w = tg_param((tg_dtype)dt, 1, &n, NULL);
        ck_assert_ptr_nonnull(w);
        for (int sweep = 1; sweep <= 2; sweep++) {
            tg_tensor *seed = tg_full((tg_dtype)dt, 1, &n, 1.0, false);
            /* the rule's result is a tape tensor: deliver adds it in place */
            tg_tensor *y = tg_mul(w, tg_scalar_of((tg_dtype)dt, 0.25 * sweep));
            ck_assert_int_eq(tg_backward_ex(y, seed, 0), 0);
            tg_tape_reset();
        }
        for (int64_t i = 0; i < n; i++)
            if (tg_grad_get(w, i) != 0.75)
                ck_abort_msg("grad[%lld] = %g after two sweeps, want 0.75", (long long)i,
                             tg_grad_get(w, i));
        tg_zero_grad(w);
        for (int64_t i = 0; i < n; i++)
            if (tg_grad_get(w, i) != 0)
                ck_abort_msg("grad[%lld] = %g after tg_zero_grad", (long long)i,
                             tg_grad_get(w, i));
        tg_free(w);
    }
    tg_set_num_threads(saved);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tensor");
    TCase *tc = tu_tcase("tensor");
    tcase_add_test(tc, scalar_is_zero_dimensional);
    tcase_add_test(tc, tensor_new_is_row_major);
    tcase_add_test(tc, values_null_means_zeros_and_full_fills);
    tcase_add_test(tc, f32_rounds_values);
    tcase_add_test(tc, set_and_copy_from_write_in_place);
    tcase_add_test(tc, four_and_six_dimensions);
    tcase_add_test(tc, empty_tensor);
    tcase_add_test(tc, params_are_persistent);
    tcase_add_test(tc, tape_tensors_are_not_freed_by_tg_free);
    tcase_add_test(tc, persistent_constant_needs_no_grad);
    tcase_add_test(tc, empty_is_uninitialised_but_shaped);
    tcase_add_test(tc, check_tensor_names_the_caller);
    tcase_add_test(tc, mem_functions_use_the_allocator);
    tcase_add_test(tc, large_gradients_accumulate_and_zero_on_threads);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
