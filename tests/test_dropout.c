/* test_dropout.c -- tg_dropout: the mask drawn from the tg_rng in element
 * order and scaled by 1/(1-p), its gradient (the same mask), the identity
 * cases, p = 1, gradcheck and gradgradcheck, and the errors. */
#include "testutil.h"

START_TEST(dropout_mask_follows_the_rng)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double p = 0.3;
        tg_tensor *x = tu_rand((tg_dtype)dt, TU_SHAPE(100, 100), 0.5, 2, true);
        tg_rng rng, replay;
        tg_rng_seed(&rng, 5);
        tg_rng_seed(&replay, 5);
        tg_tensor *y = tg_dropout(x, p, true, &rng);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_DROPOUT);
        ck_assert_int_eq(tg_backward(tg_sum(y)), 0);
        double scale = dt == TG_F32 ? (double)(1.0f / (1.0f - (float)p)) : 1 / (1 - p);
        int64_t kept = 0;
        for (int64_t i = 0; i < tg_numel(x); i++) {
            double m = tg_rng_uniform(&replay) >= p ? scale : 0;
            kept += m != 0;
            tu_assert_close(tg_get(y, i), tg_get(x, i) * m, dt == TG_F32 ? 1e-7 : 0);
            tu_assert_close(tg_grad_get(x, i), m, 0);
        }
        /* 10^4 draws: the kept share is within 0.02 of 1 - p */
        ck_assert_msg(fabs((double)kept / 1e4 - (1 - p)) < 0.02, "kept %lld", (long long)kept);
        tg_tape_reset();
    }
}
END_TEST

START_TEST(dropout_identity_and_p_one)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(3, 4), -1, 1, true);
    tg_rng rng;
    tg_rng_seed(&rng, 1);
    tg_rng before = rng;
    ck_assert_ptr_eq(tg_dropout(x, 0.5, false, &rng), x); /* eval mode */
    ck_assert_ptr_eq(tg_dropout(x, 0, true, NULL), x);
    tg_tensor *zero = tg_dropout(x, 1, true, NULL); /* no draw: rng not needed */
    tu_assert_ok(zero);
    ck_assert_int_eq(tg_backward(tg_sum(zero)), 0);
    for (int64_t i = 0; i < 12; i++) {
        tu_assert_close(tg_get(zero, i), 0, 0);
        tu_assert_close(tg_grad_get(x, i), 0, 0);
    }
    ck_assert_uint_eq(tg_rng_next(&rng), tg_rng_next(&before)); /* nothing drawn */
}
END_TEST

static tg_tensor *dropout_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    tg_rng rng;
    tg_rng_seed(&rng, 9);
    return tg_dropout(in[0], 0.4, true, &rng);
}

START_TEST(dropout_gradcheck)
{
    tu_shape shape = TU_SHAPE(4, 5);
    tu_gradcheck_both(dropout_fn, NULL, 1, &shape, -2, 2);
    tg_tensor *x = tu_rand(TG_F64, shape, -2, 2, true);
    ck_assert_msg(tg_gradgradcheck(dropout_fn, NULL, 1, &x, NULL, NULL) == 0, "%s",
                  tg_last_error());
}
END_TEST

START_TEST(dropout_errors)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(3), -1, 1, false);
    tg_rng rng;
    tg_rng_seed(&rng, 1);
    ck_assert_ptr_null(tg_dropout(x, 1.5, true, &rng));
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(), "tg_dropout: dropout probability 1.5 is outside [0, 1]");
    tg_clear_error();
    ck_assert_ptr_null(tg_dropout(x, NAN, false, &rng));
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    tg_clear_error();
    ck_assert_ptr_null(tg_dropout(x, 0.5, true, NULL));
    ck_assert_str_eq(tg_last_error(), "tg_dropout: rng is NULL");
    tg_clear_error();
    ck_assert_ptr_null(tg_dropout(NULL, 0.5, true, &rng));
    ck_assert_str_eq(tg_last_error(), "tg_dropout: argument 1 is NULL");
    tg_clear_error();
}
END_TEST

TCase *tg_test_dropout(void)
{
    TCase *tc = tu_tcase("dropout");
    tcase_add_test(tc, dropout_mask_follows_the_rng);
    tcase_add_test(tc, dropout_identity_and_p_one);
    tcase_add_test(tc, dropout_gradcheck);
    tcase_add_test(tc, dropout_errors);
    return tc;
}
