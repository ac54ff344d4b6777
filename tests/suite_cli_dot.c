/* suite_cli_dot.c -- tg dot run as a program: the boxes say what each op
 * computes with its constants (0.5 * v2, not mul_scalar) and the tensors'
 * shapes, --edges derivative labels each edge with the local derivative
 * (its value between one-element tensors, explain's formula otherwise), and
 * the DOT text of the notes' 3-layer network renders with Graphviz. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* The notes' nested network, as docs/explain/nested-network.md has it. */
#define NESTED_NETWORK                                                                      \
    "'h1 = sigmoid(W1 @ x + b1); h2 = sigmoid(W2 @ h1 + b2); "                              \
    "yhat = sigmoid(W3 @ h2 + b3); L = l2(yhat, y)' 'x=[0.5,-1,2]' "                        \
    "'W1=[[0.1,-0.2,0.3],[0.4,0.5,-0.6]]' 'b1=[0.01,-0.02]' 'W2=[[0.3,-0.1],[0.2,0.5]]' "  \
    "'b2=[0.1,-0.1]' 'W3=[[0.7,-0.8]]' 'b3=[0.05]' 'y=[0.9]' --wrt W1,b1,W2,b2,W3,b3"

/* Runs tg with args (a shell fragment) and then the rest of the shell
 * line after it (a pipe, or nothing), stdout and stderr together. */
static tu_output run_tg(const char *args, const char *then)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1 %s", TG_BINARY, args, then);
    return tu_run_shell(cmd);
}

/* Scalar ops keep their constant: a box shows it where the op applies it,
 * as tg explain writes the formula, and never the op's library name. */
START_TEST(dot_shows_constants_as_the_op_applies_them)
{
    tu_output r = run_tg("dot 'sum(0.5*(x+1)^2) + mean(x) - 10' 'x=[1,2]'", "");
    ck_assert_msg(r.status == 0, "%s", r.out);
    tu_assert_has(r, "[label=\"v1 = x + 1\\n");
    tu_assert_has(r, "[label=\"v2 = v1^2\\n");
    tu_assert_has(r, "[label=\"v3 = 0.5 * v2\\n");
    tu_assert_has(r, " = v6 - 10\\n");
    tu_assert_lacks(r, "_scalar");
    tu_assert_lacks(r, "= add\\n");
    free(r.out);
}
END_TEST

/* Tensors carry their shapes (2x3 for W1); a 0-d tensor has none to show. */
START_TEST(dot_shows_the_shapes_of_tensors)
{
    tu_output r = run_tg("dot " NESTED_NETWORK, "");
    ck_assert_msg(r.status == 0, "%s", r.out);
    tu_assert_has(r, "[label=\"W1\\nshape 2x3\\nvalue [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]\\n"
                     "grad [[-0.0001189, 0.0002377, -0.0004754], "
                     "[0.0008458, -0.001692, 0.003383]]\", style=bold];");
    tu_assert_has(r, "[label=\"v1 = W1 @ x\\nshape 2\\nvalue [0.85, -1.5]\\n");
    tu_assert_has(r, "[label=\"x\\nshape 3\\nvalue [0.5, -1, 2]\", style=dashed];");
    tu_assert_has(r, "[label=\"L = 0.5 * v12\\nvalue 0.0775324\\ngrad 1\"];");
    tu_assert_has(r, "rankdir=TB;");
    free(r.out);
}
END_TEST

/* The local derivative on each edge: tanh'(1.1) = 0.359201, d(w x)/dw =
 * x = 2 and d(w x)/dx = w = 0.5 as numbers; no label without the option. */
START_TEST(dot_edges_carry_the_local_derivatives_of_scalars)
{
    tu_output r = run_tg("dot 'tanh(w*x + b)' w=0.5 x=2 b=0.1 --edges derivative", "");
    ck_assert_msg(r.status == 0, "%s", r.out);
    tu_assert_has(r, "t1 -> t0 [label=\"0.359201\"];");
    tu_assert_has(r, "t2 -> t1 [label=\"1\"];");
    tu_assert_has(r, "t4 -> t2 [label=\"2\"];");
    tu_assert_has(r, "t5 -> t2 [label=\"0.5\"];");
    free(r.out);
    r = run_tg("dot 'tanh(w*x + b)' w=0.5 x=2 b=0.1", "");
    ck_assert_msg(r.status == 0, "%s", r.out);
    tu_assert_has(r, "t1 -> t0;");
    tu_assert_lacks(r, "[label=\"0.359201\"]");
    free(r.out);
}
END_TEST

/* Between tensors an edge carries explain's formula: sigmoid's local
 * derivative, a broadcast's sum, and for matmul the gradient rule, named as
 * the gradient it gives since it is no local derivative. An edge from a
 * constant carries none: no gradient flows there. */
START_TEST(dot_edges_carry_the_formulas_of_tensors)
{
    tu_output r = run_tg("dot " NESTED_NETWORK " --edges derivative", "");
    ck_assert_msg(r.status == 0, "%s", r.out);
    tu_assert_has(r, "t16 -> t15 [label=\"sigmoid(v2)(1 - sigmoid(v2))\"];");
    tu_assert_has(r, "t19 -> t17 [label=\"dL/dW1 = dL/dv1 @ x^T\"];");
    tu_assert_has(r, "t15 -> t12 [label=\"dL/dh1 = W2^T @ dL/dv4\"];");
    tu_assert_has(r, "t20 -> t17;");
    tu_assert_has(r, "t3 -> t2 [label=\"-0.787566\"];"); /* l2's square(v10): 2 v10 */
    free(r.out);
    r = run_tg("dot 'x*x' x=3 --edges derivative", "");
    ck_assert_msg(r.status == 0, "%s", r.out);
    tu_assert_has(r, "t1 -> t0 [label=\"3\"];\n  t1 -> t0 [label=\"3\"];"); /* each operand */
    free(r.out);
    r = run_tg("dot 'sum(x + b)' 'x=[1,2]' b=3 --edges derivative", "");
    ck_assert_msg(r.status == 0, "%s", r.out);
    tu_assert_has(r, "[label=\"1, summed over the broadcast axes\"];");
    free(r.out);
    r = run_tg("dot 'x^2' x=1 --edges derivatives", "");
    ck_assert_int_eq(r.status, 2);
    tu_assert_has(r, "tg dot: --edges wants derivative or none, not 'derivatives'");
    free(r.out);
}
END_TEST

/* The DOT text is valid: Graphviz renders the network, labelled edges and
 * all, to SVG (tools/bootstrap.sh installs graphviz). */
START_TEST(dot_output_renders_with_graphviz)
{
    tu_output r = run_tg("dot " NESTED_NETWORK " --edges derivative",
                         "| dot -Tsvg; echo \"dot exit $?\"");
    tu_assert_has(r, "dot exit 0\n");
    tu_assert_has(r, "<svg");
    tu_assert_has(r, "dL/dW1 = dL/dv1 @ x^T</text>");
    tu_assert_lacks(r, "Warning");
    tu_assert_lacks(r, "Error");
    free(r.out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_dot");
    TCase *tc = tu_tcase("cli_dot");
    tcase_add_test(tc, dot_shows_constants_as_the_op_applies_them);
    tcase_add_test(tc, dot_shows_the_shapes_of_tensors);
    tcase_add_test(tc, dot_edges_carry_the_local_derivatives_of_scalars);
    tcase_add_test(tc, dot_edges_carry_the_formulas_of_tensors);
    tcase_add_test(tc, dot_output_renders_with_graphviz);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
