/* test_matmul.c -- tg_matmul and tg_matmul_t: values against closed forms
 * and naive loops, vectors, batch broadcasting, transpose flags, gradients,
 * errors. */
#include "testutil.h"

typedef struct {
    bool trans_a, trans_b;
} flags;

static tg_tensor *matmul_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_matmul(in[0], in[1]);
}

static tg_tensor *matmul_t_fn(tg_tensor *const *in, void *ctx)
{
    const flags *f = ctx;
    return tg_matmul_t(in[0], in[1], f->trans_a, f->trans_b);
}

static void assert_shape(const tg_tensor *t, tu_shape want)
{
    ck_assert_int_eq(tg_ndim(t), want.ndim);
    for (int d = 0; d < want.ndim; d++)
        ck_assert_int_eq(tg_shape(t)[d], want.d[d]);
}

/* Entry (r, c) of the product of the [rows, k] matrix at a_base in a and the
 * [k, cols] matrix at b_base in b, by a plain loop in double. */
static double naive_entry(const tg_tensor *a, int64_t a_base, const tg_tensor *b, int64_t b_base,
                          int64_t k, int64_t cols, int64_t r, int64_t c)
{
    double acc = 0;
    for (int64_t t = 0; t < k; t++)
        acc += tg_get(a, a_base + r * k + t) * tg_get(b, b_base + t * cols + c);
    return acc;
}

/* Checks c against the naive product of matrix pairs (a_mat[i], b_mat[i]). */
static void assert_naive_batches(const tg_tensor *c, const tg_tensor *a, const tg_tensor *b,
                                 int64_t m, int64_t k, int64_t n, int count,
                                 const int *a_mat, const int *b_mat, double tol)
{
    for (int i = 0; i < count; i++)
        for (int64_t r = 0; r < m; r++)
            for (int64_t col = 0; col < n; col++)
                tu_assert_close(tg_get(c, (i * m + r) * n + col),
                                naive_entry(a, a_mat[i] * m * k, b, b_mat[i] * k * n, k, n, r, col),
                                tol);
}

START_TEST(matrix_times_matrix)
{
    double a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {7, 8, 9, 10, 11, 12};
    double want[4] = {58, 64, 139, 154}; /* [[1,2,3],[4,5,6]] @ [[7,8],[9,10],[11,12]] */
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *c = tg_matmul(tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), a, false),
                                 tu_tensor((tg_dtype)dt, TU_SHAPE(3, 2), b, false));
        tu_assert_ok(c);
        assert_shape(c, TU_SHAPE(2, 2));
        ck_assert_int_eq(tg_dtype_of(c), dt);
        for (int i = 0; i < 4; i++)
            tu_assert_close(tg_get(c, i), want[i], 0);
    }
}
END_TEST

START_TEST(vectors_drop_their_axis)
{
    double m[6] = {1, 2, 3, 4, 5, 6}, u[3] = {1, 0, -1}, w[2] = {2, -1};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *mat = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), m, false);
        tg_tensor *col = tu_tensor((tg_dtype)dt, TU_SHAPE(3), u, false);
        tg_tensor *row = tu_tensor((tg_dtype)dt, TU_SHAPE(2), w, false);
        tg_tensor *mv = tg_matmul(mat, col), *vm = tg_matmul(row, mat), *vv = tg_matmul(col, col);
        tu_assert_ok(mv);
        tu_assert_ok(vm);
        tu_assert_ok(vv);
        assert_shape(mv, TU_SHAPE(2));
        assert_shape(vm, TU_SHAPE(3));
        assert_shape(vv, TU_SCALAR);
        tu_assert_close(tg_get(mv, 0), -2, 0);
        tu_assert_close(tg_get(mv, 1), -2, 0);
        double want_vm[3] = {-2, -1, 0};
        for (int i = 0; i < 3; i++)
            tu_assert_close(tg_get(vm, i), want_vm[i], 0);
        tu_assert_close(tg_item(vv), 2, 0);
    }
}
END_TEST

START_TEST(batch_axes_broadcast)
{
    /* [2,1,2,3] @ [3,3,2] -> [2,3,2,2]: output matrix (i, j) is a[i] @ b[j] */
    tg_tensor *a = tu_rand(TG_F64, TU_SHAPE(2, 1, 2, 3), -1, 1, false);
    tg_tensor *b = tu_rand(TG_F64, TU_SHAPE(3, 3, 2), -1, 1, false);
    tg_tensor *c = tg_matmul(a, b);
    tu_assert_ok(c);
    assert_shape(c, TU_SHAPE(2, 3, 2, 2));
    const int a_mat[6] = {0, 0, 0, 1, 1, 1}, b_mat[6] = {0, 1, 2, 0, 1, 2};
    assert_naive_batches(c, a, b, 2, 3, 2, 6, a_mat, b_mat, 1e-15);
}
END_TEST

START_TEST(batch_with_shared_right_operand)
{
    /* [3,2,4] @ [4,5] runs as one [6,4] @ [4,5] gemm; [4,5] @ [3,5,2] does not */
    tg_tensor *a = tu_rand(TG_F64, TU_SHAPE(3, 2, 4), -1, 1, false);
    tg_tensor *b = tu_rand(TG_F64, TU_SHAPE(4, 5), -1, 1, false);
    tg_tensor *c = tg_matmul(a, b);
    tu_assert_ok(c);
    assert_shape(c, TU_SHAPE(3, 2, 5));
    const int three[3] = {0, 1, 2}, zeros[3] = {0, 0, 0};
    assert_naive_batches(c, a, b, 2, 4, 5, 3, three, zeros, 1e-15);

    tg_tensor *d = tu_rand(TG_F64, TU_SHAPE(3, 5, 2), -1, 1, false);
    tg_tensor *e = tg_matmul(b, d);
    tu_assert_ok(e);
    assert_shape(e, TU_SHAPE(3, 4, 2));
    assert_naive_batches(e, b, d, 4, 5, 2, 3, zeros, three, 1e-15);

    tg_tensor *v = tu_rand(TG_F64, TU_SHAPE(5), -1, 1, false);
    tg_tensor *f = tg_matmul(v, d); /* [5] @ [3,5,2] -> [3,2] */
    tu_assert_ok(f);
    assert_shape(f, TU_SHAPE(3, 2));
    assert_naive_batches(f, v, d, 1, 5, 2, 3, zeros, three, 1e-15);
}
END_TEST

START_TEST(large_product_matches_naive_loop)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double tol = dt == TG_F32 ? 1e-5 : 1e-13;
        tg_tensor *a = tu_rand((tg_dtype)dt, TU_SHAPE(64, 128), -1, 1, false);
        tg_tensor *b = tu_rand((tg_dtype)dt, TU_SHAPE(128, 32), -1, 1, false);
        tg_tensor *c = tg_matmul(a, b);
        tu_assert_ok(c);
        assert_shape(c, TU_SHAPE(64, 32));
        const int zero = 0;
        assert_naive_batches(c, a, b, 64, 128, 32, 1, &zero, &zero, tol);

        tg_tensor *stack = tu_rand((tg_dtype)dt, TU_SHAPE(3, 64, 128), -1, 1, false);
        tg_tensor *pairs = tu_rand((tg_dtype)dt, TU_SHAPE(3, 128, 32), -1, 1, false);
        const int three[3] = {0, 1, 2}, zeros[3] = {0, 0, 0};
        tg_tensor *folded = tg_matmul(stack, b), *looped = tg_matmul(stack, pairs);
        tu_assert_ok(folded);
        tu_assert_ok(looped);
        assert_naive_batches(folded, stack, b, 64, 128, 32, 3, three, zeros, tol);
        assert_naive_batches(looped, stack, pairs, 64, 128, 32, 3, three, three, tol);
    }
}
END_TEST

START_TEST(transpose_flags_match_explicit_transposes)
{
    static const struct {
        tu_shape a, b;
        flags f;
    } cases[] = {
        {TU_SHAPE(3, 2), TU_SHAPE(3, 4), {true, false}},
        {TU_SHAPE(2, 3), TU_SHAPE(4, 3), {false, true}},
        {TU_SHAPE(3, 2), TU_SHAPE(4, 3), {true, true}},
        {TU_SHAPE(2, 3), TU_SHAPE(3, 4), {false, false}},
        {TU_SHAPE(2, 3, 2), TU_SHAPE(4, 3), {true, true}},
        {TU_SHAPE(2, 2, 3), TU_SHAPE(2, 1, 4, 3), {false, true}},
    };
    for (int dt = TG_F32; dt <= TG_F64; dt++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            tg_tensor *a = tu_rand((tg_dtype)dt, cases[i].a, -1, 1, false);
            tg_tensor *b = tu_rand((tg_dtype)dt, cases[i].b, -1, 1, false);
            tg_tensor *got = tg_matmul_t(a, b, cases[i].f.trans_a, cases[i].f.trans_b);
            tg_tensor *want = tg_matmul(cases[i].f.trans_a ? tg_transpose(a) : a,
                                        cases[i].f.trans_b ? tg_transpose(b) : b);
            tu_assert_ok(got);
            tu_assert_ok(want);
            ck_assert_int_eq(tg_ndim(got), tg_ndim(want));
            ck_assert_int_eq(tg_numel(got), tg_numel(want));
            for (int d = 0; d < tg_ndim(got); d++)
                ck_assert_int_eq(tg_shape(got)[d], tg_shape(want)[d]);
            for (int64_t j = 0; j < tg_numel(got); j++)
                tu_assert_close(tg_get(got, j), tg_get(want, j), 1e-6);
        }
}
END_TEST

START_TEST(matmul_gradcheck)
{
    static const tu_shape cases[][2] = {
        {TU_SHAPE(2, 3), TU_SHAPE(3, 4)},       {TU_SHAPE(1, 1), TU_SHAPE(1, 1)},
        {TU_SHAPE(2, 3), TU_SHAPE(3)},          {TU_SHAPE(3), TU_SHAPE(3, 2)},
        {TU_SHAPE(4), TU_SHAPE(4)},             {TU_SHAPE(2, 2, 3), TU_SHAPE(3, 2)},
        {TU_SHAPE(3, 2), TU_SHAPE(2, 2, 3)},    {TU_SHAPE(2, 1, 2, 3), TU_SHAPE(3, 3, 2)},
        {TU_SHAPE(3), TU_SHAPE(2, 3, 2)},       {TU_SHAPE(2, 2, 3), TU_SHAPE(3)},
        {TU_SHAPE(1, 2, 3), TU_SHAPE(2, 3, 1)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        tu_gradcheck_both(matmul_fn, NULL, 2, cases[i], -1, 1);
}
END_TEST

START_TEST(matmul_t_gradcheck)
{
    static const struct {
        tu_shape shapes[2];
        flags f;
    } cases[] = {
        {{TU_SHAPE(3, 2), TU_SHAPE(3, 4)}, {true, false}},
        {{TU_SHAPE(2, 3), TU_SHAPE(4, 3)}, {false, true}},
        {{TU_SHAPE(3, 2), TU_SHAPE(4, 3)}, {true, true}},
        {{TU_SHAPE(2, 3, 2), TU_SHAPE(4, 3)}, {true, true}},
        {{TU_SHAPE(2, 2, 3), TU_SHAPE(2, 1, 4, 3)}, {false, true}},
        {{TU_SHAPE(3, 2), TU_SHAPE(2, 3, 4)}, {true, false}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        tu_gradcheck_both(matmul_t_fn, (void *)&cases[i].f, 2, cases[i].shapes, -1, 1);
}
END_TEST

START_TEST(gradients_are_g_bT_and_aT_g)
{
    double av[4] = {1, 2, 3, 4}, bv[4] = {5, 6, 7, 8}; /* a, b: 2x2 */
    tg_tensor *a = tu_tensor(TG_F64, TU_SHAPE(2, 2), av, true);
    tg_tensor *b = tu_tensor(TG_F64, TU_SHAPE(2, 2), bv, true);
    ck_assert_int_eq(tg_backward(tg_sum(tg_matmul(a, b))), 0);
    /* g = ones: da[i][k] = sum_j b[k][j], db[k][j] = sum_i a[i][k] */
    double want_a[4] = {11, 15, 11, 15}, want_b[4] = {4, 4, 6, 6};
    for (int i = 0; i < 4; i++) {
        tu_assert_close(tg_grad_get(a, i), want_a[i], 0);
        tu_assert_close(tg_grad_get(b, i), want_b[i], 0);
    }
}
END_TEST

START_TEST(empty_products)
{
    tg_tensor *c = tg_matmul(tu_tensor(TG_F64, TU_SHAPE(2, 0), NULL, false),
                             tu_tensor(TG_F64, TU_SHAPE(0, 3), NULL, false));
    tu_assert_ok(c);
    assert_shape(c, TU_SHAPE(2, 3));
    for (int i = 0; i < 6; i++)
        tu_assert_close(tg_get(c, i), 0, 0);
    tg_tensor *none = tg_matmul(tu_tensor(TG_F32, TU_SHAPE(0, 3), NULL, false),
                                tu_tensor(TG_F32, TU_SHAPE(3, 2), NULL, false));
    tu_assert_ok(none);
    assert_shape(none, TU_SHAPE(0, 2));
}
END_TEST

START_TEST(errors)
{
    tg_tensor *a = tu_tensor(TG_F64, TU_SHAPE(2, 3), NULL, false);
    tg_tensor *b = tu_tensor(TG_F64, TU_SHAPE(4, 5), NULL, false);
    ck_assert_ptr_null(tg_matmul(a, b));
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
    ck_assert_str_eq(tg_last_error(), "tg_matmul: inner dimensions differ: [2,3] @ [4,5]");
    tg_clear_error();
    ck_assert_ptr_null(tg_matmul_t(a, b, true, false));
    ck_assert_str_eq(tg_last_error(), "tg_matmul_t: inner dimensions differ: [2,3]^T @ [4,5]");
    tg_clear_error();
    ck_assert_ptr_null(tg_matmul(tg_scalar(2), b));
    ck_assert_str_eq(tg_last_error(),
                     "tg_matmul: argument 1 has shape []; it needs at least 1 dimension");
    tg_clear_error();
    tg_tensor *v = tu_tensor(TG_F64, TU_SHAPE(3), NULL, false);
    ck_assert_ptr_null(tg_matmul_t(a, v, false, false));
    ck_assert_str_eq(tg_last_error(),
                     "tg_matmul_t: argument 2 has shape [3]; it needs at least 2 dimensions");
    tg_clear_error();
    ck_assert_ptr_null(tg_matmul(tu_tensor(TG_F64, TU_SHAPE(2, 2, 3), NULL, false),
                                 tu_tensor(TG_F64, TU_SHAPE(3, 3, 4), NULL, false)));
    ck_assert_str_eq(tg_last_error(),
                     "tg_matmul: batch dimensions do not broadcast: [2,2,3] @ [3,3,4]");
    tg_clear_error();
    ck_assert_ptr_null(tg_matmul(a, tu_tensor(TG_F32, TU_SHAPE(3, 2), NULL, false)));
    ck_assert_int_eq(tg_last_error_code(), TG_EDTYPE);
    ck_assert_str_eq(tg_last_error(), "tg_matmul: dtypes differ: f64 and f32 (use tg_cast)");
}
END_TEST

/* A persistent parameter's gradient is added into its .grad by the gemm
 * itself (beta = 1, ops/matmul.c): over two sweeps .grad holds twice the
 * naive dW = g^T x (or x^T g), in every transpose form, for both operands;
 * a hooked parameter (returned gradient, then added) gets the same. */
static tg_tensor *identity_hook(tg_tensor *t, tg_tensor *g, void *ud)
{
    (void)t;
    (void)ud;
    return g;
}

/* Entry (r, c) of op(x) @ op(y) for stored row-major x [xr, xc], y [yr, yc]. */
static double naive_op_entry(const tg_tensor *x, bool tx, const tg_tensor *y, bool ty, int64_t r,
                             int64_t c)
{
    int64_t xc = tg_shape(x)[1], yc = tg_shape(y)[1], k = tx ? tg_shape(x)[0] : xc;
    double acc = 0;
    for (int64_t t = 0; t < k; t++)
        acc += tg_get(x, tx ? t * xc + r : r * xc + t) * tg_get(y, ty ? c * yc + t : t * yc + c);
    return acc;
}

START_TEST(parameter_gradients_accumulate_in_place)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++)
        for (int form = 0; form < 4; form++) {
            bool ta = form & 1, tb = form & 2, hooked = form == 3;
            tg_dtype dtype = (tg_dtype)dt;
            /* op(a) [5, 4] @ op(b) [4, 3] */
            int64_t as[2] = {ta ? 4 : 5, ta ? 5 : 4}, bs[2] = {tb ? 3 : 4, tb ? 4 : 3};
            double av[20], bv[12], gv[15];
            for (int i = 0; i < 20; i++)
                av[i] = 0.25 * (i % 7) - 0.5;
            for (int i = 0; i < 12; i++)
                bv[i] = 0.5 * (i % 5) - 1;
            for (int i = 0; i < 15; i++)
                gv[i] = 0.125 * i - 0.75;
            tg_tensor *a = tg_param(dtype, 2, as, av), *b = tg_param(dtype, 2, bs, bv);
            tg_tensor *g = tg_persistent(dtype, 2, (int64_t[]){5, 3}, gv, false);
            ck_assert_ptr_nonnull(g);
            if (hooked)
                ck_assert_int_eq(tg_register_hook(b, identity_hook, NULL), 0);
            for (int sweep = 0; sweep < 2; sweep++) {
                ck_assert_int_eq(tg_backward_ex(tg_matmul_t(a, b, ta, tb), g, 0), 0);
                tg_tape_reset();
            }
            /* da = g op(b)^T, stored transposed when ta; db = op(a)^T g, likewise */
            double tol = dt == TG_F32 ? 1e-5 : 1e-12;
            for (int64_t r = 0; r < as[0]; r++)
                for (int64_t c = 0; c < as[1]; c++)
                    tu_assert_close(tg_grad_get(a, r * as[1] + c),
                                    2 * (ta ? naive_op_entry(b, tb, g, true, r, c)
                                            : naive_op_entry(g, false, b, !tb, r, c)),
                                    tol);
            for (int64_t r = 0; r < bs[0]; r++)
                for (int64_t c = 0; c < bs[1]; c++)
                    tu_assert_close(tg_grad_get(b, r * bs[1] + c),
                                    2 * (tb ? naive_op_entry(g, true, a, ta, r, c)
                                            : naive_op_entry(a, !ta, g, false, r, c)),
                                    tol);
            tg_free(a);
            tg_free(b);
            tg_free(g);
        }
}
END_TEST

TCase *tg_test_matmul(void)
{
    TCase *tc = tu_tcase("matmul");
    tcase_add_test(tc, matrix_times_matrix);
    tcase_add_test(tc, vectors_drop_their_axis);
    tcase_add_test(tc, batch_axes_broadcast);
    tcase_add_test(tc, batch_with_shared_right_operand);
    tcase_add_test(tc, large_product_matches_naive_loop);
    tcase_add_test(tc, transpose_flags_match_explicit_transposes);
    tcase_add_test(tc, matmul_gradcheck);
    tcase_add_test(tc, matmul_t_gradcheck);
    tcase_add_test(tc, gradients_are_g_bT_and_aT_g);
    tcase_add_test(tc, parameter_gradients_accumulate_in_place);
    tcase_add_test(tc, empty_products);
    tcase_add_test(tc, errors);
    return tc;
}
