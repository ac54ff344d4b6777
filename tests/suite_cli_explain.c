/* suite_cli_explain.c -- tg explain's teaching options, run as a program:
 * --digits and --elide, --expand (one entry of a gradient as the sum that
 * makes it, Mazur's dE/dw5 read off the matrix form), the terms a broadcast
 * input's gradient sums, softmax with cross entropy named p - t with its
 * one-hot target listed under Inputs, and --format html; notations explained
 * once where first used, a loss's square read as a square, and a rebound
 * name's earlier values shown as c', c''. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

/* The last command's output, freed when the next one runs. */
static tu_output result;

static tu_output *run_shell(const char *cmd)
{
    free(result.out);
    result = tu_run_shell(cmd);
    return &result;
}

/* Runs tg with args (a shell fragment), stdout and stderr together. */
static tu_output *run_tg(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", TG_BINARY, args);
    return run_shell(cmd);
}

#define assert_has(r, text) tu_assert_has(*(r), text)
#define assert_lacks(r, text) tu_assert_lacks(*(r), text)

#define MAZUR                                                                              \
    "explain 'h = sigmoid(W1 @ x + b1); o = sigmoid(W2 @ h + b2); E = sum(0.5 * (t - o)^2)' " \
    "'x=[0.05,0.10]' 'W1=[[0.15,0.20],[0.25,0.30]]' b1=0.35 'W2=[[0.40,0.45],[0.50,0.55]]' " \
    "b2=0.60 't=[0.01,0.99]' --wrt W1,b1,W2,b2 "

START_TEST(digits_and_elide_set_how_numbers_show)
{
    tu_output *r = run_tg("explain 'sum(x / 3)' 'x=[1,2,3,4,5,6]'");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "  x          6        [1, 2, ..., 6]\n");
    assert_has(r, "[0.3333, 0.6667, ..., 2]");
    r = run_tg("explain 'sum(x / 3)' 'x=[1,2,3,4,5,6]' --elide 6 --digits 7");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "  x          6        [1, 2, 3, 4, 5, 6]\n");
    assert_has(r, "[0.3333333, 0.6666667, 1, 1.333333, 1.666667, 2]");
    r = run_tg("explain 'sum(x / 3)' 'x=[1,2,3,4,5,6]' --elide 5");
    assert_has(r, "[1, 2, ..., 6]");
    r = run_tg("explain 'x / 3' x=1 --digits 3");
    assert_has(r, "  y            = 0.333\n  dy/dx        = 0.333\n");
    r = run_tg("explain x x=1 --digits 0");
    ck_assert_int_eq(r->status, 2);
    assert_has(r, "--digits must be a whole number in 1..17, not '0'");
    r = run_tg("explain x x=1 --elide many");
    ck_assert_int_eq(r->status, 2);
    assert_has(r, "--elide must be a whole number in 0..1000000, not 'many'");
}
END_TEST

/* Mazur's step-by-step example in matrix form: dE/dw5 = delta_o1 * out_h1
 * = 0.138498562 * 0.593269992 = 0.082167041 is entry [0,0] of dE/dW2. */
START_TEST(expand_reads_mazurs_dw5_off_the_matrix_form)
{
    tu_output *r = run_tg(MAZUR "--expand 'W2[0,0]' --digits 9");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "        dE/dW2[0,0] = dE/dv4[0] * h[0]\n"
                  "          = 0.138498562 * 0.593269992 = 0.0821670406\n");
    assert_lacks(r, "dE/dW2[0,1] =");
    r = run_tg(MAZUR "--expand W2");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "        dE/dW2[0,1] = dE/dv4[0] * h[1]\n          = 0.138499 * 0.596884 = "
                  "0.0826676\n");
    assert_has(r, "        dE/dW2[1,0] = dE/dv4[1] * h[0]\n          = -0.0380982 * 0.59327 = "
                  "-0.0226025\n");
    /* W1's entries go through b1's broadcast: its terms, summed */
    assert_has(r, "        dE/db1 = 0.00877135 * 1 + 0.00995425 * 1 = 0.0187256\n");
}
END_TEST

/* dv[r,c]/dW[a,q] = X[q,c] where r = a: W[1,0]'s entry sums row 1 of the
 * upstream gradient times row 0 of X; X's entries sum a column of W. */
START_TEST(expand_writes_a_matrix_products_sum)
{
    tu_output *r = run_tg("explain 'sum((W @ X) * C)' 'W=[[1,2],[3,4]]' 'X=[[1,2,3],[4,5,6]]' "
                           "'C=[[1,2,3],[4,5,6]]' --wrt W,X --expand 'W[1, 0]'");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "        dy/dW[1,0] = dy/dv1[1,0] * X[0,0] + dy/dv1[1,1] * X[0,1] + dy/dv1[1,2] "
                  "* X[0,2]\n          = 4 * 1 + 5 * 2 + 6 * 3 = 32\n");
    r = run_tg("explain 'sum((W @ X) * C)' 'W=[[1,2],[3,4]]' 'X=[[1,2,3],[4,5,6]]' "
               "'C=[[1,2,3],[4,5,6]]' --wrt W,X --expand 'X[1,2]'");
    assert_has(r, "        dy/dX[1,2] = dy/dv1[0,2] * W[0,1] + dy/dv1[1,2] * W[1,1]\n"
                  "          = 3 * 2 + 6 * 4 = 30\n");
    r = run_tg("explain 'sum(W @ x)' 'W=[[1,2],[3,4]]' 'x=[5,6]' --expand 'W[2,0]'");
    ck_assert_int_eq(r->status, 2);
    assert_has(r, "--expand W[2,0] is not an element of a tensor of shape 2x2");
    r = run_tg("explain 'sum(W @ x)' 'W=[[1,2],[3,4]]' 'x=[5,6]' --expand 'W[1]'");
    ck_assert_int_eq(r->status, 2);
    assert_has(r, "needs 2 indices");
    r = run_tg("explain 'sum(W @ x)' 'W=[[1,2],[3,4]]' 'x=[5,6]' --expand q");
    ck_assert_int_eq(r->status, 2);
    assert_has(r, "--expand names 'q', which no node of the tape takes as an input");
}
END_TEST

START_TEST(a_broadcast_gradient_shows_the_terms_it_sums)
{
    tu_output *r = run_tg("explain 'sum((x + b) * [1, 2, -3])' 'x=[1,2,3]' b=0.5");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "      dy/db = 0\n        dy/db = 1 * 1 + 2 * 1 + (-3) * 1 = 0\n");
    r = run_tg("explain 'sum(M * v)' 'M=[[1,2],[3,4],[5,6]]' 'v=[1,-1]'");
    assert_has(r, "        dy/dv[0] = 1 * 1 + 1 * 3 + 1 * 5 = 9\n"
                  "        dy/dv[1] = 1 * 2 + 1 * 4 + 1 * 6 = 12\n");
}
END_TEST

START_TEST(softmax_with_cross_entropy_is_p_minus_the_target)
{
    tu_output *r = run_tg("explain 'ce(z, 1)' 'z=[1,2,0.5]'");
    ck_assert_int_eq(r->status, 0);
    /* the one-hot target ce made is listed under Inputs */
    assert_has(r, "  c1         3        [0, 1, 0]   (constant)\n");
    assert_has(r, "      p = softmax(z) = [0.2312, 0.6285, 0.1402]\n"
                  "      dy/dz = dy/dv1 - softmax(z) * sum(dy/dv1)\n"
                  "        = p - c1: the softmax minus the target\n"
                  "        = [0.2312, -0.3715, 0.1402]\n");
    r = run_tg("explain 'ce(Z, [1, 0])' 'Z=[[1,2,0.5],[0,0,0]]'");
    assert_has(r, "        = (p - c1) / 2: the softmax minus the target, over 2 rows\n"
                  "        = [[0.1156, -0.1857, 0.07012], [-0.3333, 0.1667, 0.1667]]\n");
    /* a target whose rows do not sum to 1: the identity does not hold */
    r = run_tg("explain 'ce(z, t)' 'z=[1,2,0.5]' 't=[0.5,0.8,0]' --wrt z");
    ck_assert_int_eq(r->status, 0);
    assert_lacks(r, "p - t");
    assert_lacks(r, "p = softmax");
    /* an array the expression wrote stays written out */
    r = run_tg("explain 'sum(x * [1, 2])' 'x=[3,4]'");
    assert_has(r, "x * [1, 2]");
    assert_lacks(r, "c1");
}
END_TEST

/* The page loads nothing: no script or stylesheet by address, KaTeX's
 * fonts as data: URLs; the graph is inline SVG with the tensors' ids, and
 * the steps are the forward pass then the sweep, with their numbers. */
START_TEST(html_page_is_self_contained)
{
    tu_output *r = run_tg("explain '(x+y)*z' x=-2 y=5 z=-4 --format html");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "<!DOCTYPE html>");
    assert_lacks(r, "<script src");
    assert_lacks(r, "<link");
    assert_lacks(r, "url(fonts/");
    assert_lacks(r, "url(http");
    if (access("/usr/share/javascript/katex/katex.min.js", R_OK) == 0)
        assert_has(r, "url(data:font/woff2;base64,");
    assert_has(r, "<svg");
    assert_has(r, "<g id=\"t3\" class=\"node\">");
    assert_has(r, "{\"phase\": \"forward\", \"node\": \"t0\", \"title\": \"v_{1} = x + y\", "
                  "\"items\": [{\"tex\": \"v_{1} = x + y = 3\"}]}");
    assert_has(r, "{\"grad\": \"t4\", \"brief\": \"3\", \"value\": 3}");
    /* without Graphviz there is no graph to draw: a clear error */
    r = run_shell("PATH=/nonexistent '" TG_BINARY "' explain x x=1 --format html 2>&1");
    ck_assert_int_eq(r->status, 2);
    assert_has(r, "--format html needs Graphviz's dot program");
}
END_TEST

/* How often text occurs in r's output. */
static int occurrences(const tu_output *r, const char *text)
{
    int n = 0;
    for (const char *p = r->out; (p = strstr(p, text)); p += strlen(text))
        n++;
    return n;
}

START_TEST(notations_are_explained_once_where_first_used)
{
    tu_output *r = run_tg("explain 'relu(-x) + relu(x) + relu(-(x * 3))' x=2");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "  dy/dy = 1 (the seed: y changes one for one with itself)\n");
    /* the first relu swept is v7 = relu(v6), v6 = -(x * 3) */
    assert_has(r, "      d/dv6 relu(v6) = [v6 > 0] = 0\n      dy/dv6 = 1 * 0 = 0\n"
                  "      ([v6 > 0] is 1 where v6 > 0 and 0 elsewhere)\n");
    ck_assert_int_eq(occurrences(r, "is 1 where"), 1);
    ck_assert_int_eq(occurrences(r, "is unary minus, -1 * "), 1);
}
END_TEST

START_TEST(a_losses_square_reads_as_a_square)
{
    tu_output *r = run_tg("explain 'mse(yhat, y)' 'yhat=[1.5,-2,0.25]' 'y=[1,-1,0]' --wrt yhat");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "      d/dv1 square(v1) = 2 v1 = [1, -2, 0.5]\n");
    assert_lacks(r, "used more than once");
}
END_TEST

START_TEST(a_rebound_name_keeps_its_name_with_a_prime)
{
    tu_output *r = run_tg("explain 'c = x * 2; c = c + 1; c = c * c; c - 3' x=1");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "  c''   2 * x     scalar    2\n  c'    c'' + 1   scalar    3\n"
                  "  c     c' * c'   scalar    9\n");
    assert_has(r, "      dy/dc' = 1 * 3 = 3\n");
    r = run_tg("explain 'c = x * 2; c = c + 1; c' x=1 --format latex");
    assert_has(r, "c' &= 2 \\cdot x = 2 \\\\\n");
    /* each evaluation starts afresh: descend's later steps name them alike */
    r = run_tg("descend 'c = x * 2; c = c + 1; c^2' x=1 --wrt x --lr 0.01 --steps 3");
    ck_assert_int_eq(r->status, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_explain");
    TCase *tc = tu_tcase("explain");
    tcase_add_test(tc, digits_and_elide_set_how_numbers_show);
    tcase_add_test(tc, expand_reads_mazurs_dw5_off_the_matrix_form);
    tcase_add_test(tc, expand_writes_a_matrix_products_sum);
    tcase_add_test(tc, a_broadcast_gradient_shows_the_terms_it_sums);
    tcase_add_test(tc, softmax_with_cross_entropy_is_p_minus_the_target);
    tcase_add_test(tc, html_page_is_self_contained);
    tcase_add_test(tc, notations_are_explained_once_where_first_used);
    tcase_add_test(tc, a_losses_square_reads_as_a_square);
    tcase_add_test(tc, a_rebound_name_keeps_its_name_with_a_prime);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
