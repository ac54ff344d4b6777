/* test_parallel.c -- elementwise ops and the norms split across threads:
 * results identical to one thread's, and the thread count API. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Above the parallel threshold and a multiple of neither the thread counts
 * tried nor the 16-element alignment of each thread's share. */
#define ROWS 547
#define COLS 549

typedef tg_tensor *(*binary_fn)(tg_tensor *, tg_tensor *);

static tg_tensor *sigmoid_of_a(tg_tensor *a, tg_tensor *b) { return (void)b, tg_sigmoid(a); }
static tg_tensor *tanh_of_a(tg_tensor *a, tg_tensor *b) { return (void)b, tg_tanh(a); }
static tg_tensor *relu_of_a(tg_tensor *a, tg_tensor *b) { return (void)b, tg_relu(a); }

/* Values in [-6, 6] with both signs and exact zeros (relu's kink). */
static tg_tensor *pattern(tg_dtype dtype, tu_shape shape, double phase)
{
    tg_tensor *t = tu_tensor(dtype, shape, NULL, true);
    for (int64_t i = 0; i < tg_numel(t); i++)
        tg_set(t, i, i % 97 == 0 ? 0 : 6 * sin(0.013 * (double)i + phase));
    return t;
}

static void copy_out(tg_tensor *t, void *dst)
{
    ck_assert_ptr_nonnull(t);
    size_t size = (size_t)tg_numel(t) * (tg_dtype_of(t) == TG_F32 ? 4 : 8);
    memcpy(dst, tg_data(t), size);
}

/* Forward and first-order backward of f with the given thread count; y, da
 * and db receive the output and both gradients. */
static void run(binary_fn f, tg_dtype dtype, tu_shape b_shape, int threads, void *y, void *da,
                void *db)
{
    ck_assert_int_eq(tg_set_num_threads(threads), TG_OK);
    tg_tensor *a = pattern(dtype, TU_SHAPE(ROWS, COLS), 0);
    tg_tensor *b = pattern(dtype, b_shape, 1);
    tg_tensor *out = f(a, b);
    tu_assert_ok(out);
    tg_tensor *seed = pattern(dtype, TU_SHAPE(ROWS, COLS), 2);
    ck_assert_int_eq(tg_backward_ex(out, seed, 0), TG_OK);
    copy_out(out, y);
    copy_out(tg_grad_tensor(a), da);
    if (tg_grad_tensor(b)) /* none for the unary ops, which ignore b */
        copy_out(tg_grad_tensor(b), db);
    tg_tape_reset();
}

static void check_thread_counts_agree(binary_fn f, tu_shape b_shape)
{
    int saved = tg_get_num_threads();
    size_t n = (size_t)ROWS * COLS * sizeof(double);
    char *one = calloc(3, n), *many = calloc(3, n);
    ck_assert(one && many);
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        run(f, (tg_dtype)dt, b_shape, 1, one, one + n, one + 2 * n);
        for (int threads = 2; threads <= 3; threads++) {
            run(f, (tg_dtype)dt, b_shape, threads, many, many + n, many + 2 * n);
            ck_assert_msg(!memcmp(one, many, 3 * n), "%s, %d threads: results differ from 1",
                          tg_dtype_name((tg_dtype)dt), threads);
        }
    }
    free(one);
    free(many);
    tg_set_num_threads(saved);
}

START_TEST(sigmoid_is_independent_of_threads)
{
    check_thread_counts_agree(sigmoid_of_a, TU_SCALAR);
}
END_TEST

START_TEST(tanh_is_independent_of_threads)
{
    check_thread_counts_agree(tanh_of_a, TU_SCALAR);
}
END_TEST

START_TEST(relu_is_independent_of_threads)
{
    check_thread_counts_agree(relu_of_a, TU_SCALAR);
}
END_TEST

START_TEST(add_broadcast_is_independent_of_threads)
{
    check_thread_counts_agree(tg_add, TU_SHAPE(COLS));
    check_thread_counts_agree(tg_add, TU_SHAPE(ROWS, 1));
}
END_TEST

START_TEST(mul_is_independent_of_threads)
{
    check_thread_counts_agree(tg_mul, TU_SHAPE(ROWS, COLS));
    check_thread_counts_agree(tg_mul, TU_SHAPE(COLS));
}
END_TEST

/* The norms split their blocks across threads by the elements they touch;
 * each block and each group's sums are one thread's, in one order. */
static tg_tensor *batch_norm_nchw(tg_tensor *a, tg_tensor *w)
{
    tg_tensor *x = tg_reshape(a, 3, (int64_t[]){ROWS, 3, COLS / 3});
    return tg_reshape(tg_batch_norm(x, NULL, NULL, w, NULL, true, 0.1, 1e-5), 2,
                      (int64_t[]){ROWS, COLS});
}
static tg_tensor *layer_norm_rows(tg_tensor *a, tg_tensor *w)
{
    return tg_layer_norm(a, 1, (int64_t[]){COLS}, w, NULL, 1e-5);
}
static tg_tensor *group_norm_3(tg_tensor *a, tg_tensor *w)
{
    tg_tensor *x = tg_reshape(a, 3, (int64_t[]){ROWS, 9, COLS / 9});
    return tg_reshape(tg_group_norm(x, 3, w, NULL, 1e-5), 2, (int64_t[]){ROWS, COLS});
}

START_TEST(norms_are_independent_of_threads)
{
    check_thread_counts_agree(batch_norm_nchw, TU_SHAPE(3));
    check_thread_counts_agree(layer_norm_rows, TU_SHAPE(COLS));
    check_thread_counts_agree(group_norm_3, TU_SHAPE(9));
}
END_TEST

START_TEST(thread_count_must_be_positive)
{
    int saved = tg_get_num_threads();
    ck_assert_int_ge(saved, 1);
    for (int n = 0; n >= -2; n -= 2) {
        ck_assert_int_eq(tg_set_num_threads(n), TG_EVALUE);
        ck_assert_ptr_nonnull(strstr(tg_last_error(), "tg_set_num_threads"));
        ck_assert_int_eq(tg_get_num_threads(), saved);
    }
    ck_assert_int_eq(tg_set_num_threads(3), TG_OK);
    ck_assert_int_eq(tg_get_num_threads(), 3);
    tg_set_num_threads(saved);
}
END_TEST

/* tg_parallel_for's calls: which thread made each, and each call's range. */
enum { FOR_ITEMS = 1000, FOR_BEGIN = 37 };
typedef struct {
    atomic_int calls;
    int64_t lo[8], hi[8];
    int thread_of[FOR_BEGIN + FOR_ITEMS];
    int visits[FOR_BEGIN + FOR_ITEMS];
} for_record;

static void record_share(void *ctx, int64_t lo, int64_t hi)
{
    for_record *r = ctx;
    int call = atomic_fetch_add(&r->calls, 1);
    if (call < 8) {
        r->lo[call] = lo;
        r->hi[call] = hi;
    }
    for (int64_t i = lo; i < hi; i++) {
        r->visits[i]++;
        r->thread_of[i] = call;
    }
}

/* Every item of [begin, end) once, in as many contiguous shares as there
 * are threads (at most ceil(n / grain)); one call when n <= grain. */
static void check_parallel_for(int threads, int64_t grain, int want_calls)
{
    static for_record r;
    memset(&r, 0, sizeof r);
    tg_set_num_threads(threads);
    tg_parallel_for(FOR_BEGIN, FOR_BEGIN + FOR_ITEMS, grain, record_share, &r);
    ck_assert_int_eq(r.calls, want_calls);
    for (int i = 0; i < FOR_BEGIN + FOR_ITEMS; i++)
        ck_assert_int_eq(r.visits[i], i >= FOR_BEGIN);
    for (int c = 0; c < r.calls; c++) { /* contiguous: a share is one call's run */
        ck_assert_int_lt(r.lo[c], r.hi[c]);
        for (int64_t i = r.lo[c]; i < r.hi[c]; i++)
            ck_assert_int_eq(r.thread_of[i], c);
        ck_assert(r.lo[c] == FOR_BEGIN || (r.lo[c] - FOR_BEGIN) % 16 == 0);
    }
}

START_TEST(parallel_for_covers_each_item_once)
{
    int saved = tg_get_num_threads();
    check_parallel_for(1, 1, 1);           /* one thread: one call */
    check_parallel_for(3, 1, 3);           /* a share per thread */
    check_parallel_for(3, FOR_ITEMS, 1);   /* n <= grain: inline */
    check_parallel_for(4, 400, 3);         /* ceil(1000 / 400) threads at most */
    check_parallel_for(2, 0, 2);           /* grain < 1 counts as 1 */
    static for_record r;
    memset(&r, 0, sizeof r);
    tg_parallel_for(5, 5, 1, record_share, &r); /* an empty range: no call */
    ck_assert_int_eq(r.calls, 0);
    tg_set_num_threads(saved);
}
END_TEST

/* tg_parallel_pass's calls over n items (grain 1) on 2 threads right after
 * a matmul of [side, side] operands: 2^24 multiply-adds at side 256 are
 * split over the threads, 4^3 are not. */
static void count_share(void *ctx, int64_t lo, int64_t hi)
{
    (void)lo, (void)hi;
    atomic_fetch_add((atomic_int *)ctx, 1);
}

static int pass_calls_after_gemm(int64_t side, int64_t n)
{
    tg_tensor *a = tg_full(TG_F32, 2, (int64_t[]){side, side}, 0.5, false);
    ck_assert_ptr_nonnull(tg_matmul(a, a));
    atomic_int calls = 0;
    tg_parallel_pass(0, n, 1, count_share, &calls);
    tg_tape_reset();
    return calls;
}

START_TEST(parallel_pass_follows_the_last_gemm)
{
    int saved = tg_get_num_threads();
    tg_set_num_threads(2);
    ck_assert_int_eq(pass_calls_after_gemm(256, 1000), 2);     /* split gemm: on the team */
    ck_assert_int_eq(pass_calls_after_gemm(4, 1000), 1);       /* lone gemm: the caller alone */
    ck_assert_int_eq(pass_calls_after_gemm(4, 1 << 18), 2);    /* 2^18 items: on the team anyway */
    ck_assert_int_eq(pass_calls_after_gemm(256, 0), 0);        /* an empty range: no call */
    tg_set_num_threads(1);
    ck_assert_int_eq(pass_calls_after_gemm(256, 1000), 1);     /* one thread: one call */
    tg_set_num_threads(saved);
}
END_TEST

TCase *tg_test_parallel(void)
{
    TCase *tc = tu_tcase("parallel");
    tcase_add_test(tc, sigmoid_is_independent_of_threads);
    tcase_add_test(tc, tanh_is_independent_of_threads);
    tcase_add_test(tc, relu_is_independent_of_threads);
    tcase_add_test(tc, add_broadcast_is_independent_of_threads);
    tcase_add_test(tc, mul_is_independent_of_threads);
    tcase_add_test(tc, norms_are_independent_of_threads);
    tcase_add_test(tc, thread_count_must_be_positive);
    tcase_add_test(tc, parallel_for_covers_each_item_once);
    tcase_add_test(tc, parallel_pass_follows_the_last_gemm);
    return tc;
}
