/* test_index_losses.c -- losses written with the indexing ops, checked
 * against PyTorch: a multi-class hinge (the true-class logit by gather), a
 * triplet margin loss on rows of a batch (index_select), a masked mean over
 * padded sequences (masked_select) and an embedding bag (embedding and
 * index_add). The expected values and gradients were computed once with
 * PyTorch 1.13 in float64 (Debian's python3-torch) on the same data:
 *   F.multi_margin_loss(x, y)
 *   F.triplet_margin_loss(X[a], X[p], X[n], margin=1.0)
 *   torch.masked_select(S ** 2, mask).mean()
 *   ((F.embedding_bag(inp, W, offsets, mode="mean") - t) ** 2).sum()
 * each followed by backward(); the values are pasted below. */
#include "testutil.h"

static tg_tensor *ix(int ndim, const int64_t *shape, const int64_t *values)
{
    return tg_index_tensor(ndim, shape, values);
}

static void check(tg_tensor *loss, tg_tensor *x, double want, const double *grad, int n,
                  tg_dtype dt)
{
    tu_assert_ok(loss);
    double tol = dt == TG_F32 ? 2e-6 : 1e-14;
    tu_assert_close(tg_item(loss), want, tol);
    ck_assert_int_eq(tg_backward(loss), 0);
    for (int i = 0; i < n; i++)
        tu_assert_close(tg_grad_get(x, i), grad[i], tol);
}

/* mean over rows and classes of [j != y] relu(1 - x[y] + x[j]) */
START_TEST(multi_class_hinge)
{
    double xv[12] = {0.2, -1.3, 0.7, 0.1, 1.5, 0.3, -0.2, 0.9, -0.4, 0.8, 0.6, -1.1};
    double grad[12] = {0.083333333333333329, 0, -0.16666666666666666, 0.083333333333333329,
                       -0.083333333333333329, 0, 0, 0.083333333333333329,
                       0, -0.083333333333333329, 0.083333333333333329, 0};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(3, 4), xv, true);
        tg_tensor *y = ix(2, (int64_t[]){3, 1}, (int64_t[]){2, 0, 1});
        tg_tensor *true_logit = tg_gather(x, 1, y);
        tg_tensor *margins = tg_relu(tg_add_scalar(tg_sub(x, true_logit), 1));
        tg_tensor *others = tg_add_scalar(tg_neg(tg_one_hot(tg_cast(y, (tg_dtype)dt), 4)), 1);
        tg_tensor *loss = tg_mean(tg_mul(margins, tg_reshape(others, 2, (int64_t[]){3, 4})));
        check(loss, x, 0.17500000000000002, grad, 12, (tg_dtype)dt);
    }
}
END_TEST

/* mean(relu(|a - p + eps| - |a - n + eps| + 1)) over triplets of rows */
START_TEST(triplet_margin_on_rows)
{
    double xv[15] = {0.1, 0.5, -0.3, 0.4, -0.2, 0.8, -0.6, 0.3, 0.2, 0.9, 0.1, -0.5, 0.2, 0.7, 0.4};
    double grad[15] = {0.62989883832323379,  -0.24439472179542826, 0.012607633396521378,
                       -0.25805599544637431, 0.40272661497725881,  -0.10259039512978124,
                       -0.55515528232192723, -0.22096418904724591, 0.11597282561329114,
                       -0.17398008760208522, 0.21566498121772981,  -0.2314008573640256,
                       0.35729252704715309,  -0.15303268535231446, 0.20541079348399435};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *X = tu_tensor((tg_dtype)dt, TU_SHAPE(5, 3), xv, true);
        int64_t three[1] = {3};
        tg_tensor *a = tg_index_select(X, 0, ix(1, three, (int64_t[]){0, 1, 4}));
        tg_tensor *p = tg_index_select(X, 0, ix(1, three, (int64_t[]){2, 3, 2}));
        tg_tensor *n = tg_index_select(X, 0, ix(1, three, (int64_t[]){3, 0, 1}));
        int axis = 1;
        tg_tensor *dp = tg_norm(tg_add_scalar(tg_sub(a, p), 1e-6), 2, 1, &axis, false);
        tg_tensor *dn = tg_norm(tg_add_scalar(tg_sub(a, n), 1e-6), 2, 1, &axis, false);
        tg_tensor *loss = tg_mean(tg_relu(tg_add_scalar(tg_sub(dp, dn), 1)));
        check(loss, X, 0.98835404041350872, grad, 15, (tg_dtype)dt);
    }
}
END_TEST

/* the mean of S^2 over the valid steps of sequences of lengths 3, 1, 2 */
START_TEST(masked_mean_over_padding)
{
    double sv[9] = {0.5, -1.0, 2.0, 1.5, 9.0, 9.0, -0.5, 0.25, 9.0};
    double mv[9] = {1, 1, 1, 1, 0, 0, 1, 1, 0};
    double grad[9] = {0.16666666666666666, -0.33333333333333331, 0.66666666666666663, 0.5, 0, 0,
                      -0.16666666666666666, 0.083333333333333329, 0};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *S = tu_tensor((tg_dtype)dt, TU_SHAPE(3, 3), sv, true);
        tg_tensor *mask = tu_tensor((tg_dtype)dt, TU_SHAPE(3, 3), mv, false);
        tg_tensor *loss = tg_mean(tg_masked_select(tg_square(S), mask));
        check(loss, S, 1.3020833333333333, grad, 9, (tg_dtype)dt);
    }
}
END_TEST

/* F.embedding_bag(mode="mean") over bags [1, 2, 1], [0], [3, 3]: rows
 * looked up, added into their bag, divided by its size */
START_TEST(embedding_bag)
{
    double wv[8] = {0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8};
    double tv[6] = {1.0, -1.0, 0.5, 2.0, -1.5, 0.25}, counts[3] = {3, 1, 2};
    double grad[8] = {-0.80000000000000004, -4.4000000000000004, -1.2888888888888888,
                      1.9555555555555553,   -0.64444444444444438, 0.97777777777777763,
                      4.4000000000000004,   -2.1000000000000001};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *W = tu_tensor((tg_dtype)dt, TU_SHAPE(4, 2), wv, true);
        int64_t six[1] = {6};
        tg_tensor *rows = tg_embedding(W, ix(1, six, (int64_t[]){1, 2, 1, 0, 3, 3}), TG_NO_PADDING);
        tg_tensor *bag_of = ix(1, six, (int64_t[]){0, 0, 0, 1, 2, 2});
        tg_tensor *sums = tg_index_add(tg_full((tg_dtype)dt, 2, (int64_t[]){3, 2}, 0, false), 0,
                                       bag_of, rows);
        tg_tensor *bags = tg_div(sums, tu_tensor((tg_dtype)dt, TU_SHAPE(3, 1), counts, false));
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(3, 2), tv, false);
        tg_tensor *loss = tg_sum(tg_square(tg_sub(bags, t)));
        check(loss, W, 14.028055555555557, grad, 8, (tg_dtype)dt);
    }
}
END_TEST

TCase *tg_test_index_losses(void)
{
    TCase *tc = tu_tcase("index_losses");
    tcase_add_test(tc, multi_class_hinge);
    tcase_add_test(tc, triplet_margin_on_rows);
    tcase_add_test(tc, masked_mean_over_padding);
    tcase_add_test(tc, embedding_bag);
    return tc;
}
