/* test_atan2.c -- tg_atan2: values against C's atan2 in every quadrant,
 * closed-form gradients, 0 at the origin (PyTorch), huge and tiny inputs,
 * broadcasting, errors. */
#include "testutil.h"

static tg_tensor *atan2_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_atan2(in[0], in[1]);
}

/* dy, dx of atan2(y, x) summed over a ones seed. */
static void grads(tg_dtype dt, int n, const double *y, const double *x, tg_tensor **ty,
                  tg_tensor **tx, tg_tensor **z)
{
    *ty = tu_tensor(dt, TU_SHAPE(n), y, true);
    *tx = tu_tensor(dt, TU_SHAPE(n), x, true);
    *z = tg_atan2(*ty, *tx);
    tu_assert_ok(*z);
    ck_assert_int_eq(tg_backward_ex(*z, tg_full(dt, 1, tg_shape(*z), 1, false), 0), 0);
}

START_TEST(atan2_values_and_gradient)
{
    double y[8] = {1, 1, -1, -1, 0, 0, 3, -1e-3}, x[8] = {1, -1, -1, 1, -2, 2, 0, 5};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *ty, *tx, *z;
        grads((tg_dtype)dt, 8, y, x, &ty, &tx, &z);
        double tol = dt == TG_F32 ? 1e-6 : 1e-15;
        for (int i = 0; i < 8; i++) {
            double r2 = x[i] * x[i] + y[i] * y[i];
            tu_assert_close(tg_get(z, i), atan2(y[i], x[i]), tol);
            tu_assert_close(tg_grad_get(ty, i), x[i] / r2, tol);
            tu_assert_close(tg_grad_get(tx, i), -y[i] / r2, tol);
        }
        tg_tape_reset();
    }
}
END_TEST

/* At (0, 0) both gradients are 0 (PyTorch since pytorch#166787), and the
 * second derivatives there too; far out they do not overflow. */
START_TEST(atan2_origin_and_extremes)
{
    double y[4] = {0, -0.0, 1e20, 1e-20}, x[4] = {0, 0, 1e3, 3e-20};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *ty, *tx, *z;
        grads((tg_dtype)dt, 4, y, x, &ty, &tx, &z);
        ck_assert(tg_get(z, 0) == 0 && tg_get(z, 1) == 0 && signbit(tg_get(z, 1)));
        for (int i = 0; i < 2; i++)
            ck_assert(tg_grad_get(ty, i) == 0 && tg_grad_get(tx, i) == 0);
        double tol = dt == TG_F32 ? 1e-6 : 1e-15;
        tu_assert_close(tg_grad_get(ty, 2) * 1e37, 1, tol);       /* x / r^2 = 1e-37 */
        tu_assert_close(tg_grad_get(tx, 2) * 1e20, -1, tol);      /* -y / r^2 = -1e-20 */
        tu_assert_close(tg_grad_get(ty, 3) * 1e-20, 3.0 / 10, tol); /* 3e-20 / 1e-39 */
        tg_tape_reset();
    }
    tg_tensor *y0 = tg_var(0), *x0 = tg_var(0), *in[2] = {y0, x0}, *g[2], *gg[2];
    tg_tensor *z = tg_atan2(y0, x0);
    ck_assert_int_eq(tg_grad(&z, 1, in, 2, g, true), 0);
    ck_assert_int_eq(tg_grad(&g[0], 1, in, 2, gg, false), 0);
    ck_assert(tg_item(g[0]) == 0 && tg_item(g[1]) == 0);
    ck_assert(!gg[0] || (tg_item(gg[0]) == 0 && tg_item(gg[1]) == 0));
}
END_TEST

/* y stays away from 0 so that no difference crosses the cut at x < 0 */
START_TEST(atan2_gradcheck)
{
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
        for (int dt = TG_F32; dt <= TG_F64; dt++) {
            tg_tensor *in[2] = {tu_rand((tg_dtype)dt, tu_broadcast_pairs[p][0], 0.3, 2, true),
                                tu_rand((tg_dtype)dt, tu_broadcast_pairs[p][1], -2, 2, true)};
            ck_assert_msg(tg_gradcheck(atan2_fn, NULL, 2, in, NULL, NULL) == 0, "%s",
                          tg_last_error());
            tg_tape_reset();
        }
    tu_gradcheck_both(atan2_fn, NULL, 2, (tu_shape[]){TU_SHAPE(2, 1, 3), TU_SHAPE(1, 3)}, 0.5,
                      2);
}
END_TEST

START_TEST(atan2_errors)
{
    ck_assert_ptr_null(tg_atan2(tg_var(1), NULL));
    ck_assert_str_eq(tg_last_error(), "tg_atan2: argument 2 is NULL");
    tg_clear_error();
    ck_assert_ptr_null(tg_atan2(tu_tensor(TG_F64, TU_SHAPE(2), NULL, false),
                                tu_tensor(TG_F64, TU_SHAPE(3), NULL, false)));
    ck_assert_str_eq(tg_last_error(), "tg_atan2: shapes do not broadcast: [2] and [3]");
}
END_TEST

TCase *tg_test_atan2(void)
{
    TCase *tc = tu_tcase("atan2");
    tcase_add_test(tc, atan2_values_and_gradient);
    tcase_add_test(tc, atan2_origin_and_extremes);
    tcase_add_test(tc, atan2_gradcheck);
    tcase_add_test(tc, atan2_errors);
    return tc;
}
