/* test_amax.c -- tg_amax and tg_amin: values over sets of axes, the even
 * split of the gradient among ties (torch.amax), NaN, and the errors. */
#include "testutil.h"

typedef struct {
    int n;
    int axes[TG_MAX_DIMS];
    bool keepdim;
} axes_arg;

static tg_tensor *amax_fn(tg_tensor *const *in, void *ctx)
{
    const axes_arg *a = ctx;
    return tg_amax(in[0], a->n, a->axes, a->keepdim);
}

static tg_tensor *amin_fn(tg_tensor *const *in, void *ctx)
{
    const axes_arg *a = ctx;
    return tg_amin(in[0], a->n, a->axes, a->keepdim);
}

/* [[[3, -1], [7, 2]], [[0, 5], [-4, 6]]] */
static const double v222[8] = {3, -1, 7, 2, 0, 5, -4, 6};

START_TEST(amax_values)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 2, 2), v222, false);
        tg_tensor *y = tg_amax(x, 2, (const int[]){0, 2}, false); /* keeps axis 1 */
        tu_assert_ok(y);
        ck_assert_int_eq(tg_ndim(y), 1);
        tu_assert_close(tg_get(y, 0), 5, 0); /* max(3, -1, 0, 5) */
        tu_assert_close(tg_get(y, 1), 7, 0); /* max(7, 2, -4, 6) */
        tg_tensor *z = tg_amin(x, 2, (const int[]){1, 2}, true);
        ck_assert_int_eq(tg_ndim(z), 3);
        tu_assert_close(tg_get(z, 0), -1, 0);
        tu_assert_close(tg_get(z, 1), -4, 0);
        tu_assert_close(tg_item(tg_amax(x, 0, NULL, false)), 7, 0);
    }
}
END_TEST

/* PyTorch's amax splits g evenly among tied maxima; tg_max_axis, like
 * torch.max(x, dim), gives it to the first. */
START_TEST(ties_share_the_gradient)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2, 3), (double[]){2, 5, 5, 5, 5, 5}, true);
    ck_assert_int_eq(tg_backward(tg_sum(tg_amax(x, 1, (const int[]){1}, false))), 0);
    double want[6] = {0, 0.5, 0.5, 1.0 / 3, 1.0 / 3, 1.0 / 3};
    for (int i = 0; i < 6; i++)
        tu_assert_close(tg_grad_get(x, i), want[i], 1e-15);
    tg_tensor *w = tu_tensor(TG_F64, TU_SHAPE(4), (double[]){1, 1, 4, 1}, true);
    ck_assert_int_eq(tg_backward(tg_amin(w, 0, NULL, false)), 0);
    for (int i = 0; i < 4; i++)
        tu_assert_close(tg_grad_get(w, i), i == 2 ? 0 : 1.0 / 3, 1e-15);
}
END_TEST

START_TEST(nan_wins_and_takes_the_gradient)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){1, NAN, 3}, true);
    tg_tensor *y = tg_amax(x, 0, NULL, false);
    ck_assert(isnan(tg_item(y)));
    ck_assert(isnan(tg_item(tg_amin(x, 0, NULL, false))));
    ck_assert_int_eq(tg_backward(y), 0);
    tu_assert_close(tg_grad_get(x, 0), 0, 0);
    tu_assert_close(tg_grad_get(x, 1), 1, 0);
    tu_assert_close(tg_grad_get(x, 2), 0, 0);
}
END_TEST

START_TEST(amax_gradcheck)
{
    static const struct {
        tu_shape shape;
        axes_arg arg;
    } cases[] = {
        {TU_SCALAR, {0, {0}, false}},            {TU_SHAPE(5), {1, {0}, true}},
        {TU_SHAPE(2, 3), {2, {0, 1}, false}},    {TU_SHAPE(3, 1, 2), {2, {0, 1}, true}},
        {TU_SHAPE(2, 3, 2), {2, {0, 2}, false}}, {TU_SHAPE(1, 4), {1, {0}, false}},
    };
    /* values from a continuous distribution: ties have probability 0 */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_gradcheck_both(amax_fn, (void *)&cases[i].arg, 1, &cases[i].shape, -2, 2);
        tu_gradcheck_both(amin_fn, (void *)&cases[i].arg, 1, &cases[i].shape, -2, 2);
    }
}
END_TEST

START_TEST(amax_errors)
{
    tg_tensor *empty = tu_tensor(TG_F64, TU_SHAPE(2, 0), NULL, false);
    ck_assert_ptr_null(tg_amax(empty, 0, NULL, false));
    ck_assert_str_eq(tg_last_error(), "tg_amax: tensor of shape [2,0] is empty; it has no extreme");
    tg_clear_error();
    ck_assert_ptr_null(tg_amin(empty, 1, (const int[]){1}, false));
    ck_assert_str_eq(tg_last_error(), "tg_amin: axis 1 of shape [2,0] is empty; it has no extreme");
    tg_clear_error();
    tu_assert_ok(tg_amax(empty, 1, (const int[]){0}, false)); /* no slices at all */
    ck_assert_ptr_null(tg_amax(tg_scalar(1), 1, (const int[]){0}, false));
    ck_assert_int_eq(tg_last_error_code(), TG_EAXIS);
}
END_TEST

TCase *tg_test_amax(void)
{
    TCase *tc = tu_tcase("amax");
    tcase_add_test(tc, amax_values);
    tcase_add_test(tc, ties_share_the_gradient);
    tcase_add_test(tc, nan_wins_and_takes_the_gradient);
    tcase_add_test(tc, amax_gradcheck);
    tcase_add_test(tc, amax_errors);
    return tc;
}
