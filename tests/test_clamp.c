/* test_clamp.c -- tg_clamp and tg_clamp_tensor: values, lo > hi, NaN,
 * PyTorch's gradients at the bounds and to tensor bounds, broadcasting,
 * missing bounds, errors. */
#include "pointwise_check.h"

typedef struct {
    double lo, hi;
} bounds;

static tg_tensor *clamp_op(tg_tensor *x, const void *ctx)
{
    const bounds *b = ctx;
    return tg_clamp(x, b->lo, b->hi);
}

static double clamp_ref(double x, const void *ctx, double *dy)
{
    const bounds *b = ctx;
    *dy = x >= b->lo && x <= b->hi;
    return fmin(fmax(x, b->lo), b->hi);
}

static tg_tensor *clamp_tensor_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_clamp_tensor(in[0], in[1], in[2]);
}

START_TEST(clamp_values_and_gradient)
{
    double x[7] = {-1e4, -3, -0.5, 0, 0.75, 2, 1e4};
    bounds unit = {0, 1}, only_lo = {-1, INFINITY}, only_hi = {-INFINITY, 0.5};
    pc_check_points(clamp_op, clamp_ref, &unit, 7, x, 0, 0);
    pc_check_points(clamp_op, clamp_ref, &only_lo, 7, x, 0, 0);
    pc_check_points(clamp_op, clamp_ref, &only_hi, 7, x, 0, 0);
    ck_assert_int_eq(tg_op_kind_of(tg_clamp(tg_var(1), 0, 2)), TG_OP_CLAMP);
}
END_TEST

/* torch.clamp passes g where lo <= x <= hi: at the bounds too (unlike
 * hardtanh); lo > hi gives hi everywhere and no gradient. NaN stays NaN. */
START_TEST(clamp_conventions)
{
    bounds unit = {0, 1}, crossed = {2, 1};
    pc_check_grad_at(clamp_op, &unit, 4, (double[]){0, 1, -1e-9, 1.5}, (double[]){1, 1, 0, 0});
    pc_check_grad_at(clamp_op, &crossed, 3, (double[]){0, 1.5, 3}, (double[]){0, 0, 0});
    tg_tensor *y = tg_clamp(tu_tensor(TG_F64, TU_SHAPE(3), (double[]){0, 1.5, 3}, false), 2, 1);
    for (int i = 0; i < 3; i++)
        ck_assert(tg_get(y, i) == 1);
    ck_assert(isnan(tg_item(tg_clamp(tg_scalar(NAN), 0, 1))));
}
END_TEST

/* Tensor bounds: x gets g on [lo, hi], lo gets it where x < lo < hi, hi
 * where x > hi or hi < lo; x = lo = hi gives g to x only, x < lo = hi to
 * no one (PyTorch's clamp_backward_min_max). */
START_TEST(clamp_tensor_gradients)
{
    double x[6] = {-2, 0, 0.5, 1, 3, 1}, lo[6] = {0, 0, 0, 0, 0, 1}, hi[6] = {1, 1, 1, 1, 1, 1};
    double want_x[6] = {0, 1, 1, 1, 0, 1}, want_lo[6] = {1, 0, 0, 0, 0, 0},
           want_hi[6] = {0, 0, 0, 0, 1, 0};
    double x2[3] = {-1, 5, 1.5}, lo2[3] = {2, 2, 1}, hi2[3] = {1, 1, 1};
    double want2_x[3] = {0, 0, 0}, want2_lo[3] = {0, 0, 0}, want2_hi[3] = {1, 1, 1};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t[3] = {tu_tensor((tg_dtype)dt, TU_SHAPE(6), x, true),
                           tu_tensor((tg_dtype)dt, TU_SHAPE(6), lo, true),
                           tu_tensor((tg_dtype)dt, TU_SHAPE(6), hi, true)};
        tg_tensor *y = tg_clamp_tensor(t[0], t[1], t[2]);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 1, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            ck_assert(tg_get(y, i) == fmin(fmax(x[i], lo[i]), hi[i]));
            ck_assert(tg_grad_get(t[0], i) == want_x[i]);
            ck_assert(tg_grad_get(t[1], i) == want_lo[i]);
            ck_assert(tg_grad_get(t[2], i) == want_hi[i]);
        }
        tg_tensor *c[3] = {tu_tensor((tg_dtype)dt, TU_SHAPE(3), x2, true),
                           tu_tensor((tg_dtype)dt, TU_SHAPE(3), lo2, true),
                           tu_tensor((tg_dtype)dt, TU_SHAPE(3), hi2, true)};
        y = tg_clamp_tensor(c[0], c[1], c[2]); /* lo > hi: hi everywhere, g to hi */
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 1, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 3; i++) {
            ck_assert(tg_get(y, i) == 1);
            ck_assert(tg_grad_get(c[0], i) == want2_x[i]);
            ck_assert(tg_grad_get(c[1], i) == want2_lo[i]);
            ck_assert(tg_grad_get(c[2], i) == want2_hi[i]);
        }
        tg_tape_reset();
    }
}
END_TEST

/* A NULL bound is none: the same as the scalar form with an infinity. */
START_TEST(clamp_tensor_missing_bound_and_nan)
{
    double x[4] = {-2, 0, 0.5, 3};
    tg_tensor *t = tu_tensor(TG_F64, TU_SHAPE(4), x, true), *hi = tg_var(1);
    tg_tensor *y = tg_clamp_tensor(t, NULL, hi);
    tu_assert_ok(y);
    ck_assert_int_eq(tg_backward(tg_sum(y)), 0);
    for (int i = 0; i < 4; i++) {
        ck_assert(tg_get(y, i) == fmin(x[i], 1));
        ck_assert(tg_grad_get(t, i) == (x[i] <= 1));
    }
    ck_assert(tg_grad_get(hi, 0) == 1);
    tg_tensor *z = tg_clamp_tensor(tg_scalar(0.5), tg_scalar(NAN), NULL);
    ck_assert(isnan(tg_item(z)));
    ck_assert(isnan(tg_item(tg_clamp_tensor(tg_scalar(NAN), tg_scalar(0), tg_scalar(1)))));
}
END_TEST

START_TEST(clamp_gradcheck)
{
    bounds unit = {-1, 1};
    pc_gradcheck_shapes(clamp_op, &unit, -0.9, 0.9);
    pc_gradcheck_shapes(clamp_op, &unit, 1.1, 2);
    /* x in +-[1, 2], lo in [-0.5, 0.5], hi in [0.6, 0.9] or the same as lo
     * shifted: every comparison is at least 0.1 apart */
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++) {
        tu_shape shapes[3] = {tu_broadcast_pairs[p][0], tu_broadcast_pairs[p][1],
                              tu_broadcast_pairs[p][0]};
        for (int dt = TG_F32; dt <= TG_F64; dt++) {
            tg_tensor *x = tu_rand((tg_dtype)dt, shapes[0], 1, 2, true);
            for (int64_t i = 0; i < tg_numel(x); i += 2)
                tg_set(x, i, -tg_get(x, i));
            tg_tensor *in[3] = {x, tu_rand((tg_dtype)dt, shapes[1], -0.5, 0.5, true),
                                tu_rand((tg_dtype)dt, shapes[2], 0.6, 0.9, true)};
            ck_assert_msg(tg_gradcheck(clamp_tensor_fn, NULL, 3, in, NULL, NULL) == 0, "%s",
                          tg_last_error());
            ck_assert_msg(tg_gradgradcheck(clamp_tensor_fn, NULL, 3, in, NULL, NULL) == 0, "%s",
                          tg_last_error());
            tg_tape_reset();
        }
    }
}
END_TEST

START_TEST(clamp_errors)
{
    ck_assert_ptr_null(tg_clamp(tg_var(0), NAN, 1));
    ck_assert_str_eq(tg_last_error(), "tg_clamp: a bound is NaN (lo nan, hi 1); use -INFINITY "
                                      "or INFINITY for a missing one");
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    tg_clear_error();
    ck_assert_ptr_null(tg_clamp_tensor(tg_var(0), NULL, NULL));
    ck_assert_str_eq(tg_last_error(),
                     "tg_clamp_tensor: lo and hi are both NULL; at least one bound is needed");
    tg_clear_error();
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2, 3), NULL, true);
    ck_assert_ptr_null(tg_clamp_tensor(x, tu_tensor(TG_F64, TU_SHAPE(3), NULL, false),
                                       tu_tensor(TG_F64, TU_SHAPE(4), NULL, false)));
    ck_assert_str_eq(tg_last_error(), "tg_clamp_tensor: shapes do not broadcast: [2,3] and [3] "
                                      "and [4]");
    tg_clear_error();
    ck_assert_ptr_null(tg_clamp_tensor(x, tu_tensor(TG_F32, TU_SCALAR, NULL, false), NULL));
    ck_assert_int_eq(tg_last_error_code(), TG_EDTYPE);
    tg_clear_error();
    ck_assert_ptr_null(tg_clamp(NULL, 0, 1));
    ck_assert_str_eq(tg_last_error(), "tg_clamp: argument 1 is NULL");
}
END_TEST

TCase *tg_test_clamp(void)
{
    TCase *tc = tu_tcase("clamp");
    tcase_add_test(tc, clamp_values_and_gradient);
    tcase_add_test(tc, clamp_conventions);
    tcase_add_test(tc, clamp_tensor_gradients);
    tcase_add_test(tc, clamp_tensor_missing_bound_and_nan);
    tcase_add_test(tc, clamp_gradcheck);
    tcase_add_test(tc, clamp_errors);
    return tc;
}
