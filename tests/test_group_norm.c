/* test_group_norm.c -- tg_group_norm: values against the definition on NC,
 * NCL and NCHW inputs with one, several and one-channel groups, with and
 * without weight and bias, gradients (gradcheck and gradgradcheck in both
 * dtypes) and the errors. */
#include "norm_check.h"

typedef struct {
    tu_shape x;
    int64_t groups;
    bool weight, bias;
} gn_case;

static const gn_case cases[] = {
    {TU_SHAPE(2, 4, 3), 2, true, true},
    {TU_SHAPE(1, 6, 2, 2), 3, true, false},
    {TU_SHAPE(3, 2), 1, false, true},
    {TU_SHAPE(2, 3, 2), 3, true, true}, /* one channel a group: instance norm */
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static tg_tensor *gn_fn(tg_tensor *const *in, void *ctx)
{
    const gn_case *k = ctx;
    tg_tensor *w = k->weight ? in[1] : NULL, *b = k->bias ? in[1 + k->weight] : NULL;
    return tg_group_norm(in[0], k->groups, w, b, 1e-5);
}

START_TEST(group_norm_values)
{
    const gn_case *k = &cases[_i];
    int64_t N = k->x.d[0], C = k->x.d[1], spatial = 1;
    for (int a = 2; a < k->x.ndim; a++)
        spatial *= k->x.d[a];
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *in[3] = {tu_rand((tg_dtype)dt, k->x, -2, 2, true),
                            tu_rand((tg_dtype)dt, TU_SHAPE(C), -1, 1, true),
                            tu_rand((tg_dtype)dt, TU_SHAPE(C), -1, 1, true)};
        tg_tensor *y = gn_fn(in, (void *)k);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_GROUP_NORM);
        double x[64], w[8], b[8], want[64];
        nc_values(in[0], x);
        nc_values(in[1], w);
        nc_values(in[1 + k->weight], b);
        nc_reference(x, 1, N * k->groups, C / k->groups * spatial, 1e-5, true,
                     k->weight ? w : NULL, k->bias ? b : NULL, C, spatial, want);
        nc_assert_values(y, want, dt == TG_F32 ? 1e-5 : 1e-14);
        tg_tape_reset();
    }
}
END_TEST

START_TEST(group_norm_gradients)
{
    const gn_case *k = &cases[_i];
    tu_shape shapes[3] = {k->x, TU_SHAPE(k->x.d[1]), TU_SHAPE(k->x.d[1])};
    nc_gradchecks(gn_fn, (void *)k, 1 + k->weight + k->bias, shapes);
    nc_check_fused(gn_fn, (void *)k, 1 + k->weight + k->bias, shapes);
}
END_TEST

START_TEST(group_norm_errors)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(2, 6, 3), -1, 1, false);
    ck_assert_ptr_null(tg_group_norm(x, 4, NULL, NULL, 1e-5));
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(), "tg_group_norm: 4 groups do not divide the 6 channels of "
                                      "input of shape [2,6,3]");
    tg_clear_error();
    ck_assert_ptr_null(tg_group_norm(x, 0, NULL, NULL, 1e-5));
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    tg_clear_error();
    ck_assert_ptr_null(tg_group_norm(tu_rand(TG_F64, TU_SHAPE(6), -1, 1, false), 2, NULL, NULL,
                                     1e-5));
    ck_assert_str_eq(tg_last_error(), "tg_group_norm: input has shape [6]; it must be [N,C,*]");
    tg_clear_error();
    ck_assert_ptr_null(tg_group_norm(x, 2, NULL, tu_rand(TG_F64, TU_SHAPE(3), -1, 1, false),
                                     1e-5));
    ck_assert_str_eq(tg_last_error(), "tg_group_norm: bias has shape [3]; input of shape "
                                      "[2,6,3] needs [6]");
    tg_clear_error();
}
END_TEST

TCase *tg_test_group_norm(void)
{
    TCase *tc = tu_tcase("group_norm");
    tcase_add_loop_test(tc, group_norm_values, 0, N_CASES);
    tcase_add_loop_test(tc, group_norm_gradients, 0, N_CASES);
    tcase_add_test(tc, group_norm_errors);
    return tc;
}
