/* suite_cli_latex.c -- tg explain --format latex and --format beamer, run as
 * a program, checked in their source: tensors as bmatrix with the text's
 * elision, labels with subscripts, \odot for elementwise products, a
 * matmul's shapes and transposed operand, tensors too wide for a line cut
 * into blocks, --standalone, --expand's sums in LaTeX and on the html page,
 * and beamer's frames and overlays. tests/latex/run.sh compiles the notes'
 * examples with pdflatex. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* The last command's output, freed when the next one runs. */
static tu_output result;

/* Runs tg with args (a shell fragment), stdout and stderr together. */
static tu_output *run_tg(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", TG_BINARY, args);
    free(result.out);
    result = tu_run_shell(cmd);
    return &result;
}

#define assert_has(r, text) tu_assert_has(*(r), text)
#define assert_lacks(r, text) tu_assert_lacks(*(r), text)

static int count_of(const tu_output *r, const char *text)
{
    int n = 0;
    for (const char *p = r->out; p && (p = strstr(p, text)); p += strlen(text))
        n++;
    return n;
}

#define MAZUR                                                                              \
    "explain 'h = sigmoid(W1 @ x + b1); o = sigmoid(W2 @ h + b2); E = sum(0.5 * (t - o)^2)' " \
    "'x=[0.05,0.10]' 'W1=[[0.15,0.20],[0.25,0.30]]' b1=0.35 'W2=[[0.40,0.45],[0.50,0.55]]' " \
    "b2=0.60 't=[0.01,0.99]' --wrt W1,b1,W2,b2 "

START_TEST(latex_writes_matrices_and_elementwise_products)
{
    tu_output *r = run_tg(MAZUR "--format latex");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "W_{1} &= \\begin{bmatrix}0.15 & 0.2 \\\\ 0.25 & 0.3\\end{bmatrix}");
    assert_has(r, "h &= \\sigma(v_{2}) = \\begin{bmatrix}0.5933 \\\\ 0.5969\\end{bmatrix}");
    assert_lacks(r, "[["); /* no tensor as text */
    /* upstream \odot local, each a matrix, then the contribution */
    assert_has(r, "\\frac{\\partial E}{\\partial v_{5}} &= \\frac{\\partial E}{\\partial o} \\odot "
                  "\\sigma(v_{5})\\,(1 - \\sigma(v_{5})) \\\\\n"
                  "&= \\begin{bmatrix}0.7414 \\\\ -0.2171\\end{bmatrix} \\odot "
                  "\\begin{bmatrix}0.1868 \\\\ 0.1755\\end{bmatrix} \\\\\n"
                  "&= \\begin{bmatrix}0.1385 \\\\ -0.0381\\end{bmatrix}");
    assert_has(r, "\\odot \\left(-1\\right)");
    /* the matmul's rule, its shapes and the transposed operand */
    assert_has(r, "\\frac{\\partial E}{\\partial W_{2}} &= \\frac{\\partial E}{\\partial v_{4}}\\, "
                  "h^{\\top} \\\\\n\\intertext{shapes $[2,1] @ [1,2] \\to [2,2]$ (an outer "
                  "product: a column times a row), with}\n"
                  "h^{\\top} &= \\begin{bmatrix}0.5933 & 0.5969\\end{bmatrix} \\\\\n"
                  "\\frac{\\partial E}{\\partial W_{2}} &= \\begin{bmatrix}0.08217 & 0.08267 \\\\ "
                  "-0.0226 & -0.02274\\end{bmatrix}");
    /* a fragment for \input, unless --standalone */
    assert_lacks(r, "\\documentclass");
    assert_has(r, "% needs \\usepackage{amsmath}");
    r = run_tg(MAZUR "--format latex --standalone");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{lmodern}\n"
                  "\\usepackage{amsmath}\n\\allowdisplaybreaks\n\\begin{document}\n");
    ck_assert_str_eq(r->out + strlen(r->out) - strlen("\\end{document}\n"), "\\end{document}\n");
    r = run_tg("explain x x=1 --standalone");
    ck_assert_int_eq(r->status, 2);
    assert_has(r, "--standalone makes --format latex a whole document: give --format latex");
}
END_TEST

/* Long axes are elided as in the text (first two, the last); a label with
 * an underscore is subscripted; an exponent is a power of ten, in a value
 * and in a formula's constant. */
START_TEST(latex_elides_and_subscripts)
{
    tu_output *r = run_tg("explain 'sum(X)' "
                          "'X=[[1,2,3,4,5],[1,2,3,4,5],[1,2,3,4,5],[1,2,3,4,5],[1,2,3,4,5]]' "
                          "--format latex");
    assert_has(r, "X &= \\begin{bmatrix}1 & 2 & \\cdots & 5 \\\\ 1 & 2 & \\cdots & 5 \\\\ "
                  "\\vdots & \\vdots & \\ddots & \\vdots \\\\ 1 & 2 & \\cdots & 5\\end{bmatrix}");
    r = run_tg("explain 'sum(x / 3)' 'x=[1,2,3,4,5,6]' --format latex");
    assert_has(r, "x &= \\begin{bmatrix}1 \\\\ 2 \\\\ \\vdots \\\\ 6\\end{bmatrix}");
    r = run_tg("explain 'net_h1 = w1 * x_hat; sigmoid(net_h1)' w1=0.5 x_hat=1e-7 --format latex");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "\\mathit{net}_{h1} &= w_{1} \\cdot x_{\\mathit{hat}}");
    assert_has(r, "x_{\\mathit{hat}} &= 1 \\times 10^{-7}");
    assert_has(r, "\\texttt{net\\_h1 = w1 * x\\_hat};\\\\");
    /* a constant of a formula too: bce's clamp at the smallest double */
    r = run_tg("explain 'bce(sigmoid(z), y)' z=0.5 y=1 --wrt z --format latex");
    assert_has(r, "v_{2} &= \\max(v_{1}, 4.94066 \\times 10^{-324})");
    assert_lacks(r, "e-324");
}
END_TEST

/* A tensor shown whole that would run past the margin is cut into blocks,
 * a line each, with the entries each shows. */
START_TEST(latex_cuts_long_tensors_to_the_line)
{
    tu_output *r = run_tg("explain 'sum(x * 2)' "
                          "'x=[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]' --elide 100 "
                          "--format latex");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "x &= \\begin{bmatrix}1 & 2 & 3 & 4 & 5 & 6\\end{bmatrix}^{\\top}\\ "
                  "\\text{(entries 0--5)} \\\\\n&\\quad \\begin{bmatrix}7 & 8");
    assert_has(r, "\\begin{bmatrix}19 & 20\\end{bmatrix}^{\\top}\\ \\text{(entries 18--19)}");
    /* a matrix of more columns than amsmath's 10 is cut too */
    r = run_tg("explain 'sum(X)' 'X=[[1,2,3,4,5,6,7,8,9,10,11,12]]' --elide 100 --format latex");
    assert_has(r, "\\text{(columns 0--5)}");
    assert_has(r, "\\text{(columns 6--11)}");
}
END_TEST

/* --expand writes the same sums in LaTeX and on the html page as in the
 * text: Mazur's dE/dw5 = 0.1385 x 0.5933. */
START_TEST(expand_in_latex_and_html)
{
    tu_output *r = run_tg(MAZUR "--expand 'W2[0,0]' --digits 9 --format latex");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "\\intertext{each entry, as the sum over the elements $j$ of $v_{4}$:}\n"
                  "\\frac{\\partial E}{\\partial W_{2}}[i] &= \\sum_j \\frac{\\partial E}"
                  "{\\partial v_{4}}[j] \\, \\frac{\\partial v_{4}[j]}{\\partial W_{2}[i]} \\\\\n"
                  "\\frac{\\partial E}{\\partial W_{2}}[0,0] &= \\frac{\\partial E}{\\partial v_{4}}"
                  "[0] \\cdot h[0] \\\\\n&= 0.138498562 \\cdot 0.593269992 = 0.0821670406");
    ck_assert_int_eq(count_of(r, "[0,0] &="), 1); /* only the entry asked for */
    r = run_tg(MAZUR "--expand 'W2[0,0]' --digits 9 --format html");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "{\"tex\": \"\\\\frac{\\\\partial E}{\\\\partial W_{2}}[0,0] = "
                  "\\\\frac{\\\\partial E}{\\\\partial v_{4}}[0] \\\\cdot h[0] = "
                  "0.138498562 \\\\cdot 0.593269992 = 0.0821670406\"}");
    r = run_tg("explain 'sum(x)' 'x=[1,2]' --expand x --mode forward");
    ck_assert_int_eq(r->status, 2);
    assert_has(r, "--expand writes the reverse sweep's sums: leave out --mode forward");
}
END_TEST

/* A complete beamer document: a frame per forward node (formula, then its
 * value), and per input of each swept node (upstream, then the local
 * derivative, then the product, an overlay each). */
START_TEST(beamer_has_a_frame_per_step_with_overlays)
{
    tu_output *r = run_tg("explain '(x+y)*z' x=-2 y=5 z=-4 --format beamer");
    ck_assert_int_eq(r->status, 0);
    assert_has(r, "\\documentclass[10pt]{beamer}");
    ck_assert_str_eq(r->out + strlen(r->out) - strlen("\\end{document}\n"), "\\end{document}\n");
    /* title, inputs, 2 forward nodes, the seed, 4 steps, the gradients */
    ck_assert_int_eq(count_of(r, "\\begin{frame}"), 10);
    ck_assert_int_eq(count_of(r, "\\end{frame}"), 10);
    assert_has(r, "\\begin{frame}[t]{Forward pass: $v_{1}$}\n\\uncover<1->{\\begin{align*}\n"
                  "v_{1} &= x + y\n\\end{align*}\n}\n\\uncover<2->{\\begin{align*}\n"
                  "v_{1} &= 3\n\\end{align*}\n}\n\\end{frame}");
    assert_has(r, "\\begin{frame}[t]{Reverse sweep: $f = v_{1} \\cdot z$, to $v_{1}$}\n"
                  "\\uncover<1->{\\begin{align*}\n\\text{upstream } \\frac{\\partial f}"
                  "{\\partial f} &= 1\n\\end{align*}\n}\n\\uncover<2->{\\begin{align*}\n"
                  "\\frac{\\partial}{\\partial v_{1}} \\left(v_{1} \\cdot z\\right) &= z = -4\n"
                  "\\end{align*}\n}\n\\uncover<3->{\\begin{align*}\n\\frac{\\partial f}"
                  "{\\partial v_{1}} &= \\frac{\\partial f}{\\partial f} \\cdot z \\\\\n"
                  "&= 1 \\cdot (-4) = -4\n\\end{align*}\n}\n\\end{frame}");
    ck_assert_int_eq(count_of(r, "\\uncover<3->"), 4);
    ck_assert_int_eq(count_of(r, "\\uncover<4->"), 0);
    assert_has(r, "\\begin{frame}[t,allowframebreaks]{Gradients}");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_latex");
    TCase *tc = tu_tcase("latex");
    tcase_add_test(tc, latex_writes_matrices_and_elementwise_products);
    tcase_add_test(tc, latex_elides_and_subscripts);
    tcase_add_test(tc, latex_cuts_long_tensors_to_the_line);
    tcase_add_test(tc, expand_in_latex_and_html);
    tcase_add_test(tc, beamer_has_a_frame_per_step_with_overlays);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
