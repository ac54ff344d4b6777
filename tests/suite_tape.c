/* suite_tape.c -- the tape: recording, the reverse sweep, resets, threads and
 * allocation behaviour. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

START_TEST(million_node_chain_differentiates)
{
    /* y = x c^N built one multiplication at a time: dy/dx = c^N. The sweep
     * is a loop, so a chain this long needs no deep stack. */
    const int64_t n = 1000000;
    const double c = 1.000001;
    tg_tensor *x = tg_var(0.5), *k = tg_scalar(c), *y = x;
    for (int64_t i = 0; i < n; i++)
        y = tg_mul(y, k);
    tu_assert_ok(y);
    ck_assert_int_eq(tg_tape_length(), n);
    ck_assert_int_eq(tg_backward(y), 0);
    tu_assert_close(tg_grad_get(x, 0), pow(c, (double)n), 1e-9);
    tu_assert_close(tg_item(y), 0.5 * pow(c, (double)n), 1e-9);
}
END_TEST

START_TEST(tape_records_in_creation_order)
{
    tg_tensor *x = tg_var(2), *c = tg_scalar(3);
    ck_assert_int_eq(tg_tape_length(), 0);
    tg_tensor *constant_only = tg_mul(c, c); /* nothing requires grad */
    ck_assert_int_eq(tg_tape_length(), 0);
    ck_assert(!tg_requires_grad(constant_only));
    tg_tensor *y = tg_add(tg_mul(x, c), x);
    ck_assert_int_eq(tg_tape_length(), 2);
    ck_assert(tg_requires_grad(y));
    tg_tape_reset();
    ck_assert_int_eq(tg_tape_length(), 0);
}
END_TEST

START_TEST(uses_accumulate)
{
    /* x enters x*x*x three times: dy/dx = 3x^2 */
    tg_tensor *x = tg_var(1.5);
    ck_assert_int_eq(tg_backward(tg_mul(tg_mul(x, x), x)), 0);
    tu_assert_close(tg_grad_get(x, 0), 3 * 1.5 * 1.5, 1e-15);
}
END_TEST

START_TEST(no_grad_stops_recording_and_nests)
{
    tg_tensor *x = tg_var(2), *y = NULL, *z = NULL;
    ck_assert(tg_is_grad_enabled());
    TG_NO_GRAD
    {
        TG_NO_GRAD { y = tg_mul(x, x); }
        ck_assert(!tg_is_grad_enabled());
        z = tg_add(x, x);
    }
    ck_assert(tg_is_grad_enabled());
    tu_assert_ok(y);
    tu_assert_ok(z);
    ck_assert(!tg_requires_grad(y));
    ck_assert(!tg_requires_grad(z));
    ck_assert_int_eq(tg_tape_length(), 0);
    tu_assert_close(tg_item(y), 4, 0);
    ck_assert(tg_requires_grad(tg_mul(x, x)));
}
END_TEST

START_TEST(retain_graph_sweeps_twice)
{
    tg_tensor *x = tg_var(3);
    tg_tensor *y = tg_mul(x, x);
    ck_assert_int_eq(tg_backward_ex(y, NULL, TG_RETAIN_GRAPH), 0);
    ck_assert_int_eq(tg_backward_ex(y, NULL, TG_RETAIN_GRAPH), 0);
    tu_assert_close(tg_grad_get(x, 0), 12, 0);
    ck_assert_int_eq(tg_backward(y), 0);
    tu_assert_close(tg_grad_get(x, 0), 18, 0);
    ck_assert_int_lt(tg_backward(y), 0);
}
END_TEST

START_TEST(seed_gradient_weights_outputs)
{
    double v[3] = {1, 2, 3}, s[3] = {1, 10, 100};
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), v, true);
    tg_tensor *y = tg_mul(x, x);
    ck_assert_int_eq(tg_backward_ex(y, tu_tensor(TG_F64, TU_SHAPE(3), s, false), 0), 0);
    for (int i = 0; i < 3; i++)
        tu_assert_close(tg_grad_get(x, i), 2 * v[i] * s[i], 0);
}
END_TEST

START_TEST(params_survive_reset_and_accumulate)
{
    double w0[2] = {0.5, -1};
    int64_t shape[1] = {2};
    tg_tensor *w = tg_param(TG_F64, 1, shape, w0);
    tu_assert_ok(w);
    for (int round = 1; round <= 3; round++) {
        tg_tensor *x = tg_tensor_new(TG_F64, 1, shape, (double[]){2, 3}, false);
        ck_assert_int_eq(tg_backward(tg_sum(tg_mul(w, x))), 0);
        tg_tape_reset();
        tu_assert_close(tg_grad_get(w, 0), 2 * round, 0);
        tu_assert_close(tg_grad_get(w, 1), 3 * round, 0);
    }
    tu_assert_close(tg_get(w, 1), -1, 0);
    tg_zero_grad(w);
    tu_assert_close(tg_grad_get(w, 0), 0, 0);
    tg_free(w);
}
END_TEST

/* ---- threads: each has its own tape ---- */

typedef struct {
    double x0;
    int ok;
} thread_job;

/* Builds and differentiates y = sum (x^2 + sigmoid(x)) repeatedly, checking
 * each result, so two threads interleave thousands of recordings. */
static void *differentiate_repeatedly(void *arg)
{
    thread_job *job = arg;
    job->ok = 1;
    for (int iter = 0; iter < 2000 && job->ok; iter++) {
        double x0 = job->x0 + iter * 1e-3;
        tg_tensor *x = tg_var(x0);
        tg_tensor *y = tg_add(tg_mul(x, x), tg_sigmoid(x));
        double s = 1 / (1 + exp(-x0));
        job->ok = tg_backward(y) == 0 && fabs(tg_grad_get(x, 0) - (2 * x0 + s * (1 - s))) < 1e-12;
        tg_tape_reset();
    }
    tg_tape_destroy();
    return NULL;
}

START_TEST(threads_have_separate_tapes)
{
    thread_job jobs[2] = {{-1.0, 0}, {1.0, 0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, differentiate_repeatedly, &jobs[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(jobs[i].ok, "thread %d computed a wrong gradient", i);
    }
}
END_TEST

static void *use_foreign_tensor(void *arg)
{
    tg_tensor *y = tg_mul(arg, arg);
    tg_tape_destroy();
    return y;
}

START_TEST(tensor_of_another_thread_is_rejected)
{
    tg_tensor *x = tg_var(1);
    pthread_t th;
    void *result = x;
    ck_assert_int_eq(pthread_create(&th, NULL, use_foreign_tensor, x), 0);
    pthread_join(th, &result);
    ck_assert_ptr_null(result);
}
END_TEST

/* ---- allocation: none per node once the graph has been built once ---- */

enum { IN = 8, HIDDEN = 16, LAYERS = 3 };

/* The notes' nested network f(W3 f(W2 f(W1 x + b1) + b2) + b3), f = sigmoid,
 * with a squared-error loss; one training step without the update. */
static void network_step(tg_tensor *const *w, tg_tensor *const *b, const double *x0)
{
    tg_tensor *h = tg_tensor_new(TG_F64, 1, (int64_t[]){IN}, x0, false);
    for (int l = 0; l < LAYERS; l++)
        h = tg_sigmoid(tg_add(tg_matmul(w[l], h), b[l]));
    tg_tensor *d = tg_sub(h, tg_scalar(0.25));
    ck_assert_int_eq(tg_backward(tg_sum(tg_mul(d, d))), 0);
    tg_tape_reset();
}

START_TEST(rebuilt_graph_allocates_nothing_after_first_iteration)
{
    tu_allocator_install();
    tg_tensor *w[LAYERS], *b[LAYERS];
    double x0[IN];
    for (int i = 0; i < IN; i++)
        x0[i] = 0.1 * i;
    for (int l = 0; l < LAYERS; l++) {
        int64_t rows = l == LAYERS - 1 ? 1 : HIDDEN, cols = l == 0 ? IN : HIDDEN;
        w[l] = tg_param(TG_F64, 2, (int64_t[]){rows, cols}, NULL);
        b[l] = tg_param(TG_F64, 1, (int64_t[]){rows}, NULL);
        for (int64_t i = 0; i < rows * cols; i++)
            tg_set(w[l], i, 0.05 * (double)((i * 7 + l) % 11) - 0.25);
    }
    tu_allocations_reset();
    network_step(w, b, x0);
    long first = tu_allocations();
    for (int iter = 1; iter < 1000; iter++)
        network_step(w, b, x0);
    long rest = tu_allocations() - first;
    for (int l = 0; l < LAYERS; l++) {
        tg_free(w[l]);
        tg_free(b[l]);
    }
    tu_allocator_remove();
    ck_assert_int_gt(first, 0);
    ck_assert_msg(rest == 0, "%ld allocations in iterations 2..1000 (first: %ld)", rest, first);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tape");
    TCase *tc = tu_tcase("tape");
    tcase_add_test(tc, million_node_chain_differentiates);
    tcase_add_test(tc, tape_records_in_creation_order);
    tcase_add_test(tc, uses_accumulate);
    tcase_add_test(tc, no_grad_stops_recording_and_nests);
    tcase_add_test(tc, retain_graph_sweeps_twice);
    tcase_add_test(tc, seed_gradient_weights_outputs);
    tcase_add_test(tc, params_survive_reset_and_accumulate);
    tcase_add_test(tc, threads_have_separate_tapes);
    tcase_add_test(tc, tensor_of_another_thread_is_rejected);
    tcase_add_test(tc, rebuilt_graph_allocates_nothing_after_first_iteration);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
