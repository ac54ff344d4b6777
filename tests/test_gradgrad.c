/* test_gradgrad.c -- second derivatives of every op: tg_gradgradcheck
 * compares each recorded backward rule with finite differences of
 * first-order gradients, in f64 and f32, at points away from kinks. */
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

BINARY_FN(add_fn, tg_add(a, b))
BINARY_FN(sub_fn, tg_sub(a, b))
BINARY_FN(mul_fn, tg_mul(a, b))
BINARY_FN(div_fn, tg_div(a, b))
BINARY_FN(pow_fn, tg_pow(a, b))
BINARY_FN(maximum_fn, tg_maximum(a, b))
BINARY_FN(minimum_fn, tg_minimum(a, b))
BINARY_FN(matmul_fn, tg_matmul(a, b))
BINARY_FN(matmul_t_fn, tg_matmul_t(a, b, true, true))
UNARY_FN(add_scalar_fn, tg_add_scalar(x, 0.75))
UNARY_FN(mul_scalar_fn, tg_mul_scalar(x, -1.5))
UNARY_FN(pow_scalar_fn, tg_pow_scalar(x, 2.5))
UNARY_FN(cube_fn, tg_pow_scalar(x, 3))
UNARY_FN(neg_fn, tg_neg(x))
UNARY_FN(exp_fn, tg_exp(x))
UNARY_FN(log_fn, tg_log(x))
UNARY_FN(sqrt_fn, tg_sqrt(x))
UNARY_FN(abs_fn, tg_abs(x))
UNARY_FN(sigmoid_fn, tg_sigmoid(x))
UNARY_FN(tanh_fn, tg_tanh(x))
UNARY_FN(relu_fn, tg_relu(x))
UNARY_FN(leaky_relu_fn, tg_leaky_relu(x, 0.1))
UNARY_FN(step_fn, tg_step(x))
UNARY_FN(linear_fn, tg_linear(x))
UNARY_FN(softmax_fn, tg_softmax(x, 1))
UNARY_FN(softmax0_fn, tg_softmax(x, 0))
UNARY_FN(log_softmax_fn, tg_log_softmax(x, -1))
UNARY_FN(sum_fn, tg_sum(x))
UNARY_FN(mean_fn, tg_mean(x))
UNARY_FN(max_fn, tg_max(x))
UNARY_FN(min_fn, tg_min(x))
UNARY_FN(sum_axis_fn, tg_sum_axis(x, 1, false))
UNARY_FN(mean_axis_fn, tg_mean_axis(x, 0, true))
UNARY_FN(max_axis_fn, tg_max_axis(x, 1, false))
UNARY_FN(min_axis_fn, tg_min_axis(x, 0, true))
UNARY_FN(transpose_fn, tg_transpose(x))
UNARY_FN(reshape_fn, tg_reshape(x, 2, (int64_t[]){3, -1}))
UNARY_FN(broadcast_to_fn, tg_broadcast_to(x, 2, (int64_t[]){2, 3}))
UNARY_FN(sum_to_fn, tg_sum_to(x, 2, (int64_t[]){1, 3}))
UNARY_FN(cast_fn, tg_cast(x, tg_dtype_of(x) == TG_F32 ? TG_F64 : TG_F32))
/* Second derivatives are zero for the linear ops; squaring their result
 * makes the g-independent part of the check nonzero too. */
UNARY_FN(squared_sum_to_fn, tg_pow_scalar(tg_sum_to(x, 1, (int64_t[]){3}), 2))

static const tu_shape one[] = {TU_SHAPE(2, 3)};
static const tu_shape bcast2[] = {TU_SHAPE(2, 3), TU_SHAPE(3)};

START_TEST(arithmetic_gradgrad)
{
    gradgrad(add_fn, NULL, 2, bcast2, -2, 2);
    gradgrad(sub_fn, NULL, 2, bcast2, -2, 2);
    gradgrad(mul_fn, NULL, 2, bcast2, -2, 2);
    gradgrad(mul_fn, NULL, 2, (tu_shape[]){TU_SCALAR, TU_SHAPE(3)}, -2, 2);
    gradgrad(div_fn, NULL, 2, bcast2, 0.5, 2); /* away from b = 0 */
    gradgrad(pow_fn, NULL, 2, bcast2, 0.5, 2); /* positive base: ln a is defined */
}
END_TEST

START_TEST(minmax_gradgrad)
{
    /* a in [-2, -0.5], b in [0.5, 2]: no ties, b always wins the maximum */
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *in[2] = {tu_rand((tg_dtype)dt, TU_SHAPE(2, 3), -2, -0.5, true),
                            tu_rand((tg_dtype)dt, TU_SHAPE(3), 0.5, 2, true)};
        gradgrad_inputs(maximum_fn, NULL, (tg_dtype)dt, 2, in);
        gradgrad_inputs(minimum_fn, NULL, (tg_dtype)dt, 2, in);
    }
}
END_TEST

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

START_TEST(scalar_ops_gradgrad)
{
    gradgrad(add_scalar_fn, NULL, 1, one, -2, 2);
    gradgrad(mul_scalar_fn, NULL, 1, one, -2, 2);
    gradgrad(pow_scalar_fn, NULL, 1, one, 0.5, 2);
    gradgrad(cube_fn, NULL, 1, one, -2, 2);
}
END_TEST

START_TEST(elementwise_functions_gradgrad)
{
    gradgrad(neg_fn, NULL, 1, one, -2, 2);
    gradgrad(exp_fn, NULL, 1, one, -2, 2);
    gradgrad(log_fn, NULL, 1, one, 0.5, 2);
    gradgrad(sqrt_fn, NULL, 1, one, 0.5, 2);
    gradgrad(sigmoid_fn, NULL, 1, one, -3, 3);
    gradgrad(tanh_fn, NULL, 1, one, -2, 2);
    gradgrad(linear_fn, NULL, 1, one, -2, 2);
    gradgrad(step_fn, NULL, 1, one, 0.5, 2);
    for (int side = 0; side < 2; side++) { /* each side of the kink at 0 */
        double lo = side ? 0.25 : -2, hi = side ? 2 : -0.25;
        gradgrad(abs_fn, NULL, 1, one, lo, hi);
        gradgrad(relu_fn, NULL, 1, one, lo, hi);
        gradgrad(leaky_relu_fn, NULL, 1, one, lo, hi);
    }
}
END_TEST

START_TEST(softmax_gradgrad)
{
    gradgrad(softmax_fn, NULL, 1, one, -2, 2);
    gradgrad(softmax0_fn, NULL, 1, one, -2, 2);
    gradgrad(log_softmax_fn, NULL, 1, one, -2, 2);
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

START_TEST(reductions_gradgrad)
{
    gradgrad(sum_fn, NULL, 1, one, -2, 2);
    gradgrad(mean_fn, NULL, 1, one, -2, 2);
    gradgrad(sum_axis_fn, NULL, 1, one, -2, 2);
    gradgrad(mean_axis_fn, NULL, 1, one, -2, 2);
    tg_fn extremes[] = {max_fn, min_fn, max_axis_fn, min_axis_fn};
    for (int dt = TG_F32; dt <= TG_F64; dt++)
        for (int k = 0; k < 4; k++) {
            tg_tensor *x = spaced((tg_dtype)dt);
            gradgrad_inputs(extremes[k], NULL, (tg_dtype)dt, 1, &x);
        }
}
END_TEST

START_TEST(matmul_gradgrad)
{
    gradgrad(matmul_fn, NULL, 2, (tu_shape[]){TU_SHAPE(2, 3), TU_SHAPE(3, 4)}, -1, 1);
    gradgrad(matmul_fn, NULL, 2, (tu_shape[]){TU_SHAPE(3), TU_SHAPE(3, 2)}, -1, 1);
    gradgrad(matmul_fn, NULL, 2, (tu_shape[]){TU_SHAPE(2, 3), TU_SHAPE(3)}, -1, 1);
    gradgrad(matmul_fn, NULL, 2, (tu_shape[]){TU_SHAPE(2, 2, 3), TU_SHAPE(3, 2)}, -1, 1);
    gradgrad(matmul_t_fn, NULL, 2, (tu_shape[]){TU_SHAPE(3, 2), TU_SHAPE(4, 3)}, -1, 1);
}
END_TEST

START_TEST(shape_ops_gradgrad)
{
    gradgrad(transpose_fn, NULL, 1, one, -2, 2);
    gradgrad(reshape_fn, NULL, 1, one, -2, 2);
    gradgrad(broadcast_to_fn, NULL, 1, (tu_shape[]){TU_SHAPE(3)}, -2, 2);
    gradgrad(sum_to_fn, NULL, 1, one, -2, 2);
    gradgrad(squared_sum_to_fn, NULL, 1, one, -2, 2);
    gradgrad(cast_fn, NULL, 1, one, -2, 2);
}
END_TEST

TCase *tg_test_gradgrad(void)
{
    TCase *tc = tu_tcase("gradgrad");
    tcase_add_test(tc, arithmetic_gradgrad);
    tcase_add_test(tc, minmax_gradgrad);
    tcase_add_test(tc, where_gradgrad);
    tcase_add_test(tc, scalar_ops_gradgrad);
    tcase_add_test(tc, elementwise_functions_gradgrad);
    tcase_add_test(tc, softmax_gradgrad);
    tcase_add_test(tc, reductions_gradgrad);
    tcase_add_test(tc, matmul_gradgrad);
    tcase_add_test(tc, shape_ops_gradgrad);
    return tc;
}
