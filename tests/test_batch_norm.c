/* test_batch_norm.c -- tg_batch_norm: training values against the
 * definition on NC, NCL and NCHW inputs, the running statistics' in-place
 * update (the unbiased variance, momentum), eval mode from the running
 * statistics, gradients in both modes (gradcheck and gradgradcheck in both
 * dtypes) and the errors. */
#include "norm_check.h"

typedef struct {
    tu_shape x;
    bool weight, bias;
} bn_case;

static const bn_case cases[] = {
    {TU_SHAPE(4, 3), true, true},
    {TU_SHAPE(2, 2, 3), true, false},
    {TU_SHAPE(2, 3, 2, 2), false, true},
    {TU_SHAPE(1, 2, 4), false, false},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static int64_t spatial_of(const tu_shape *s) { return nc_numel(s) / (s->d[0] * s->d[1]); }

static tg_tensor *train_fn(tg_tensor *const *in, void *ctx)
{
    const bn_case *k = ctx;
    tg_tensor *w = k->weight ? in[1] : NULL, *b = k->bias ? in[1 + k->weight] : NULL;
    return tg_batch_norm(in[0], NULL, NULL, w, b, true, 0.1, 1e-5);
}

/* eval with running mean 0.5 and running variance 2 in every channel */
static tg_tensor *eval_fn(tg_tensor *const *in, void *ctx)
{
    const bn_case *k = ctx;
    int64_t C = tg_shape(in[0])[1];
    tg_tensor *mean = tg_full(tg_dtype_of(in[0]), 1, &C, 0.5, false);
    tg_tensor *var = tg_full(tg_dtype_of(in[0]), 1, &C, 2, false);
    tg_tensor *w = k->weight ? in[1] : NULL, *b = k->bias ? in[1 + k->weight] : NULL;
    return tg_batch_norm(in[0], mean, var, w, b, false, 0.1, 1e-5);
}

START_TEST(batch_norm_training_values)
{
    const bn_case *k = &cases[_i];
    int64_t N = k->x.d[0], C = k->x.d[1], S = spatial_of(&k->x);
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *in[3] = {tu_rand((tg_dtype)dt, k->x, -2, 2, true),
                            tu_rand((tg_dtype)dt, TU_SHAPE(C), -1, 1, true),
                            tu_rand((tg_dtype)dt, TU_SHAPE(C), -1, 1, true)};
        tg_tensor *y = train_fn(in, (void *)k);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_BATCH_NORM);
        double x[64], w[8], b[8], want[64];
        nc_values(in[0], x);
        nc_values(in[1], w);
        nc_values(in[1 + k->weight], b);
        nc_reference(x, N, C, S, 1e-5, true, k->weight ? w : NULL, k->bias ? b : NULL, C, S,
                     want);
        nc_assert_values(y, want, dt == TG_F32 ? 1e-5 : 1e-14);
        tg_tape_reset();
    }
}
END_TEST

/* channel 0 holds 1, 2, 3, 6 (mean 3, unbiased variance 14/3), channel 1
 * holds 0 four times; running = 0.7 running + 0.3 stat */
START_TEST(batch_norm_running_update)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double tol = dt == TG_F32 ? 1e-6 : 1e-15;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 2, 2),
                                 (double[]){1, 2, 0, 0, 3, 6, 0, 0}, true);
        tg_tensor *mean = tu_tensor((tg_dtype)dt, TU_SHAPE(2), (double[]){1, 1}, false);
        tg_tensor *var = tu_tensor((tg_dtype)dt, TU_SHAPE(2), (double[]){1, 1}, false);
        tg_tensor *y = tg_batch_norm(x, mean, var, NULL, NULL, true, 0.3, 0);
        tu_assert_ok(y);
        tu_assert_close(tg_get(mean, 0), 0.7 + 0.3 * 3, tol);
        tu_assert_close(tg_get(mean, 1), 0.7, tol);
        tu_assert_close(tg_get(var, 0), 0.7 + 0.3 * 14 / 3.0, tol);
        tu_assert_close(tg_get(var, 1), 0.7, tol);
        /* normalized by the biased variance, 14/4 */
        tu_assert_close(tg_get(y, 0), (1 - 3) / sqrt(3.5), tol);
        /* a constant channel with eps 0 is 0 / 0, NaN, as in PyTorch */
        ck_assert(isnan(tg_get(y, 2)));
        tg_tape_reset();
    }
}
END_TEST

START_TEST(batch_norm_eval_values)
{
    const bn_case *k = &cases[_i];
    int64_t C = k->x.d[1], S = spatial_of(&k->x);
    tg_tensor *in[3] = {tu_rand(TG_F64, k->x, -2, 2, true), tu_rand(TG_F64, TU_SHAPE(C), -1, 1, true),
                        tu_rand(TG_F64, TU_SHAPE(C), -1, 1, true)};
    tg_tensor *y = eval_fn(in, (void *)k);
    tu_assert_ok(y);
    for (int64_t i = 0; i < tg_numel(y); i++) {
        int64_t c = i / S % C;
        double want = (tg_get(in[0], i) - 0.5) / sqrt(2 + 1e-5) *
                          (k->weight ? tg_get(in[1], c) : 1) +
                      (k->bias ? tg_get(in[1 + k->weight], c) : 0);
        tu_assert_close(tg_get(y, i), want, 1e-14);
    }
}
END_TEST

START_TEST(batch_norm_gradients)
{
    const bn_case *k = &cases[_i];
    tu_shape shapes[3] = {k->x, TU_SHAPE(k->x.d[1]), TU_SHAPE(k->x.d[1])};
    int n = 1 + k->weight + k->bias;
    nc_gradchecks(train_fn, (void *)k, n, shapes);
    nc_gradchecks(eval_fn, (void *)k, n, shapes);
}
END_TEST

/* training only: eval mode is composed of ops, with no rule of its own */
START_TEST(batch_norm_fused_backward_matches_composed)
{
    const bn_case *k = &cases[_i];
    tu_shape shapes[3] = {k->x, TU_SHAPE(k->x.d[1]), TU_SHAPE(k->x.d[1])};
    nc_check_fused(train_fn, (void *)k, 1 + k->weight + k->bias, shapes);
}
END_TEST

START_TEST(batch_norm_errors)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(2, 3, 2), -1, 1, true);
    tg_tensor *stat = tu_rand(TG_F64, TU_SHAPE(3), 0.5, 1, false);
    tg_tensor *learnt = tu_rand(TG_F64, TU_SHAPE(3), 0.5, 1, true);
    ck_assert_ptr_null(tg_batch_norm(x, learnt, stat, NULL, NULL, true, 0.1, 1e-5));
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(), "tg_batch_norm: running_mean requires grad; running "
                                      "statistics are buffers, updated in place and never "
                                      "differentiated");
    tg_clear_error();
    ck_assert_ptr_null(tg_batch_norm(x, NULL, NULL, NULL, NULL, false, 0.1, 1e-5));
    ck_assert_str_eq(tg_last_error(), "tg_batch_norm: eval mode needs running_mean and "
                                      "running_var");
    tg_clear_error();
    tg_tensor *one = tu_rand(TG_F64, TU_SHAPE(1, 3), -1, 1, false);
    ck_assert_ptr_null(tg_batch_norm(one, NULL, NULL, NULL, NULL, true, 0.1, 1e-5));
    ck_assert_str_eq(tg_last_error(), "tg_batch_norm: training needs more than 1 value per "
                                      "channel; input has shape [1,3]");
    tg_clear_error();
    ck_assert_ptr_null(tg_batch_norm(x, tu_rand(TG_F64, TU_SHAPE(2), -1, 1, false), NULL, NULL,
                                     NULL, true, 0.1, 1e-5));
    ck_assert_str_eq(tg_last_error(), "tg_batch_norm: running_mean has shape [2]; input of shape "
                                      "[2,3,2] needs [3]");
    tg_clear_error();
    ck_assert_ptr_null(tg_batch_norm(x, NULL, NULL, NULL, NULL, true, NAN, 1e-5));
    ck_assert_str_eq(tg_last_error(), "tg_batch_norm: momentum nan is not finite");
    tg_clear_error();
    ck_assert_ptr_null(tg_batch_norm(tu_rand(TG_F64, TU_SHAPE(3), -1, 1, false), NULL, NULL,
                                     NULL, NULL, true, 0.1, 1e-5));
    ck_assert_str_eq(tg_last_error(), "tg_batch_norm: input has shape [3]; it must be [N,C,*]");
    tg_clear_error();
    /* a failed call leaves the running statistics as they were */
    double before = tg_get(stat, 0);
    ck_assert_ptr_null(tg_batch_norm(x, stat, stat, NULL, NULL, true, 0.1, -1));
    tu_assert_close(tg_get(stat, 0), before, 0);
    tg_clear_error();
}
END_TEST

TCase *tg_test_batch_norm(void)
{
    TCase *tc = tu_tcase("batch_norm");
    tcase_add_loop_test(tc, batch_norm_training_values, 0, N_CASES);
    tcase_add_test(tc, batch_norm_running_update);
    tcase_add_loop_test(tc, batch_norm_eval_values, 0, N_CASES);
    tcase_add_loop_test(tc, batch_norm_gradients, 0, N_CASES);
    tcase_add_loop_test(tc, batch_norm_fused_backward_matches_composed, 0, N_CASES);
    tcase_add_test(tc, batch_norm_errors);
    return tc;
}
