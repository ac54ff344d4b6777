/* explain.h -- formulas for `tg explain`: what each op computes and its
 * local derivative, written in plain text or in LaTeX. */
#ifndef TG_TOOL_EXPLAIN_H
#define TG_TOOL_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "tg.h"

typedef enum { NOTATION_TEXT, NOTATION_LATEX } notation;

/* The names a formula is written with. */
typedef struct {
    const char *op_name;  /* tg_op_name of the node */
    const char *in[3];    /* the labels of its inputs */
    const char *node;     /* the op result's label */
    const char *upstream; /* the name of its gradient, e.g. "dy/dv3" */
    double constant;      /* of a scalar op, see tg_op_constant */
    double constant2;     /* its second, for ops that keep two (tg_op_constants) */
    bool has_constant;
    int axis;             /* of an op along one axis, see tg_op_axis */
    int n_inputs;         /* the node's (concat has any number) */
    char map[160];        /* $m: the positions a map op read, "elements [3, 0, 1, 2]" */
    char part[64];        /* $r: the part of concat's result one input filled, "[:, 2:4]" */
} formula_names;

/* The names of node's formula: its inputs' labels (not the saved map of a
 * map op, an op that copies x's elements through positions kept as its
 * helper input: select, slice, permute, flip, roll, repeat, diagonal,
 * diag_embed, pad, masked_select; $m shows those positions instead), its
 * constants and axis. */
formula_names formula_names_of(labeler *l, const tg_tensor *node);
/* Fills n->part for input k of a concat node: the part of the result it
 * filled, "[:, 2:4]"; "" for other ops. */
void note_part(const tg_tensor *node, int k, formula_names *n);
/* Whether the derivative for input k is written with the upstream gradient
 * $g (a gradient rule, not the local derivative itself). */
bool derivative_uses_upstream(const tg_tensor *node, int k);
/* Whether input k of node gets its gradient scattered back to the elements
 * it read (map ops, gather, index_select, embedding): added up where an
 * element was read more than once. */
bool op_scatters_back(const tg_tensor *node, int k);

/* How `tg explain` (and the worksheet of `tg quiz`) writes the step that
 * passes node's gradient to input k: as upstream * local derivative
 * (STEP_LOCAL: a scalar result, or an elementwise op whose input has the
 * result's shape, where that product is exact), as an elementwise rule
 * summed over the axes a broadcast input was stretched along
 * (STEP_BROADCAST), or as the gradient rule written with the upstream
 * gradient (STEP_VJP: matmul, softmax, ...). */
typedef enum { STEP_LOCAL, STEP_BROADCAST, STEP_VJP } step_kind;
step_kind explain_step_kind(const tg_tensor *node, int k);
/* d node / d input k as a value, from the node's VJP with a gradient of
 * ones (exact for a STEP_LOCAL step); NULL with an error pending when the
 * ones are not a valid upstream. */
tg_tensor *explain_local_derivative(tg_tensor *node, int k);
/* Whether the node's op has a diagonal Jacobian when input and output shapes
 * agree, so that upstream * local derivative is an elementwise product. */
bool op_is_elementwise(const tg_tensor *node);
/* node = ... : what its op computes, e.g. "v1 + b" or "\sigma(v_{2})". */
char *op_formula(const tg_tensor *node, const formula_names *n, notation how, char *buf,
                 size_t size);
/* d node / d input k, e.g. "sigmoid(u)(1 - sigmoid(u))"; for an op that is
 * not elementwise, the gradient input k receives, written with upstream. */
char *op_derivative(const tg_tensor *node, int k, const formula_names *n, notation how,
                    char *buf, size_t size);
/* Whether `tg explain` has templates for kind: the catalogue test asks this
 * of every kind. */
bool explain_has_rule(tg_op_kind kind);
/* A template of explain_ops.c ($0..$2 the inputs, $y the result, $c and $d
 * the constants, $a the axis) written with the names n. */
char *explain_expand(const char *tpl, const formula_names *n, notation how, char *buf,
                     size_t size);
/* node's tangent in forward mode from its inputs' (explain_tangents.c):
 * moving[k] says whether input k carries one, named "d" + its label, e.g.
 * "cos(v1) dv1" or "dW @ x + W @ dx"; "0" when none moves. */
char *op_tangent(const tg_tensor *node, const formula_names *n, const bool *moving,
                 notation how, char *buf, size_t size);
/* Whether `tg explain --mode forward` can write kind's tangent: the
 * catalogue test asks this of every kind. */
bool explain_has_tangent(tg_op_kind kind);
/* explain_terms.c: each entry i of the gradient node passes to input k
 * (or only entry `only`, when it is not negative) as the sum over node's
 * elements j of upstream[j] * d node[j] / d input[i], the terms in numbers
 * (and first in names, dy/dv1[0] * h[0], when with_names is set): for
 * --expand and the terms a broadcast input's gradient adds up. y is the
 * result's label. */
int explain_element_sums(FILE *f, labeler *l, tg_tensor *node, int k, tg_tensor *upstream,
                         const char *y, int64_t only, bool with_names);
/* How explain_element_sums_as writes the sums: as explain_element_sums
 * does (text), as lines of a LaTeX align environment, or one LaTeX
 * equation a line (for html_equation). */
typedef enum { SUMS_TEXT, SUMS_ALIGN, SUMS_LINES } sums_layout;
int explain_element_sums_as(FILE *f, labeler *l, tg_tensor *node, int k, tg_tensor *upstream,
                            const char *y, int64_t only, bool with_names, sums_layout layout);
/* The flat index of the element "[i,j]" of t names (text after the '['),
 * or -1 with the reason in why. */
int64_t parse_element(const tg_tensor *t, const char *text, char *why, size_t size);
/* For log_softmax(z) read only by a cross entropy's t * log_softmax(z) (t a
 * constant whose rows sum to 1, the upstream gradient -s t, the gradient
 * checked to be s (p - t) element by element): the softmax
 * values, "p = softmax(z) = [...]", into probs and the gradient named,
 * "= p - t: ...", into named; false for any other node. */
bool explain_softmax_ce(labeler *l, const tg_tensor *node, const tg_tensor *upstream,
                        const tg_tensor *gradient, char *probs, char *named, size_t size);
/* explain_html.c: the page of --format html, built up as the explanation
 * runs: the tensors (the graph's boxes: label, op, value) and edges, then
 * the steps, each with its equations (LaTeX) and the gradients it sets. */
typedef struct html_page html_page;
html_page *html_page_new(void);
void html_page_free(html_page *p);
/* kind: "input", "constant" or "node"; op: a node's op name, else NULL */
void html_tensor(html_page *p, int id, const char *label, const char *op, const char *kind,
                 const char *formula_tex, const tg_tensor *t);
void html_edge(html_page *p, int from, int to);
void html_step(html_page *p, bool reverse, int id, const char *title_tex);
void html_equation(html_page *p, const char *tex);
void html_gradient(html_page *p, int id, const tg_tensor *g);
/* Draws the graph (Graphviz's dot) and writes the page to out; TG_EVALUE
 * with d set when dot is missing or fails. */
int html_finish(html_page *p, FILE *out, const char *expr, diag *d);
/* Text written into HTML, its element content or an attribute value: <, >,
 * & and " escaped. */
void html_text(FILE *f, const char *s);
/* A JSON string, safe inside a <script> element: '<' written \u003c, so
 * that the data can neither end the element nor open a comment. */
void json_string(FILE *f, const char *s);
/* A label as LaTeX: w1 -> w_{1}, net_h1 -> \mathit{net}_{h1}, x_hat ->
 * x_{\mathit{hat}}. */
char *latex_name(const char *label, char *buf, size_t size);

/* explain_latex.c: LaTeX for --format latex and beamer. LATEX_LINE_BREAK
 * ends a line of an align environment and starts the next, indented: it
 * goes between the blocks a long tensor or sum is cut into. */
#define LATEX_LINE_BREAK " \\\\\n&\\quad "
/* The room a tensor has: width characters of a line, rows rows of a
 * block; a vector of more than column entries is written as a row,
 * transposed; elide: what does not fit is elided (a slide) rather than cut
 * into blocks, one a line (a page, whose lines break across pages). */
typedef struct {
    int width, rows, column;
    bool elide;
} latex_fit;
/* t as LaTeX: a number; a vector as a column bmatrix (a row, transposed,
 * past fit->column entries); a matrix as a bmatrix; a tensor of more axes as its
 * matrices along the last two, one a line. Long axes are elided as
 * tensor_brief elides them; a matrix that does not fit is elided or cut
 * into blocks (fit), one a line (LATEX_LINE_BREAK), so it belongs after an &
 * of an align environment. */
char *latex_tensor(const tg_tensor *t, const latex_fit *fit, char *buf, size_t size);
/* A number as tensor_brief writes it, as LaTeX: 1e-05 -> 1 \times 10^{-5}. */
char *latex_number(const char *number, char *buf, size_t size);
/* text for \text{...}: TeX's special characters escaped. */
char *latex_text(const char *text, char *buf, size_t size);

#endif
