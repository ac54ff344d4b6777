/* suite_cli_modes.c -- the tg commands of forward mode, run as programs:
 * tg jacobian (both modes, text and JSON), tg grad --hessian, tg explain
 * --mode forward (the dual numbers, node by node) and --order 2 (the
 * recorded backward swept again), and their usage errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

typedef struct {
    int status;
    char out[16384];
} run_result;

/* Runs tg with args (a shell fragment), stdout and stderr together. */
static run_result run_tg(const char *args)
{
    run_result r = {0};
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", TG_BINARY, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(r.out, 1, sizeof r.out - 1, p);
    r.out[n] = '\0';
    int status = pclose(p);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

#define assert_has(r, text)                                                                  \
    ck_assert_msg(strstr((r).out, (text)) != NULL, "expected \"%s\" in:\n%s", (text), (r).out)

START_TEST(jacobian_of_softmax_by_each_mode)
{
    run_result r = run_tg("jacobian 'softmax(x)' 'x=[0,0]'");
    ck_assert_int_eq(r.status, 0);
    assert_has(r, "dy/dx = [[0.25, -0.25], [-0.25, 0.25]]    (2x2: y's axes, then x's)");
    assert_has(r, "forward mode: 2 tangent sweeps, one per input element (reverse mode would take "
                  "2, one per output element)");
    r = run_tg("jacobian 'W @ x' 'W=[[1,2,3],[4,5,6]]' 'x=[1,0,-1]' --mode reverse --json");
    ck_assert_int_eq(r.status, 0);
    assert_has(r, "{\"value\": [-2, -2], \"jacobian\": {\"W\": [[[1, 0, -1], [0, 0, 0]], [[0, 0, "
                  "0], [1, 0, -1]]], \"x\": [[1, 2, 3], [4, 5, 6]]}, \"mode\": \"reverse\", "
                  "\"sweeps\": 2}");
    r = run_tg("jacobian 'x' x=2 --mode sideways");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "--mode is auto, forward or reverse, not 'sideways'");
}
END_TEST

START_TEST(grad_prints_the_hessian)
{
    run_result r = run_tg("grad 'x^3 * y' x=2 y=3 --hessian");
    ck_assert_int_eq(r.status, 0);
    /* a variable is named y, so the result is f, as explain names it */
    assert_has(r, "d2f/dx dx = 36\nd2f/dx dy = 12\nd2f/dy dx = 12\nd2f/dy dy = 0\n");
    r = run_tg("grad 'x^3 * y' x=2 y=3 --hessian --json --wrt x");
    ck_assert_int_eq(r.status, 0);
    assert_has(r, "{\"value\": 24, \"grad\": {\"x\": 36}, \"hessian\": {\"x\": {\"x\": 36}}}\n");
}
END_TEST

START_TEST(explain_forward_prints_dual_numbers)
{
    run_result r = run_tg("explain 'sin(x) * w' x=1 w=2 --mode forward");
    ck_assert_int_eq(r.status, 0);
    assert_has(r, "Sweep 1: dx = 1, every other input still");
    assert_has(r, "dv1 = d(sin(x)) = cos(x) dx = 0.540302 * 1 = 0.540302");
    assert_has(r, "dy = d(v1 * w) = w dv1 = 2 * 0.540302 = 1.0806");
    assert_has(r, "so dy/dx = 1.0806");
    assert_has(r, "dy = d(v1 * w) = v1 dw = 0.841471 * 1 = 0.841471");
    assert_has(r, "Forward mode took 2 sweeps, one per input");
    r = run_tg("explain 'sum(W @ x)' 'W=[[1,2],[3,4]]' 'x=[1,-1]' --mode forward --wrt x");
    ck_assert_int_eq(r.status, 0);
    assert_has(r, "dv1 = d(W @ x) = W @ dx = [3, 7]");
    r = run_tg("explain 'x' x=1 --mode forward --format latex");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "--mode forward and --order 2 print text only");
}
END_TEST

START_TEST(explain_order_2_sweeps_the_recorded_backward)
{
    run_result r = run_tg("explain 'x^3' x=2 --order 2");
    ck_assert_int_eq(r.status, 0);
    assert_has(r, "Second order (--order 2)");
    assert_has(r, "g     1 * v3    scalar    12");
    assert_has(r, "so d2y/dx2 = dg/dx = 12");
    r = run_tg("explain 'sum(x^3)' 'x=[1,2]' --order 2");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "--order 2 follows the gradient by one scalar variable");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_modes");
    TCase *tc = tu_tcase("cli_modes");
    tcase_add_test(tc, jacobian_of_softmax_by_each_mode);
    tcase_add_test(tc, grad_prints_the_hessian);
    tcase_add_test(tc, explain_forward_prints_dual_numbers);
    tcase_add_test(tc, explain_order_2_sweeps_the_recorded_backward);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
