/* test_layer_norm.c -- tg_layer_norm: values against the definition over
 * one and several trailing axes, with and without weight and bias, a
 * closed form, a large common offset, gradients (gradcheck and
 * gradgradcheck in both dtypes) and the errors. */
#include "norm_check.h"

typedef struct {
    tu_shape x;
    int k; /* normalized axes: the last k */
    bool weight, bias;
    double eps;
} ln_case;

static const ln_case cases[] = {
    {TU_SHAPE(2, 3), 1, true, true, 1e-5},
    {TU_SHAPE(2, 3, 4), 2, true, false, 1e-5},
    {TU_SHAPE(3, 2, 2), 1, false, true, 0.1},
    {TU_SHAPE(2, 2, 3), 3, false, false, 1e-5},
    {TU_SHAPE(5), 1, true, true, 0.5},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static const int64_t *normalized(const ln_case *k) { return k->x.d + k->x.ndim - k->k; }

static tg_tensor *ln_fn(tg_tensor *const *in, void *ctx)
{
    const ln_case *k = ctx;
    tg_tensor *w = k->weight ? in[1] : NULL, *b = k->bias ? in[1 + k->weight] : NULL;
    return tg_layer_norm(in[0], k->k, normalized(k), w, b, k->eps);
}

START_TEST(layer_norm_values)
{
    const ln_case *k = &cases[_i];
    tu_shape as = nc_trailing(&k->x, k->k);
    int64_t inner = nc_numel(&as);
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *in[3] = {tu_rand((tg_dtype)dt, k->x, -2, 2, true),
                            tu_rand((tg_dtype)dt, as, -1, 1, true),
                            tu_rand((tg_dtype)dt, as, -1, 1, true)};
        tg_tensor *y = ln_fn(in, (void *)k);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_LAYER_NORM);
        double x[64], w[64], b[64], want[64];
        nc_values(in[0], x);
        nc_values(in[1], w);
        nc_values(in[1 + k->weight], b);
        nc_reference(x, 1, tg_numel(in[0]) / inner, inner, k->eps, true, k->weight ? w : NULL,
                     k->bias ? b : NULL, inner, 1, want);
        nc_assert_values(y, want, dt == TG_F32 ? 1e-5 : 1e-14);
        tg_tape_reset();
    }
}
END_TEST

/* [1, 2, 3]: mean 2, biased variance 2/3, so y = (x - 2) sqrt(3/2); the
 * normalized slice sums to 0 whatever x is, so d sum(y) / dx = 0 */
START_TEST(layer_norm_closed_form)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double tol = dt == TG_F32 ? 1e-6 : 1e-15;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(3), (double[]){1, 2, 3}, true);
        tg_tensor *y = tg_layer_norm(x, 1, (const int64_t[]){3}, NULL, NULL, 0);
        tu_assert_ok(y);
        tu_assert_close(tg_get(y, 0), -sqrt(1.5), tol);
        tu_assert_close(tg_get(y, 1), 0, tol);
        tu_assert_close(tg_get(y, 2), sqrt(1.5), tol);
        ck_assert_int_eq(tg_backward(tg_sum(y)), 0);
        for (int i = 0; i < 3; i++)
            tu_assert_close(tg_grad_get(x, i), 0, tol);
        tg_tape_reset();
    }
}
END_TEST

/* statistics in double, two passes: 1e8 + [0, 1] normalizes exactly */
START_TEST(layer_norm_large_offset)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){1e8, 1e8 + 1}, false);
    tg_tensor *y = tg_layer_norm(x, 1, (const int64_t[]){2}, NULL, NULL, 0);
    tu_assert_close(tg_get(y, 0), -1, 1e-15);
    tu_assert_close(tg_get(y, 1), 1, 1e-15);
}
END_TEST

START_TEST(layer_norm_gradients)
{
    const ln_case *k = &cases[_i];
    tu_shape shapes[3] = {k->x, nc_trailing(&k->x, k->k), nc_trailing(&k->x, k->k)};
    nc_gradchecks(ln_fn, (void *)k, 1 + k->weight + k->bias, shapes);
    nc_check_fused(ln_fn, (void *)k, 1 + k->weight + k->bias, shapes);
}
END_TEST

START_TEST(layer_norm_errors)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(2, 3), -1, 1, false);
    ck_assert_ptr_null(tg_layer_norm(x, 1, (const int64_t[]){2}, NULL, NULL, 1e-5));
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
    ck_assert_str_eq(tg_last_error(), "tg_layer_norm: normalized_shape [2] is not the last axes "
                                      "of input of shape [2,3]");
    tg_clear_error();
    ck_assert_ptr_null(tg_layer_norm(x, 3, (const int64_t[]){1, 2, 3}, NULL, NULL, 1e-5));
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
    tg_clear_error();
    tg_tensor *w = tu_rand(TG_F64, TU_SHAPE(2), -1, 1, false);
    ck_assert_ptr_null(tg_layer_norm(x, 1, (const int64_t[]){3}, w, NULL, 1e-5));
    ck_assert_str_eq(tg_last_error(), "tg_layer_norm: weight has shape [2]; input of shape "
                                      "[2,3] needs [3]");
    tg_clear_error();
    tg_tensor *b32 = tu_rand(TG_F32, TU_SHAPE(3), -1, 1, false);
    ck_assert_ptr_null(tg_layer_norm(x, 1, (const int64_t[]){3}, NULL, b32, 1e-5));
    ck_assert_int_eq(tg_last_error_code(), TG_EDTYPE);
    tg_clear_error();
    ck_assert_ptr_null(tg_layer_norm(x, 1, (const int64_t[]){3}, NULL, NULL, -1));
    ck_assert_str_eq(tg_last_error(), "tg_layer_norm: eps -1 must be a finite number >= 0");
    tg_clear_error();
    ck_assert_ptr_null(tg_layer_norm(NULL, 1, (const int64_t[]){3}, NULL, NULL, 1e-5));
    ck_assert_str_eq(tg_last_error(), "tg_layer_norm: argument 1 is NULL");
    tg_clear_error();
}
END_TEST

TCase *tg_test_layer_norm(void)
{
    TCase *tc = tu_tcase("layer_norm");
    tcase_add_loop_test(tc, layer_norm_values, 0, N_CASES);
    tcase_add_test(tc, layer_norm_closed_form);
    tcase_add_test(tc, layer_norm_large_offset);
    tcase_add_loop_test(tc, layer_norm_gradients, 0, N_CASES);
    tcase_add_test(tc, layer_norm_errors);
    return tc;
}
