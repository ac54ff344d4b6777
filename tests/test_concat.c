/* test_concat.c -- tg_concat, tg_stack and the several-result splits:
 * values in both dtypes, the balanced tree of nodes, each piece's gradient
 * given once, unused pieces, errors. */
#include "testutil.h"

static const double v12[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

static void assert_values(tg_tensor *y, int n, const double *want)
{
    tu_assert_ok(y);
    ck_assert_int_eq(tg_numel(y), n);
    for (int i = 0; i < n; i++)
        tu_assert_close(tg_get(y, i), want[i], 0);
}

START_TEST(concat_and_stack_values)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *a = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 2), v12, false);
        tg_tensor *b = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 1), v12 + 4, false);
        tg_tensor *ab[2] = {a, b};
        assert_values(tg_concat(2, ab, 1), 6, (double[]){0, 1, 4, 2, 3, 5});
        assert_values(tg_concat(2, (tg_tensor *[]){a, a}, 0), 8, (double[]){0, 1, 2, 3, 0, 1, 2, 3});
        tg_tensor *s = tg_stack(2, (tg_tensor *[]){a, a}, -1); /* [2, 2, 2] */
        ck_assert_int_eq(tg_ndim(s), 3);
        assert_values(s, 8, (double[]){0, 0, 1, 1, 2, 2, 3, 3});
        assert_values(tg_concat(1, &a, 0), 4, v12);
    }
}
END_TEST

/* Five scalars built into a vector (the "a vector from scalars"):
 * one concat node of five inputs, more than a node's three inline slots;
 * each leaf's gradient is its weight. */
START_TEST(vector_from_scalars)
{
    tg_tensor *s[5], *v[5];
    for (int k = 0; k < 5; k++) {
        s[k] = tg_var(k + 1);
        v[k] = tg_reshape(s[k], 1, (int64_t[]){1});
    }
    tg_tensor *vec = tg_concat(5, v, 0);
    assert_values(vec, 5, (double[]){1, 2, 3, 4, 5});
    ck_assert_int_eq(tg_op_num_inputs(vec), 5);
    ck_assert_ptr_eq(tg_op_input(vec, 4), v[4]);
    tg_tensor *stacked = tg_stack(5, s, 0);
    assert_values(stacked, 5, (double[]){1, 2, 3, 4, 5});
    tg_tensor *w = tu_tensor(TG_F64, TU_SHAPE(5), (double[]){10, 20, 30, 40, 50}, false);
    ck_assert_int_eq(tg_backward(tg_add(tg_dot(vec, w), tg_dot(stacked, w))), 0);
    for (int k = 0; k < 5; k++)
        tu_assert_close(tg_grad_get(s[k], 0), 20.0 * (k + 1), 0);
}
END_TEST

START_TEST(split_pieces_get_their_gradients)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(5, 2), v12, true), *out[5];
        ck_assert_int_eq(tg_split(x, 0, 2, (int64_t[]){2, 3}, out), 2);
        assert_values(out[1], 6, (double[]){4, 5, 6, 7, 8, 9});
        ck_assert_int_eq(tg_split_size(x, 0, 2, out, 5), 3);
        ck_assert_int_eq(tg_shape(out[2])[0], 1);
        ck_assert_int_eq(tg_chunk(x, 4, 0, out), 3); /* torch.chunk: pieces of 2 */
        tg_tensor *rows[5];
        ck_assert_int_eq(tg_unbind(x, 0, rows, 5), 5);
        assert_values(rows[3], 2, (double[]){6, 7});
        /* the first chunk twice, the last once, the middle unused */
        tg_tensor *y = tg_add(tg_mul_scalar(tg_sum(out[0]), 2), tg_sum(rows[4]));
        ck_assert_int_eq(tg_backward(y), 0);
        double want[10] = {2, 2, 2, 2, 0, 0, 0, 0, 1, 1};
        for (int i = 0; i < 10; i++)
            tu_assert_close(tg_grad_get(x, i), want[i], 0);
    }
}
END_TEST

static tg_tensor *concat3_fn(tg_tensor *const *in, void *ctx)
{
    tg_tensor *c = tg_concat(3, in, *(int *)ctx);
    return tg_mul(c, c);
}

static tg_tensor *stack_fn(tg_tensor *const *in, void *ctx)
{
    tg_tensor *c = tg_stack(2, in, *(int *)ctx);
    return tg_mul(c, c);
}

START_TEST(concat_gradcheck)
{
    int axis = 1, first = 0, last = -1;
    tu_gradcheck_both(concat3_fn, &axis, 3,
                      (tu_shape[]){TU_SHAPE(2, 1), TU_SHAPE(2, 3), TU_SHAPE(2, 2)}, -2, 2);
    tu_gradcheck_both(concat3_fn, &first, 3,
                      (tu_shape[]){TU_SHAPE(1, 2, 1), TU_SHAPE(2, 2, 1), TU_SHAPE(1, 2, 1)}, -2, 2);
    tu_gradcheck_both(concat3_fn, &first, 3, (tu_shape[]){TU_SHAPE(1), TU_SHAPE(3), TU_SHAPE(1)},
                      -2, 2);
    tu_gradcheck_both(stack_fn, &last, 2, (tu_shape[]){TU_SHAPE(2, 3), TU_SHAPE(2, 3)}, -2, 2);
    tu_gradcheck_both(stack_fn, &first, 2, (tu_shape[]){TU_SCALAR, TU_SCALAR}, -2, 2);
}
END_TEST

START_TEST(concat_errors)
{
    tg_tensor *a = tu_tensor(TG_F64, TU_SHAPE(2, 2), v12, false);
    tg_tensor *b = tu_tensor(TG_F64, TU_SHAPE(3, 1), v12, false), *out[4];
    ck_assert_ptr_null(tg_concat(2, (tg_tensor *[]){a, b}, 1));
    ck_assert_str_eq(tg_last_error(),
                     "tg_concat: tensors[1] of shape [3,1] does not fit [2,2] off axis 1");
    tg_clear_error();
    ck_assert_ptr_null(tg_concat(2, (tg_tensor *[]){a, NULL}, 0));
    ck_assert_int_eq(tg_last_error_code(), TG_ENULL);
    tg_clear_error();
    ck_assert_ptr_null(tg_stack(2, (tg_tensor *[]){a, b}, 0));
    ck_assert_str_eq(tg_last_error(), "tg_stack: tensors[1] of shape [3,1] differs from [2,2]");
    tg_clear_error();
    ck_assert_int_eq(tg_split(a, 0, 2, (int64_t[]){1, 2}, out), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(), "tg_split: sizes [1,2] do not add up to axis 0's size 2");
    tg_clear_error();
    ck_assert_int_eq(tg_unbind(a, 0, out, 1), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(), "tg_unbind: 2 results do not fit out[1]");
    tg_clear_error();
    ck_assert_int_eq(tg_chunk(a, 0, 0, out), TG_EVALUE);
}
END_TEST

/* The functions built on others name themselves in their errors, not the
 * function they call. */
START_TEST(errors_name_the_function_called)
{
    tg_tensor *a = tu_tensor(TG_F64, TU_SHAPE(2, 2), v12, false), *out[4];
    tg_tensor *a32 = tu_tensor(TG_F32, TU_SHAPE(2, 2), v12, false);
    ck_assert_ptr_null(tg_stack(2, (tg_tensor *[]){a, a}, 3));
    ck_assert_str_eq(tg_last_error(),
                     "tg_stack: axis 3 out of range -3..2 for a new axis of a 2-d tensor");
    tg_clear_error();
    ck_assert_ptr_null(tg_stack(2, (tg_tensor *[]){a, a32}, 0));
    ck_assert_str_eq(tg_last_error(), "tg_stack: dtypes differ: f64 and f32 (use tg_cast)");
    tg_clear_error();
    tg_tensor *six = tu_tensor(TG_F64, TU_SHAPE(1, 1, 1, 1, 1, 2), v12, false);
    ck_assert_ptr_null(tg_stack(1, &six, 0));
    ck_assert_str_eq(tg_last_error(),
                     "tg_stack: a 6-d tensor has no room for a new axis (6 at most)");
    tg_clear_error();
    ck_assert_int_eq(tg_chunk(a, 2, 0, NULL), TG_ENULL);
    ck_assert_str_eq(tg_last_error(), "tg_chunk: out is NULL");
    tg_clear_error();
    ck_assert_int_eq(tg_split_size(a, 1, 1, out, 1), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(), "tg_split_size: 2 results do not fit out[1]");
}
END_TEST

TCase *tg_test_concat(void)
{
    TCase *tc = tu_tcase("concat");
    tcase_add_test(tc, concat_and_stack_values);
    tcase_add_test(tc, vector_from_scalars);
    tcase_add_test(tc, split_pieces_get_their_gradients);
    tcase_add_test(tc, concat_gradcheck);
    tcase_add_test(tc, concat_errors);
    tcase_add_test(tc, errors_name_the_function_called);
    return tc;
}
