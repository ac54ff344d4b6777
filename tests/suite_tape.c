/* suite_tape.c -- the tape: recording, the reverse sweep, resets, threads and
 * allocation behaviour. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* ---- the tape's memory after a large graph ---- */

/* An allocator that maps every block of BIG_BLOCK bytes or more (the arena's
 * chunks, a long node list) on pages of its own, so that a test can make all
 * of them unreadable at once, and counts allocations and outstanding bytes. */
enum { BIG_BLOCK = 1 << 16, MAX_MAPPED = 4096 };
static struct {
    void *p;
    size_t len;
} mapped[MAX_MAPPED];
static int n_mapped;
static long mapping_allocations;
static size_t mapping_bytes;

static size_t whole_pages(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return (n + page - 1) / page * page;
}

static void *map_block(size_t size)
{
    void *p = mmap(NULL, whole_pages(size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED || n_mapped == MAX_MAPPED)
        return NULL;
    mapped[n_mapped].p = p;
    mapped[n_mapped++].len = whole_pages(size);
    return p;
}

static void unmap_block(void *p)
{
    for (int i = 0; i < n_mapped; i++) {
        if (mapped[i].p == p) {
            munmap(p, mapped[i].len);
            mapped[i] = mapped[--n_mapped];
            return;
        }
    }
    ck_abort_msg("freeing a block that was never mapped");
}

static void *mapping_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    void *q = NULL;
    if (ptr && nsize && osize < BIG_BLOCK && nsize < BIG_BLOCK) {
        q = realloc(ptr, nsize);
    } else {
        if (nsize && !(q = nsize >= BIG_BLOCK ? map_block(nsize) : malloc(nsize)))
            return NULL;
        if (q && ptr)
            memcpy(q, ptr, osize < nsize ? osize : nsize);
        if (ptr && osize >= BIG_BLOCK)
            unmap_block(ptr);
        else
            free(ptr);
    }
    if (!q && nsize)
        return NULL;
    mapping_allocations += nsize > 0;
    mapping_bytes = mapping_bytes - (ptr ? osize : 0) + nsize;
    return q;
}

static void mapping_allocator_install(void)
{
    tg_tape_destroy();
    tg_set_allocator(mapping_alloc, NULL);
}

/* Destroys the tape first (it was made with this allocator) and checks it
 * gave every big block back. */
static void mapping_allocator_remove(void)
{
    tg_tape_destroy();
    tg_set_allocator(NULL, NULL);
    ck_assert_int_eq(n_mapped, 0);
}

static void protect_big_blocks(int prot)
{
    for (int i = 0; i < n_mapped; i++)
        ck_assert_int_eq(mprotect(mapped[i].p, mapped[i].len, prot), 0);
}

static size_t tape_reserved(void)
{
    size_t reserved;
    tg_tape_memory(NULL, &reserved);
    return reserved;
}

/* The chain y = y a + c of issue 15, steps long and swept: dy/da and dy/dc
 * are checked against their closed forms. The graph stays on the tape. */
static void swept_chain(int steps)
{
    const double a0 = 0.9999, c0 = 0.001;
    tg_tensor *a = tg_var(a0), *c = tg_var(c0), *y = tg_var(1);
    for (int i = 0; i < steps; i++)
        y = tg_add(tg_mul(y, a), c);
    ck_assert_int_eq(tg_backward(y), 0);
    /* y_n = a^n + c (a^n - 1)/(a - 1) */
    double an = pow(a0, steps), dan = steps * pow(a0, steps - 1);
    tu_assert_close(tg_grad_get(c, 0), (an - 1) / (a0 - 1), 1e-9);
    tu_assert_close(tg_grad_get(a, 0),
                    dan + c0 * (dan * (a0 - 1) - (an - 1)) / ((a0 - 1) * (a0 - 1)), 1e-9);
}

/* d (x w1 + w2 x^2) / dx, checked, then the tape reset. */
static void small_step(void)
{
    tg_tensor *x = tg_var(0.5);
    ck_assert_int_eq(tg_backward(tg_add(tg_mul(x, tg_scalar(3)), tg_mul(tg_scalar(2), tg_mul(x, x)))), 0);
    tu_assert_close(tg_grad_get(x, 0), 3 + 4 * 0.5, 1e-15);
    tg_tape_reset();
}

START_TEST(reset_after_a_large_graph_reads_no_chunk)
{
    /* A reset keeps counts instead of walking the chunks, so it costs the
     * same after a graph of thousands of chunks: with every chunk and the
     * node list made unreadable, it must not fault. */
    mapping_allocator_install();
    swept_chain(60000);
    tg_tape_reset();
    small_step();
    tg_tensor *x = tg_var(2);
    ck_assert_int_eq(tg_backward(tg_mul(x, x)), 0);
    ck_assert_int_gt(n_mapped, 20);
    protect_big_blocks(PROT_NONE);
    tg_tape_reset();
    protect_big_blocks(PROT_READ | PROT_WRITE);
    small_step();
    mapping_allocator_remove();
}
END_TEST

START_TEST(arenas_shrink_back_after_a_large_graph)
{
    mapping_allocator_install();
    for (int i = 0; i < 20; i++)
        small_step();
    size_t small_reserved = tape_reserved();
    swept_chain(60000);
    tg_tape_reset();
    size_t large_reserved = tape_reserved(), large_bytes = mapping_bytes;
    ck_assert_uint_gt(large_reserved, 20u << 20);
    /* kept while the chain is one of the last 16 graphs ... */
    for (int i = 0; i < 15; i++)
        small_step();
    ck_assert_uint_ge(tape_reserved(), large_reserved);
    /* ... and given back, both header arenas, within the two resets after */
    small_step();
    small_step();
    ck_assert_msg(tape_reserved() <= small_reserved + (2u << 20),
                  "%zu bytes reserved after the shrink, %zu before the chain", tape_reserved(),
                  small_reserved);
    ck_assert_msg(mapping_bytes < large_bytes / 8, "%zu bytes still allocated (%zu after the chain)",
                  mapping_bytes, large_bytes);
    /* and the small graph is back to allocating nothing */
    long before = mapping_allocations;
    for (int i = 0; i < 100; i++)
        small_step();
    ck_assert_int_eq(mapping_allocations - before, 0);
    mapping_allocator_remove();
}
END_TEST

START_TEST(large_graph_every_few_steps_is_kept)
{
    /* A large graph that comes back within the window keeps its memory: the
     * policy must not free and allocate again every time. 9 steps a cycle,
     * so the chain lands in either header arena in turn. */
    mapping_allocator_install();
    long after_first_two = 0;
    for (int cycle = 0; cycle < 6; cycle++) {
        if (cycle == 2)
            after_first_two = mapping_allocations;
        swept_chain(5000);
        tg_tape_reset();
        for (int i = 0; i < 8; i++)
            small_step();
    }
    ck_assert_int_eq(mapping_allocations - after_first_two, 0);
    mapping_allocator_remove();
}
END_TEST

START_TEST(trim_gives_back_what_the_live_graph_does_not_use)
{
    mapping_allocator_install();
    swept_chain(60000);
    tg_tape_reset();
    /* a live graph, in the arena the reset readied */
    tg_tensor *x = tg_var(1.5), *y = tg_mul(tg_mul(x, x), x);
    size_t in_use, in_use_trimmed, reserved = tape_reserved(), bytes = mapping_bytes;
    tg_tape_memory(&in_use, NULL);
    tg_tape_trim();
    tg_tape_memory(&in_use_trimmed, NULL);
    ck_assert_uint_eq(in_use_trimmed, in_use);
    /* the chain's own chunks went back */
    ck_assert_uint_le(tape_reserved(), reserved / 2 + (1u << 20));
    ck_assert_uint_le(mapping_bytes + (20u << 20), bytes);
    ck_assert_int_eq(tg_backward(y), 0);
    tu_assert_close(tg_grad_get(x, 0), 3 * 1.5 * 1.5, 1e-15);
    tu_assert_close(tg_item(y), 1.5 * 1.5 * 1.5, 1e-15);
    /* after a reset nothing is live: everything goes back */
    tg_tape_reset();
    tg_tape_trim();
    ck_assert_uint_eq(tape_reserved(), 0);
    ck_assert_int_eq(n_mapped, 0);
    ck_assert_uint_lt(mapping_bytes, 16u << 10);
    small_step();
    mapping_allocator_remove();
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
    tcase_add_test(tc, reset_after_a_large_graph_reads_no_chunk);
    tcase_add_test(tc, arenas_shrink_back_after_a_large_graph);
    tcase_add_test(tc, large_graph_every_few_steps_is_kept);
    tcase_add_test(tc, trim_gives_back_what_the_live_graph_does_not_use);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
