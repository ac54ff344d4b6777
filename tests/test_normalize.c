/* test_normalize.c -- tg_normalize and tg_cosine_similarity, composed of
 * ops as PyTorch composes them: values, eps at zero vectors, broadcasting,
 * gradients, and the errors. */
#include "testutil.h"

static tg_tensor *normalize_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_normalize(in[0], 2, -1, 1e-12);
}

static tg_tensor *normalize_p1_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_normalize(in[0], 1, 0, 1e-12);
}

static tg_tensor *cosine_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_cosine_similarity(in[0], in[1], -1, 1e-8);
}

START_TEST(normalize_values)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double tol = dt == TG_F32 ? 1e-6 : 1e-15;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 2), (double[]){3, 4, 0, 0}, true);
        tg_tensor *y = tg_normalize(x, 2, 1, 1e-12);
        tu_assert_ok(y);
        tu_assert_close(tg_get(y, 0), 0.6, tol);
        tu_assert_close(tg_get(y, 1), 0.8, tol);
        tu_assert_close(tg_get(y, 2), 0, 0); /* 0 / eps */
        tg_tensor *l1 = tg_normalize(x, 1, 1, 1e-12);
        tu_assert_close(tg_get(l1, 0), 3.0 / 7, tol);
        /* a zero row's gradient is 1/eps: the norm's subgradient at 0 is 0 */
        ck_assert_int_eq(tg_backward(tg_sum(tg_normalize(x, 2, 1, 0.5))), 0);
        tu_assert_close(tg_grad_get(x, 2), 2, tol);
        /* d/dx sum(x / |x|) = (1 - y sum(y)) / |x| */
        tu_assert_close(tg_grad_get(x, 0), (1 - 0.6 * 1.4) / 5, tol);
    }
}
END_TEST

START_TEST(cosine_similarity_values)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double tol = dt == TG_F32 ? 1e-6 : 1e-15;
        tg_tensor *a = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 2), (double[]){1, 0, 3, 4}, true);
        tg_tensor *b = tu_tensor((tg_dtype)dt, TU_SHAPE(2), (double[]){1, 1}, true); /* broadcast */
        tg_tensor *c = tg_cosine_similarity(a, b, 1, 1e-8);
        tu_assert_ok(c);
        ck_assert_int_eq(tg_ndim(c), 1);
        tu_assert_close(tg_get(c, 0), 1 / sqrt(2), tol);
        tu_assert_close(tg_get(c, 1), 7 / (5 * sqrt(2)), tol);
        /* a zero vector: similarity 0 and a finite gradient */
        tg_tensor *z = tu_tensor((tg_dtype)dt, TU_SHAPE(2), (double[]){0, 0}, true);
        tg_tensor *s = tg_cosine_similarity(z, b, 0, 1e-8);
        tu_assert_close(tg_item(s), 0, 0);
        ck_assert_int_eq(tg_backward(s), 0);
        ck_assert(isfinite(tg_grad_get(z, 0)));
        /* d cos / da for a = (1, 0), b = (1, 1): (b/|b| - cos a/|a|) / |a| */
        tg_tensor *a1 = tu_tensor((tg_dtype)dt, TU_SHAPE(2), (double[]){1, 0}, true);
        ck_assert_int_eq(tg_backward(tg_cosine_similarity(a1, b, 0, 1e-8)), 0);
        tu_assert_close(tg_grad_get(a1, 0), 1 / sqrt(2) - 1 / sqrt(2), tol);
        tu_assert_close(tg_grad_get(a1, 1), 1 / sqrt(2), tol);
    }
}
END_TEST

START_TEST(normalize_gradcheck)
{
    static const tu_shape shapes[] = {TU_SHAPE(3), TU_SHAPE(2, 3), TU_SHAPE(3, 1, 2)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        tu_gradcheck_both(normalize_fn, NULL, 1, &shapes[i], 0.5, 2);
        tu_gradcheck_both(normalize_p1_fn, NULL, 1, &shapes[i], 0.5, 2);
    }
    for (int k = 0; k < TU_BROADCAST_PAIRS; k++) {
        if (tu_broadcast_pairs[k][0].ndim == 0 && tu_broadcast_pairs[k][1].ndim == 0)
            continue; /* two scalars have no axis */
        tu_gradcheck_both(cosine_fn, NULL, 2, tu_broadcast_pairs[k], 0.5, 2);
    }
}
END_TEST

START_TEST(normalize_errors)
{
    tg_tensor *a = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){1, 2}, false);
    tg_tensor *b = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){1, 2, 3}, false);
    ck_assert_ptr_null(tg_cosine_similarity(a, b, 0, 1e-8));
    ck_assert_str_eq(tg_last_error(), "tg_cosine_similarity: shapes do not broadcast: [2] and [3]");
    tg_clear_error();
    ck_assert_ptr_null(tg_cosine_similarity(a, NULL, 0, 1e-8));
    ck_assert_str_eq(tg_last_error(), "tg_cosine_similarity: argument 2 is NULL");
    tg_clear_error();
    ck_assert_ptr_null(tg_normalize(a, 2, 1, 1e-12));
    ck_assert_str_eq(tg_last_error(), "tg_norm: axis 1 out of range for shape [2]");
}
END_TEST

TCase *tg_test_normalize(void)
{
    TCase *tc = tu_tcase("normalize");
    tcase_add_test(tc, normalize_values);
    tcase_add_test(tc, cosine_similarity_values);
    tcase_add_test(tc, normalize_gradcheck);
    tcase_add_test(tc, normalize_errors);
    return tc;
}
