/* test_rms_norm.c -- tg_rms_norm: values against the definition, eps's
 * default (PyTorch's None: the dtype's machine epsilon), a closed form,
 * gradients (gradcheck and gradgradcheck in both dtypes) and the errors. */
#include <float.h>

#include "norm_check.h"

typedef struct {
    tu_shape x;
    int k;
    bool weight;
    double eps;
} rms_case;

static const rms_case cases[] = {
    {TU_SHAPE(2, 3), 1, true, NAN},
    {TU_SHAPE(2, 3, 2), 2, false, 1e-3},
    {TU_SHAPE(4), 1, true, 0.5},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static const int64_t *normalized(const rms_case *k) { return k->x.d + k->x.ndim - k->k; }

static tg_tensor *rms_fn(tg_tensor *const *in, void *ctx)
{
    const rms_case *k = ctx;
    return tg_rms_norm(in[0], k->k, normalized(k), k->weight ? in[1] : NULL, k->eps);
}

START_TEST(rms_norm_values)
{
    const rms_case *k = &cases[_i];
    tu_shape as = nc_trailing(&k->x, k->k);
    int64_t inner = nc_numel(&as);
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *in[2] = {tu_rand((tg_dtype)dt, k->x, -2, 2, true),
                            tu_rand((tg_dtype)dt, as, -1, 1, true)};
        tg_tensor *y = rms_fn(in, (void *)k);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_RMS_NORM);
        double x[64], w[64], want[64];
        double eps = isnan(k->eps) ? (dt == TG_F32 ? FLT_EPSILON : DBL_EPSILON) : k->eps;
        nc_values(in[0], x);
        nc_values(in[1], w);
        nc_reference(x, 1, tg_numel(in[0]) / inner, inner, eps, false, k->weight ? w : NULL, NULL,
                     inner, 1, want);
        nc_assert_values(y, want, dt == TG_F32 ? 1e-5 : 1e-14);
        tg_tape_reset();
    }
}
END_TEST

/* [3, 4]: mean of squares 12.5, so y = x / sqrt(12.5 + eps); with eps None
 * in f32 that is FLT_EPSILON, which moves the f32 result by 1 ulp at most,
 * and [0, 0] gives 0 / sqrt(eps) = 0, not NaN */
START_TEST(rms_norm_default_eps)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){3, 4}, true);
    tg_tensor *y = tg_rms_norm(x, 1, (const int64_t[]){2}, NULL, NAN);
    tu_assert_ok(y);
    tu_assert_close(tg_get(y, 0), 3 / sqrt(12.5 + DBL_EPSILON), 1e-16);
    /* d y0 / d x0 = (1 - y0^2 / 2) / rms */
    ck_assert_int_eq(tg_backward_ex(y, tu_tensor(TG_F64, TU_SHAPE(2), (double[]){1, 0}, false),
                                    0), 0);
    tu_assert_close(tg_grad_get(x, 0), (1 - 9 / 25.0) / sqrt(12.5), 1e-14);
    tg_tensor *z = tu_tensor(TG_F32, TU_SHAPE(2), (double[]){0, 0}, false);
    tg_tensor *yz = tg_rms_norm(z, 1, (const int64_t[]){2}, NULL, NAN);
    tu_assert_close(tg_get(yz, 0), 0, 0);
}
END_TEST

START_TEST(rms_norm_gradients)
{
    const rms_case *k = &cases[_i];
    tu_shape shapes[2] = {k->x, nc_trailing(&k->x, k->k)};
    nc_gradchecks(rms_fn, (void *)k, 1 + k->weight, shapes);
    nc_check_fused(rms_fn, (void *)k, 1 + k->weight, shapes);
}
END_TEST

START_TEST(rms_norm_errors)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(2, 3), -1, 1, false);
    ck_assert_ptr_null(tg_rms_norm(x, 2, (const int64_t[]){3, 2}, NULL, NAN));
    ck_assert_str_eq(tg_last_error(), "tg_rms_norm: normalized_shape [3,2] is not the last axes "
                                      "of input of shape [2,3]");
    tg_clear_error();
    ck_assert_ptr_null(tg_rms_norm(x, 1, (const int64_t[]){3}, NULL, INFINITY));
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    tg_clear_error();
}
END_TEST

TCase *tg_test_rms_norm(void)
{
    TCase *tc = tu_tcase("rms_norm");
    tcase_add_loop_test(tc, rms_norm_values, 0, N_CASES);
    tcase_add_test(tc, rms_norm_default_eps);
    tcase_add_loop_test(tc, rms_norm_gradients, 0, N_CASES);
    tcase_add_test(tc, rms_norm_errors);
    return tc;
}
