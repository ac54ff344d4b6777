/* suite_limits.c -- the per-thread memory limit (tg_set_memory_limit) and the
 * tg tool's budget, --max-memory (issue 18, defect 5: a 1,120-byte tg grad
 * input reached 4 GB). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <tapegrad/tapegrad.h>

#include "testutil.h"

#define MIB ((size_t)1 << 20)

static tg_tensor *column(int64_t n) { return tu_rand(TG_F64, TU_SHAPE(n, 1), -1, 1, true); }
static tg_tensor *row(int64_t n) { return tu_rand(TG_F64, TU_SHAPE(1, n), -1, 1, true); }

START_TEST(no_limit_by_default)
{
    ck_assert_uint_eq(tg_memory_limit(), 0);
    tu_assert_ok(tg_add(column(1024), row(1024))); /* 8 MiB */
    tg_set_memory_limit(0);
}
END_TEST

START_TEST(limit_refuses_the_op_that_crosses_it)
{
    tg_set_memory_limit(4 * MIB);
    ck_assert_uint_eq(tg_memory_limit(), 4 * MIB);
    tg_tensor *small = tg_add(column(256), row(256)); /* 512 KiB: fits */
    tu_assert_ok(small);
    ck_assert_ptr_null(tg_mul(column(1024), row(1024))); /* 8 MiB: does not */
    ck_assert_int_eq(tg_last_error_code(), TG_ENOMEM);
    const char *e = tg_last_error();
    ck_assert_msg(strstr(e, "tg_mul: a F64 result of shape [1024,1024] needs 8388608 bytes") &&
                      strstr(e, "memory limit of 4194304 bytes (tg_set_memory_limit)"),
                  "%s", e);
    /* a new graph has the whole limit again */
    tg_tape_reset();
    for (int i = 0; i < 3; i++) {
        tu_assert_ok(tg_sum(tg_mul(column(512), row(512)))); /* 2 MiB each graph */
        tg_tape_reset();
    }
    tg_set_memory_limit(0);
}
END_TEST

START_TEST(limit_counts_the_whole_graph_and_its_gradients)
{
    /* 1.5 MiB results: two fit under 4 MiB, the third crosses it */
    tg_set_memory_limit(4 * MIB);
    tg_tensor *a = column(448), *b = row(448);
    tg_tensor *x = tg_add(a, b), *y = x ? tg_mul(x, x) : NULL;
    tu_assert_ok(y);
    ck_assert_ptr_null(tg_mul(y, x));
    ck_assert_int_eq(tg_last_error_code(), TG_ENOMEM);
    tg_tape_reset();
    /* the sweep's gradients are tape tensors too */
    a = column(640);
    b = row(640); /* 3.1 MiB results */
    tg_tensor *loss = tg_sum(tg_add(a, b));
    tu_assert_ok(loss);
    ck_assert_int_eq(tg_backward(loss), TG_ENOMEM);
    ck_assert_msg(strstr(tg_last_error(), "memory limit"), "%s", tg_last_error());
    tg_tape_reset();
    tg_set_memory_limit(0);
}
END_TEST

static void *other_thread(void *arg)
{
    (void)arg;
    size_t *seen = malloc(sizeof *seen);
    *seen = tg_memory_limit();
    tg_tensor *t = tg_add(tu_rand(TG_F64, TU_SHAPE(1024, 1), 0, 1, false),
                          tu_rand(TG_F64, TU_SHAPE(1, 1024), 0, 1, false));
    *seen += t ? 0 : 1;
    tg_tape_destroy();
    return seen;
}

START_TEST(limit_is_per_thread)
{
    tg_set_memory_limit(MIB);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, other_thread, NULL), 0);
    void *seen;
    ck_assert_int_eq(pthread_join(th, &seen), 0);
    ck_assert_uint_eq(*(size_t *)seen, 0); /* no limit there, and the 8 MiB op ran */
    free(seen);
    tg_set_memory_limit(0);
}
END_TEST

/* ---- the tool ---- */

/* Runs tg with args (a shell word list), returns its exit status and its
 * stderr in err. */
static int run_tg(const char *args, char *err, size_t size)
{
    char cmd[200000];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1 >/dev/null", TG_BINARY, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(err, 1, size - 1, p);
    err[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Six operands of 20 values, each along its own axis of six: their product
 * is 20^6 doubles, 512 MB, from an input of about 1,200 bytes. */
static void six_axes(char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "grad 'sum(a*b*c*d*e*f)'");
    for (int k = 0; k < 6; k++) {
        len += (size_t)snprintf(buf + len, size - len, " '%c=", "abcdef"[k]);
        for (int ax = 0; ax < k; ax++)
            len += (size_t)snprintf(buf + len, size - len, "[");
        len += (size_t)snprintf(buf + len, size - len, "[");
        for (int i = 0; i < 20; i++) {
            len += (size_t)snprintf(buf + len, size - len, "%s", i ? "," : "");
            for (int ax = k + 1; ax < 6; ax++)
                len += (size_t)snprintf(buf + len, size - len, "[");
            len += (size_t)snprintf(buf + len, size - len, "%d", i + 1);
            for (int ax = k + 1; ax < 6; ax++)
                len += (size_t)snprintf(buf + len, size - len, "]");
        }
        len += (size_t)snprintf(buf + len, size - len, "]");
        for (int ax = 0; ax < k; ax++)
            len += (size_t)snprintf(buf + len, size - len, "]");
        len += (size_t)snprintf(buf + len, size - len, "'");
    }
}

START_TEST(tool_refuses_an_expression_over_its_budget)
{
    char args[4096], with_budget[4200], err[4096];
    six_axes(args, sizeof args);
    snprintf(with_budget, sizeof with_budget, "--max-memory 64M %s", args);
    ck_assert_int_eq(run_tg(with_budget, err, sizeof err), 2);
    ck_assert_msg(strstr(err, "tg_mul: a F64 result of shape [20,20,20,20,20,20] needs "
                              "512000000 bytes") &&
                      strstr(err, "the memory budget is 64 MiB; change it with tg --max-memory"),
                  "%s", err);
}
END_TEST

START_TEST(tool_has_a_default_budget)
{
    /* an outer product of two 16,500-vectors is 2.18 GB: over the default
     * 2 GiB, refused before anything is allocated */
    enum { N = 16500 };
    size_t size = 7 * N + 64;
    char *args = malloc(size), err[4096];
    size_t len = (size_t)snprintf(args, size, "grad 'sum(u*v)' u=[");
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(args + len, size - len, i ? ",[1]" : "[1]");
    len += (size_t)snprintf(args + len, size - len, "] v=[[");
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(args + len, size - len, i ? ",1" : "1");
    snprintf(args + len, size - len, "]]");
    ck_assert_int_eq(run_tg(args, err, sizeof err), 2);
    ck_assert_msg(strstr(err, "shape [16500,16500] needs 2178000000 bytes") &&
                      strstr(err, "the memory budget is 2048 MiB"),
                  "%s", err);
    free(args);
}
END_TEST

START_TEST(tool_budget_option)
{
    char err[4096];
    ck_assert_int_eq(run_tg("--max-memory=1G grad 'x*2' x=1", err, sizeof err), 0);
    ck_assert_int_eq(run_tg("--max-memory 0 grad 'x*2' x=1", err, sizeof err), 0);
    static const char *const bad[] = {"--max-memory 1X grad x x=1", "--max-memory -1 grad x x=1",
                                      "--max-memory", "--max-memory= grad x x=1",
                                      "--max-memory 99999999999999999999 grad x x=1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_int_eq(run_tg(bad[i], err, sizeof err), 2);
        ck_assert_msg(strstr(err, "--max-memory wants a size"), "%s: %s", bad[i], err);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("limits");
    TCase *tc = tu_tcase("limits");
    tcase_add_test(tc, no_limit_by_default);
    tcase_add_test(tc, limit_refuses_the_op_that_crosses_it);
    tcase_add_test(tc, limit_counts_the_whole_graph_and_its_gradients);
    tcase_add_test(tc, limit_is_per_thread);
    tcase_add_test(tc, tool_refuses_an_expression_over_its_budget);
    tcase_add_test(tc, tool_has_a_default_budget);
    tcase_add_test(tc, tool_budget_option);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
