/* test_gradgrad.c -- second derivatives of every op: tg_gradgradcheck
 * compares each recorded backward rule with finite differences of
 * first-order gradients, in f64 and f32. Every op of the catalogue is
 * checked on its row's sample (tapegrad/catalogue.h), so a new op is
 * covered without an edit here; the cases after it add shapes and
 * arguments the samples do not reach. */
#include "testutil.h"

/* f32 second differences of f32 gradients: a wider step keeps rounding
 * (about 1e-7 / eps) below the tolerance. */
static const tg_gradcheck_opts f32_opts = {1e-2, 2e-2, 2e-2};

static void gradgrad_inputs(tg_fn f, void *ctx, tg_dtype dtype, int n, tg_tensor *const *in)
{
    tg_gradcheck_result r;
    int rc = tg_gradgradcheck(f, ctx, n, in, dtype == TG_F32 ? &f32_opts : NULL, &r);
    ck_assert_msg(rc == 0, "gradgradcheck (%s): %s", tg_dtype_name(dtype), tg_last_error());
    ck_assert_int_gt(r.checked, 0);
}

START_TEST(every_op_gradgrad)
{
    uint64_t seed = 11;
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const tg_op_info *row = tg_op_info_of((tg_op_kind)k);
        if (!row->sample.call)
            continue; /* internal and user-defined kinds */
        for (int dt = TG_F32; dt <= TG_F64; dt++) {
            tg_tensor *in[TG_MAX_INPUTS];
            ck_assert_int_eq(tg_op_sample_inputs(row, (tg_dtype)dt, &seed, in), 0);
            tg_gradcheck_result r;
            int rc = tg_gradgradcheck(row->sample.call, NULL, row->sample.n_inputs, in,
                                      dt == TG_F32 ? &f32_opts : NULL, &r);
            ck_assert_msg(rc == 0, "%s (%s): %s", row->name, tg_dtype_name((tg_dtype)dt),
                          tg_last_error());
            ck_assert_int_gt(r.checked, 0);
            tg_tape_reset();
        }
    }
}
END_TEST

/* Every input requires grad, with values drawn from [lo, hi]. */
static void gradgrad(tg_fn f, void *ctx, int n, const tu_shape *shapes, double lo, double hi)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *in[3];
        for (int k = 0; k < n; k++)
            in[k] = tu_rand((tg_dtype)dt, shapes[k], lo, hi, true);
        gradgrad_inputs(f, ctx, (tg_dtype)dt, n, in);
        tg_tape_reset();
    }
}

#define UNARY_FN(name, expr)                                                                 \
    static tg_tensor *name(tg_tensor *const *in, void *ctx)                                  \
    {                                                                                        \
        (void)ctx;                                                                           \
        tg_tensor *x = in[0];                                                                \
        return expr;                                                                         \
    }
#define BINARY_FN(name, expr)                                                                \
    static tg_tensor *name(tg_tensor *const *in, void *ctx)                                  \
    {                                                                                        \
        (void)ctx;                                                                           \
        tg_tensor *a = in[0], *b = in[1];                                                    \
        return expr;                                                                         \
    }

BINARY_FN(mul_fn, tg_mul(a, b))
BINARY_FN(matmul_fn, tg_matmul(a, b))
BINARY_FN(matmul_tt_fn, tg_matmul_t(a, b, true, true))
UNARY_FN(cube_fn, tg_pow_scalar(x, 3))
UNARY_FN(softmax0_fn, tg_softmax(x, 0))
UNARY_FN(log_softmax0_fn, tg_log_softmax(x, 0))
UNARY_FN(sum_axis1_fn, tg_sum_axis(x, 1, false))
UNARY_FN(mean_axis0_fn, tg_mean_axis(x, 0, true))
UNARY_FN(max_axis1_fn, tg_max_axis(x, 1, false))
UNARY_FN(min_axis0_fn, tg_min_axis(x, 0, true))
UNARY_FN(reshape_fn, tg_reshape(x, 2, (int64_t[]){3, -1}))
UNARY_FN(broadcast_to_fn, tg_broadcast_to(x, 2, (int64_t[]){2, 3}))
UNARY_FN(sum_to_keepdim_fn, tg_sum_to(x, 2, (int64_t[]){1, 3}))
UNARY_FN(cast_fn, tg_cast(x, tg_dtype_of(x) == TG_F32 ? TG_F64 : TG_F32))
/* Second derivatives are zero for the linear ops; squaring their result
 * makes the g-independent part of the check nonzero too. */
UNARY_FN(squared_sum_to_fn, tg_pow_scalar(tg_sum_to(x, 1, (int64_t[]){3}), 2))

static const tu_shape one[] = {TU_SHAPE(2, 3)};

START_TEST(arithmetic_gradgrad)
{
    gradgrad(mul_fn, NULL, 2, (tu_shape[]){TU_SCALAR, TU_SHAPE(3)}, -2, 2);
    gradgrad(cube_fn, NULL, 1, one, -2, 2); /* an integer power of a negative base */
}
END_TEST

/* A constant condition, and a result that uses a again. */
static tg_tensor *where_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_where(in[2], in[0], in[1]), in[0]);
}

START_TEST(where_gradgrad)
{
    double c[6] = {1, 0, 1, 0, 0, 1};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *in[3] = {tu_rand((tg_dtype)dt, TU_SHAPE(2, 3), -2, 2, true),
                            tu_rand((tg_dtype)dt, TU_SHAPE(3), -2, 2, true),
                            tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), c, false)};
        gradgrad_inputs(where_fn, NULL, (tg_dtype)dt, 3, in);
    }
}
END_TEST

/* Distinct values 0.25 apart in scrambled order, so that no finite
 * difference step changes which element is extreme. */
static tg_tensor *spaced(tg_dtype dtype)
{
    tg_tensor *t = tu_tensor(dtype, TU_SHAPE(2, 3), NULL, true);
    for (int64_t i = 0; i < 6; i++)
        tg_set(t, i, 0.25 * (double)(i * 5 % 7) - 0.5);
    return t;
}

START_TEST(other_axes_gradgrad)
{
    gradgrad(softmax0_fn, NULL, 1, one, -2, 2);
    gradgrad(log_softmax0_fn, NULL, 1, one, -2, 2);
    gradgrad(sum_axis1_fn, NULL, 1, one, -2, 2);
    gradgrad(mean_axis0_fn, NULL, 1, one, -2, 2);
    tg_fn extremes[] = {max_axis1_fn, min_axis0_fn};
    for (int dt = TG_F32; dt <= TG_F64; dt++)
        for (int k = 0; k < 2; k++) {
            tg_tensor *x = spaced((tg_dtype)dt);
            gradgrad_inputs(extremes[k], NULL, (tg_dtype)dt, 1, &x);
        }
}
END_TEST

START_TEST(matmul_shapes_gradgrad)
{
    gradgrad(matmul_fn, NULL, 2, (tu_shape[]){TU_SHAPE(3), TU_SHAPE(3, 2)}, -1, 1);
    gradgrad(matmul_fn, NULL, 2, (tu_shape[]){TU_SHAPE(2, 3), TU_SHAPE(3)}, -1, 1);
    gradgrad(matmul_fn, NULL, 2, (tu_shape[]){TU_SHAPE(2, 2, 3), TU_SHAPE(3, 2)}, -1, 1);
    gradgrad(matmul_tt_fn, NULL, 2, (tu_shape[]){TU_SHAPE(3, 2), TU_SHAPE(4, 3)}, -1, 1);
}
END_TEST

START_TEST(shape_ops_gradgrad)
{
    gradgrad(reshape_fn, NULL, 1, one, -2, 2);
    gradgrad(broadcast_to_fn, NULL, 1, (tu_shape[]){TU_SHAPE(3)}, -2, 2);
    gradgrad(sum_to_keepdim_fn, NULL, 1, one, -2, 2);
    gradgrad(squared_sum_to_fn, NULL, 1, one, -2, 2);
    gradgrad(cast_fn, NULL, 1, one, -2, 2); /* f64 to f32 as well */
}
END_TEST

TCase *tg_test_gradgrad(void)
{
    TCase *tc = tu_tcase("gradgrad");
    tcase_add_test(tc, every_op_gradgrad);
    tcase_add_test(tc, arithmetic_gradgrad);
    tcase_add_test(tc, where_gradgrad);
    tcase_add_test(tc, other_axes_gradgrad);
    tcase_add_test(tc, matmul_shapes_gradgrad);
    tcase_add_test(tc, shape_ops_gradgrad);
    return tc;
}
