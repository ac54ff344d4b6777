/*
 * explain.c -- `tg explain`: the chain rule, step by step.
 *
 * The forward pass is the tape read in order; the reverse sweep is replayed
 * with tg_vjp (replay.c), and each step is printed as upstream gradient x
 * local derivative = contribution. The local derivative's value is the
 * vector-Jacobian product of a gradient of ones: for an op with a scalar
 * result, or an elementwise op whose input has the result's shape, that is
 * exactly d result / d input, so the printed product is exact. For the
 * others (matmul, softmax, broadcast inputs) the rule is printed with the
 * upstream gradient in it.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <tapegrad/forward.h>
#include <tapegrad/inspect.h>

#include "explain.h"

/* a formula or a tensor as text: room for the tensors --elide shows whole
 * (longer texts end in "...") */
#define TEXT 4096

typedef struct {
    step_kind kind;
    const char *input;              /* label of the input */
    char formula[TEXT];             /* what the node computes */
    char symbolic[TEXT];            /* d node / d input, or the VJP rule */
    char wrt_name[TEXT];            /* dy/d input */
    char up_name[TEXT];             /* dy/d node */
    char up[TEXT], local[TEXT], contribution[TEXT], previous[TEXT], total[TEXT];
    char reads[TEXT]; /* how often each element was read, where some were read twice */
    /* a matmul's rule: the shapes it multiplies, and the transposed
     * operand's values ("" for other ops) */
    char shapes[TEXT], transposed[TEXT];
    /* log_softmax under a cross entropy: the softmax values and the
     * gradient named p - t ("" for other steps) */
    char probs[TEXT], named[TEXT];
    bool accumulated, scalars;
    tg_tensor *total_value; /* the input's gradient so far */
    /* the same values as tensors, for the LaTeX matrices (NULL where the
     * step has none) */
    tg_tensor *local_value, *contribution_value, *previous_value, *transposed_value;
    const char *transposed_of; /* the label of the transposed operand */
    tg_tensor *node; /* the step's node and input */
    int k;
    int twin; /* 1 or 2 when both inputs are the same tensor (x * x), else 0 */
} step;

typedef struct explainer explainer;

typedef struct {
    notation how;
    void (*begin)(explainer *e);
    void (*forward)(explainer *e);
    void (*sweep_begin)(explainer *e);
    void (*node)(explainer *e, const char *label, const char *formula, const char *up_name,
                 const char *up);
    void (*step)(explainer *e, const step *st);
    void (*end)(explainer *e);
} emitter;

struct explainer {
    const cli_args *args;
    session *s;
    labeler *names;
    const emitter *em;
    tensor_map *grads;
    tg_tensor *upstream; /* of the node being swept */
    tg_tensor *current;  /* the node being swept */
    html_page *page;     /* --format html: the page being built */
    diag *d;
    tg_tensor *target;   /* what the sweep starts from: the result, or (--order 2) a gradient */
    const char *expand;  /* --expand: the label whose gradient's entries are written as sums */
    int64_t expand_only; /* the one entry --expand NAME[i,j] asks for, or -1: all */
    /* notations explained where first used, once per explanation */
    bool told_bracket, told_minus;
    int tex_rows;        /* LaTeX: the rows of the open align* so far */
    bool tex_noted;      /* LaTeX: the last of them an \intertext, which needs no \\ after it */
    int overlay;         /* beamer: the open frame's overlay */
    bool in_frame;       /* beamer: a frame is open */
    bool frame_breaks;   /* beamer: the open frame breaks into as many as it takes */
    char node_title[2 * TEXT]; /* beamer: the node being swept, "$v_{1} = W x$" */
    char node_upstream[4 * TEXT]; /* beamer: its upstream gradient, a row of an align* */
    int rc;
};

static const emitter beamer_emitter; /* defined with the LaTeX emitters */

static const char *label(explainer *e, const tg_tensor *t) { return label_of(e->names, t); }
static tg_tensor *target(explainer *e) { return e->target ? e->target : e->s->prog.result; }
static const char *result_label(explainer *e) { return label(e, target(e)); }

static formula_names names_of(explainer *e, const tg_tensor *node)
{
    return formula_names_of(e->names, node);
}

/* "dy/dx" or \frac{\partial y}{\partial x}. */
static char *grad_name(explainer *e, const char *of, char *buf, size_t size)
{
    char y[TEXT], x[TEXT];
    if (e->em->how == NOTATION_LATEX)
        snprintf(buf, size, "\\frac{\\partial %s}{\\partial %s}",
                 latex_name(result_label(e), y, sizeof y), latex_name(of, x, sizeof x));
    else
        snprintf(buf, size, "d%s/d%s", result_label(e), of);
    return buf;
}

/* ---- the sweep, observed ------------------------------------------------- */

static void on_node(void *ctx, tg_tensor *node, tg_tensor *upstream)
{
    explainer *e = ctx;
    char formula[TEXT], up_name[TEXT], up[TEXT];
    formula_names n = names_of(e, node);
    e->upstream = upstream;
    e->current = node;
    e->em->node(e, label(e, node), op_formula(node, &n, e->em->how, formula, TEXT),
                grad_name(e, label(e, node), up_name, TEXT), tensor_brief(upstream, up, TEXT));
}

/* d node / d input k as a value, from the node's VJP with a gradient of
 * ones; NULL when the ones are not a valid upstream (an error is pending). */
tg_tensor *explain_local_derivative(tg_tensor *node, int k)
{
    tg_tensor *grads[REPLAY_MAX_INPUTS];
    if (tg_op_num_inputs(node) > REPLAY_MAX_INPUTS)
        return NULL;
    tg_tensor *ones = tg_full(tg_dtype_of(node), tg_ndim(node), tg_shape(node), 1.0, false);
    if (!ones || tg_vjp(node, ones, grads) != 0)
        return NULL;
    return grads[k];
}

/* A local derivative is printed as one when the rule is one (not written
 * with the upstream gradient) and its value is exact: a scalar result, or
 * an elementwise op whose input has the result's shape. */
step_kind explain_step_kind(const tg_tensor *node, int k)
{
    const tg_tensor *input = tg_op_input(node, k);
    bool same = tg_ndim(node) == tg_ndim(input) &&
                memcmp(tg_shape(node), tg_shape(input), sizeof(int64_t) * tg_ndim(node)) == 0;
    if (derivative_uses_upstream(node, k))
        return STEP_VJP;
    if (tg_ndim(node) == 0 || (op_is_elementwise(node) && same))
        return STEP_LOCAL;
    return op_is_elementwise(node) ? STEP_BROADCAST : STEP_VJP;
}

/* For a gradient scattered back to the elements read: how many times each
 * was read (the rule applied to ones), when some element was read more
 * than once, since there its gradients add up; "" otherwise. */
static void note_reads(explainer *e, tg_tensor *node, int k, char *buf, size_t size)
{
    buf[0] = '\0';
    tg_tensor *counts = op_scatters_back(node, k) ? explain_local_derivative(node, k) : NULL;
    bool repeats = false;
    for (int64_t i = 0; counts && i < tg_numel(counts) && !repeats; i++)
        repeats = tg_get(counts, i) > 1;
    char values[TEXT];
    if (repeats)
        snprintf(buf, size, "%s's elements are read %s times: where more than once, their "
                 "gradients add up", label(e, tg_op_input(node, k)),
                 tensor_brief(counts, values, sizeof values));
}

/* For the gradient of W @ x with respect to operand k: the shapes of the
 * product it takes (the upstream gradient g and the other operand,
 * transposed) and that operand's transposed values, so that a student sees
 * why dW = g @ x^T has W's shape. Two vectors with a vector result make an
 * outer product: W @ x's x is a column, so x^T is a row; x @ W's x is a
 * row, so x^T is a column. A dot product's gradient is the scalar times the
 * other vector. The shapes are those of the views the rule multiplies. */
static void matmul_shapes(explainer *e, tg_tensor *node, int k, const tg_tensor *contribution,
                          step *st)
{
    tg_tensor *other = tg_op_input(node, 1 - k), *g = e->upstream;
    char a[48], b[48], c[48], value[TEXT];
    tg_shape_str(contribution, c, sizeof c);
    if (tg_ndim(g) == 0) {
        snprintf(st->shapes, TEXT, "[] * %s -> %s  (a dot product: the scalar times %s)",
                 tg_shape_str(other, a, sizeof a), c, label(e, other));
        return;
    }
    bool outer = tg_ndim(g) == 1 && tg_ndim(other) == 1;
    if (!outer && tg_ndim(other) < 2)
        return; /* a batch of matrices times a vector: no transposed operand to show */
    int64_t n = tg_shape(other)[0], m = tg_shape(g)[0];
    tg_tensor *ot = outer ? tg_reshape(other, 2, k == 0 ? (int64_t[]){1, n} : (int64_t[]){n, 1})
                          : tg_transpose(other);
    tg_tensor *gv = outer ? tg_reshape(g, 2, k == 0 ? (int64_t[]){m, 1} : (int64_t[]){1, m}) : g;
    if (!ot || !gv)
        return;
    tg_shape_str(k == 0 ? gv : ot, a, sizeof a);
    tg_shape_str(k == 0 ? ot : gv, b, sizeof b);
    snprintf(st->shapes, TEXT, "%s @ %s -> %s%s", a, b, c,
             outer ? "  (an outer product: a column times a row)" : "");
    snprintf(st->transposed, TEXT, "%s^T = %s", label(e, other), tensor_brief(ot, value, TEXT));
    st->transposed_value = ot;
    st->transposed_of = label(e, other);
}

static void on_input(void *ctx, tg_tensor *node, int k, tg_tensor *contribution,
                     tg_tensor *previous, tg_tensor *total)
{
    explainer *e = ctx;
    tg_tensor *input = tg_op_input(node, k);
    step st = {.kind = explain_step_kind(node, k), .input = label(e, input),
               .accumulated = previous != NULL, .total_value = total, .node = node, .k = k,
               .contribution_value = contribution, .previous_value = previous};
    if (tg_op_num_inputs(node) >= 2 && tg_op_input(node, 0) == tg_op_input(node, 1))
        st.twin = k + 1;
    formula_names n = names_of(e, node);
    grad_name(e, label(e, node), st.up_name, TEXT);
    n.upstream = st.up_name;
    note_part(node, k, &n);
    note_reads(e, node, k, st.reads, TEXT);
    op_formula(node, &n, e->em->how, st.formula, TEXT);
    op_derivative(node, k, &n, e->em->how, st.symbolic, TEXT);
    grad_name(e, st.input, st.wrt_name, TEXT);
    tensor_brief(e->upstream, st.up, TEXT);
    tensor_brief(contribution, st.contribution, TEXT);
    tensor_brief(total, st.total, TEXT);
    if (previous)
        tensor_brief(previous, st.previous, TEXT);
    tg_tensor *local = st.kind == STEP_LOCAL ? explain_local_derivative(node, k) : NULL;
    st.local_value = local;
    if (local)
        tensor_brief(local, st.local, TEXT);
    else if (st.kind == STEP_LOCAL)
        st.kind = STEP_VJP; /* cannot happen for the ops the tool makes; stay truthful */
    st.scalars = tg_ndim(e->upstream) == 0 && tg_ndim(contribution) == 0;
    if (tg_op_kind_of(node) == TG_OP_MATMUL && !st.scalars)
        matmul_shapes(e, node, k, contribution, &st);
    if (st.kind == STEP_VJP)
        explain_softmax_ce(e->names, node, e->upstream, contribution, st.probs, st.named, TEXT);
    e->em->step(e, &st);
}

/* ---- text: aligned, for a terminal --------------------------------------- */

/* Labels every node's operands in tape order, so that the constants among
 * them (c1, c2, ...) are known, numbered as they are first used, before
 * the inputs are listed. */
static void label_operands(explainer *e)
{
    for (int64_t pos = 0; pos <= tg_tape_position(target(e)); pos++)
        names_of(e, tg_tape_node(pos));
}

static void text_inputs(explainer *e, FILE *f)
{
    const symtab *syms = &e->s->syms;
    label_operands(e);
    char value[TEXT], shape[32];
    for (int i = 0; i < syms->n_inputs; i++) {
        tg_tensor *v = symtab_input_value(syms, i);
        fprintf(f, "  %-10s %-8s %s%s\n", symtab_input_name(syms, i),
                shape_text(v, shape, sizeof shape), tensor_brief(v, value, TEXT),
                tg_requires_grad(v) ? "" : "   (constant: no gradient wanted)");
    }
    const tg_tensor *consts[64];
    int n = labeler_constants(e->names, consts, 64);
    for (int i = 0; i < n; i++)
        fprintf(f, "  %-10s %-8s %s   (constant)\n", label(e, consts[i]),
                shape_text(consts[i], shape, sizeof shape), tensor_brief(consts[i], value, TEXT));
}

/* One statement a line, so that a network stays within the page. */
static void text_expression(const char *expr)
{
    printf("Expression  ");
    for (const char *p = expr; *p; p++) {
        putchar(*p);
        if (*p == ';' && p[1]) {
            printf("\n            ");
            while (p[1] == ' ')
                p++;
        }
    }
    printf("\n");
}

static void text_begin(explainer *e)
{
    text_expression(e->args->expr);
    printf("\nInputs\n");
    text_inputs(e, stdout);
}

/* The tape as a table whose columns fit their widest entry. */
static void forward_table(explainer *e, const char *sep, const char *row_start,
                          const char *row_end)
{
    int64_t last = tg_tape_position(target(e));
    int wl = 4, wf = 8;
    char formula[TEXT], value[TEXT], shape[32];
    for (int64_t pos = 0; pos <= last; pos++) {
        tg_tensor *node = tg_tape_node(pos);
        formula_names n = names_of(e, node);
        int lf = (int)strlen(op_formula(node, &n, NOTATION_TEXT, formula, TEXT));
        wl = (int)strlen(label(e, node)) > wl ? (int)strlen(label(e, node)) : wl;
        wf = lf > wf ? lf : wf;
    }
    wf = wf > 48 ? 48 : wf;
    printf("%s%-*s%s%-*s%s%-8s%s%s%s\n", row_start, wl, "node", sep, wf, "computes", sep,
           "shape", sep, "value", row_end);
    if (*row_end) /* markdown */
        printf("|---|---|---|---|\n");
    for (int64_t pos = 0; pos <= last; pos++) {
        tg_tensor *node = tg_tape_node(pos);
        formula_names n = names_of(e, node);
        printf("%s%-*s%s%-*s%s%-8s%s%s%s\n", row_start, wl, label(e, node), sep, wf,
               op_formula(node, &n, NOTATION_TEXT, formula, TEXT), sep,
               shape_text(node, shape, sizeof shape), sep, tensor_brief(node, value, TEXT),
               row_end);
    }
}

static void text_forward(explainer *e)
{
    printf("\nForward pass: the tape, in the order the ops ran\n\n");
    if (tg_tape_position(target(e)) < 0)
        printf("  (no ops: the result is %s itself)\n", result_label(e));
    else
        forward_table(e, "  ", "  ", "");
}

static void text_sweep_begin(explainer *e)
{
    char y[TEXT];
    printf("\nReverse sweep: from %s back to the inputs, node by node;\n"
           "each step is  upstream gradient * local derivative = contribution\n\n"
           "  %s = 1 (the seed: %s changes one for one with itself)\n",
           result_label(e), grad_name(e, result_label(e), y, TEXT), result_label(e));
}

static void text_node(explainer *e, const char *lbl, const char *formula, const char *up_name,
                      const char *up)
{
    (void)e;
    printf("\n  %s = %s\n      upstream %s = %s\n", lbl, formula, up_name, up);
}

/* "(x + y)" where the formula has an operator outside parentheses, so that
 * d/dx applies to all of it. */
static void print_of(const char *formula)
{
    int depth = 0;
    bool infix = false;
    for (const char *p = formula; *p; p++) {
        depth += (*p == '(') - (*p == ')');
        infix |= depth == 0 && *p == ' ';
    }
    printf(infix ? "(%s)" : "%s", formula);
}

/* A negative factor in a product is parenthesised: 0.25 * (-2). */
static const char *factor(const char *v, char *buf, size_t size)
{
    if (v[0] != '-')
        return v;
    snprintf(buf, size, "(%s)", v);
    return buf;
}

/* A broadcast input's gradient is written as the terms it sums where the
 * node has at most this many elements (the terms of one entry, one a node
 * element). */
#define BROADCAST_TERMS 64

/* The notations a student may not know, explained the first time a step
 * uses them: the Iverson bracket of relu-like derivatives, and unary minus. */
static void text_notations(explainer *e, const step *st)
{
    if (!e->told_bracket && strstr(st->symbolic, " > 0]")) {
        printf("      ([%s > 0] is 1 where %s > 0 and 0 elsewhere)\n", st->input, st->input);
        e->told_bracket = true;
    }
    if (!e->told_minus && tg_op_kind_of(st->node) == TG_OP_NEG) {
        printf("      (-%s is unary minus, -1 * %s: its local derivative is -1)\n", st->input,
               st->input);
        e->told_minus = true;
    }
}

static void text_step(explainer *e, const step *st)
{
    char local[TEXT + 2];
    const char *op = st->accumulated ? "+=" : "=";
    if (st->kind == STEP_VJP && st->shapes[0]) {
        printf("      %s %s %s\n        shapes %s\n", st->wrt_name, op, st->symbolic,
               st->shapes);
        if (st->transposed[0])
            printf("        %s\n", st->transposed);
        printf("        = %s\n", st->contribution);
    } else if (st->kind == STEP_VJP && st->named[0]) {
        printf("      %s\n      %s %s %s\n        %s\n        = %s\n", st->probs, st->wrt_name,
               op, st->symbolic, st->named, st->contribution);
    } else if (st->kind == STEP_VJP) {
        printf("      %s %s %s%s= %s\n", st->wrt_name, op, st->symbolic,
               st->scalars ? " " : "\n        ", st->contribution);
    } else {
        printf("      d/d%s ", st->input);
        print_of(st->formula);
        if (st->twin)
            printf(" as operand %d", st->twin);
        printf(" = %s", st->symbolic);
        if (st->kind == STEP_LOCAL && strcmp(st->symbolic, st->local) != 0)
            printf(" = %s", st->local);
        if (st->kind == STEP_BROADCAST)
            printf(", summed over the axes %s was broadcast along", st->input);
        if (st->kind == STEP_LOCAL && st->scalars)
            printf("\n      %s %s %s * %s = %s\n", st->wrt_name, op, st->up,
                   factor(st->local, local, sizeof local), st->contribution);
        else if (st->kind == STEP_LOCAL)
            printf("\n      %s %s %s * d/d%s (elementwise)\n        = %s * %s\n        = %s\n",
                   st->wrt_name, op, st->up_name, st->input, st->up, st->local,
                   st->contribution);
        else
            printf("\n      %s %s %s\n", st->wrt_name, op, st->contribution);
        if (st->kind == STEP_BROADCAST && tg_numel(st->node) <= BROADCAST_TERMS)
            explain_element_sums(stdout, e->names, st->node, st->k, e->upstream,
                                 result_label(e), -1, false);
        text_notations(e, st);
    }
    if (st->reads[0])
        printf("      (%s)\n", st->reads);
    if (st->accumulated && st->scalars)
        printf("      %s is used more than once, so its gradients add up: %s = %s + %s = %s\n",
               st->input, st->wrt_name, st->previous,
               factor(st->contribution, local, sizeof local), st->total);
    else if (st->accumulated)
        printf("      %s is used more than once, so its gradients add up:\n"
               "      %s = %s\n        + %s\n        = %s\n",
               st->input, st->wrt_name, st->previous, st->contribution, st->total);
    if (e->expand && strcmp(e->expand, st->input) == 0)
        explain_element_sums(stdout, e->names, st->node, st->k, e->upstream, result_label(e),
                             e->expand_only, true);
}

static void gradients(explainer *e, int width, const char *row_start, const char *sep,
                      const char *row_end)
{
    const symtab *syms = &e->s->syms;
    char name[TEXT], value[TEXT];
    for (int i = 0; i < syms->n_inputs; i++) {
        tg_tensor *v = symtab_input_value(syms, i), *g = tensor_map_get(e->grads, v);
        if (!tg_requires_grad(v))
            continue;
        printf("%s%-*s%s%s%s\n", row_start, width, grad_name(e, symtab_input_name(syms, i), name, TEXT),
               sep, g ? tensor_brief(g, value, TEXT) : "0", row_end);
    }
}

static void text_end(explainer *e)
{
    char y[TEXT];
    printf("\nResult\n\n  %-12s = %s\n", result_label(e), tensor_brief(target(e), y, TEXT));
    gradients(e, 12, "  ", " = ", "");
}

static const emitter text_emitter = {NOTATION_TEXT, text_begin, text_forward, text_sweep_begin,
                                     text_node, text_step, text_end};

/* ---- markdown: tables, and the sweep as a text block ----------------------- */

static void markdown_begin(explainer *e)
{
    printf("## `%s`\n\n### Inputs\n\n```text\n", e->args->expr);
    text_inputs(e, stdout);
    printf("```\n");
}

static void markdown_forward(explainer *e)
{
    printf("\n### Forward pass\n\nThe tape, in the order the ops ran.\n\n");
    if (tg_tape_position(target(e)) < 0)
        printf("No ops: the result is `%s` itself.\n", result_label(e));
    else
        forward_table(e, " | ", "| ", " |");
}

static void markdown_sweep_begin(explainer *e)
{
    char y[TEXT];
    printf("\n### Reverse sweep\n\nFrom `%s` back to the inputs, node by node; each step is "
           "upstream gradient × local derivative = contribution.\n\n```text\n"
           "%s = 1 (the seed: %s changes one for one with itself)\n",
           result_label(e), grad_name(e, result_label(e), y, TEXT), result_label(e));
}

static void markdown_end(explainer *e)
{
    char y[TEXT];
    printf("```\n\n### Result\n\n| | value |\n|---|---|\n| `%s` | %s |\n", result_label(e),
           tensor_brief(target(e), y, TEXT));
    gradients(e, 0, "| `", "` | ", " |");
}

static const emitter markdown_emitter = {NOTATION_TEXT, markdown_begin, markdown_forward,
                                         markdown_sweep_begin, text_node, text_step,
                                         markdown_end};

/* ---- LaTeX: align* blocks for lecture notes, and beamer slides ------------- */

/* The room of a tensor: on a page of the article a third of the text width
 * goes to the left side of the equations and to the note a split matrix
 * has; a slide elides what does not fit its frame, and writes a vector of
 * more than 2 entries as a row, transposed, to save the frame's height. */
static const latex_fit article_fit = {40, 12, 8, false}, slide_fit = {28, 6, 2, true};
/* room for a line of LaTeX with its matrices */
#define TEX (4 * TEXT)

static const char *tex_value(explainer *e, const tg_tensor *t, char *buf)
{
    return latex_tensor(t, e->em == &beamer_emitter ? &slide_fit : &article_fit, buf, TEX);
}

/* The rows of an align* go through tex_row, which puts the \\ between them
 * (none after the last, which would add an empty line). */
static void tex_align_open(explainer *e)
{
    printf("\\begin{align*}\n");
    e->tex_rows = 0;
    e->tex_noted = false;
}

/* An align* without rows would not compile: it says so. */
static void tex_align_close(explainer *e)
{
    printf("%s\n\\end{align*}\n", e->tex_rows ? "" : "&\\text{(none)}");
}

static void tex_row(explainer *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf(!e->tex_rows++ ? "" : e->tex_noted ? "\n" : " \\\\\n");
    e->tex_noted = false;
    vprintf(fmt, ap);
    va_end(ap);
}

/* Whether latex_tensor cut the value into lines. */
static bool tex_split(const char *value) { return strstr(value, LATEX_LINE_BREAK) != NULL; }

/* "= value" after the open row, or on a row of its own where the value
 * takes lines of its own. */
static void tex_continue(explainer *e, const char *rel, const char *value)
{
    if (tex_split(value))
        tex_row(e, "&%s%s", rel, value);
    else
        printf(" %s%s", rel, value);
}

/* A remark between the rows of an align* (\intertext: text across the
 * line, math in $...$). */
static void tex_note(explainer *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool between = e->tex_rows++ > 0;
    printf(between ? e->tex_noted ? "\n\\intertext{" : " \\\\\n\\intertext{" : "&\\text{");
    vprintf(fmt, ap);
    printf("}");
    e->tex_noted = between;
    va_end(ap);
}

/* Beamer: the next overlay, which reveals what follows one slide later
 * (an align* of its own); the article has nothing to reveal. */
static void tex_pause(explainer *e)
{
    if (e->em != &beamer_emitter)
        return;
    tex_align_close(e);
    printf("}\n\\uncover<%d->{", ++e->overlay);
    tex_align_open(e);
}

/* The statements of the expression, one a line, in typewriter type. */
static void tex_expression(explainer *e)
{
    char escaped[TEXT * 2], statement[TEXT];
    const char *p = e->args->expr;
    while (*p) {
        size_t n = strcspn(p, ";");
        snprintf(statement, sizeof statement, "%.*s", (int)n, p);
        printf("\\texttt{%s}%s\n", latex_text(statement, escaped, sizeof escaped),
               p[n] ? ";\\\\" : "");
        p += n + (p[n] == ';');
        while (*p == ' ')
            p++;
    }
}

/* name = value for the variables and constants, a row each. */
static void tex_inputs(explainer *e)
{
    const symtab *syms = &e->s->syms;
    char name[TEXT], value[TEX], line[TEX + TEXT];
    label_operands(e);
    for (int v = 0; v < syms->n_inputs; v++) {
        tg_tensor *t = symtab_input_value(syms, v);
        snprintf(line, sizeof line, "%s%s &= %s",
                 tg_requires_grad(t) ? "" : "\\text{(constant: no gradient wanted) } ",
                 latex_name(symtab_input_name(syms, v), name, TEXT), tex_value(e, t, value));
        tex_row(e, "%s", line);
    }
    const tg_tensor *consts[64];
    int n = labeler_constants(e->names, consts, 64);
    for (int c = 0; c < n; c++) {
        snprintf(line, sizeof line, "\\text{(constant) } %s &= %s",
                 latex_name(label(e, consts[c]), name, TEXT), tex_value(e, consts[c], value));
        tex_row(e, "%s", line);
    }
}

static void latex_begin(explainer *e)
{
    printf("%% tg explain --format latex: %s\n", e->args->expr);
    if (e->args->standalone)
        printf("\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{lmodern}\n"
               "\\usepackage{amsmath}\n\\allowdisplaybreaks\n\\begin{document}\n");
    else
        printf("%% needs \\usepackage{amsmath}, and \\allowdisplaybreaks for a sweep longer "
               "than a page\n");
    printf("\\paragraph{Expression}\n\\begin{flushleft}\n");
    tex_expression(e);
    printf("\\end{flushleft}\n");
    printf("\\paragraph{Inputs}\n");
    tex_align_open(e);
    tex_inputs(e);
    tex_align_close(e);
}

static void latex_forward(explainer *e)
{
    int64_t last = tg_tape_position(target(e));
    printf("\\paragraph{Forward pass}\n");
    if (last < 0) {
        printf("No ops: the result is an input.\n");
        return;
    }
    tex_align_open(e);
    char name[TEXT], formula[TEXT], value[TEX];
    for (int64_t pos = 0; pos <= last; pos++) {
        tg_tensor *node = tg_tape_node(pos);
        formula_names n = names_of(e, node);
        tex_row(e, "%s &= %s", latex_name(label(e, node), name, TEXT),
                op_formula(node, &n, NOTATION_LATEX, formula, TEXT));
        tex_continue(e, "= ", tex_value(e, node, value));
    }
    tex_align_close(e);
}

static void latex_sweep_begin(explainer *e)
{
    char y[TEXT];
    printf("\\paragraph{Reverse sweep} Each step: upstream gradient $\\times$ local derivative "
           "$=$ contribution; $\\odot$ multiplies element by element.\n");
    tex_align_open(e);
    tex_row(e, "%s &= 1 \\quad\\text{(the seed)}", grad_name(e, result_label(e), y, TEXT));
}

/* Each node's steps in an align* of their own, after a line naming it, so
 * that a wide row of one node does not widen the others'. */
static void latex_node(explainer *e, const char *lbl, const char *formula, const char *up_name,
                       const char *up)
{
    (void)up;
    char name[TEXT], value[TEX];
    tex_align_close(e);
    printf("\\noindent At $%s = %s$:\n", latex_name(lbl, name, TEXT), formula);
    tex_align_open(e);
    tex_row(e, "\\text{upstream } %s &= %s", up_name, tex_value(e, e->upstream, value));
}

/* "(v_{1} + b)" where the formula has an operator outside parentheses, so
 * that d/dx applies to all of it (print_of's rule), and "(-1)". */
static const char *tex_of(const char *formula, char *buf)
{
    int depth = 0;
    bool infix = false;
    for (const char *p = formula; *p; p++) {
        depth += (*p == '(' || *p == '{') - (*p == ')' || *p == '}');
        infix |= depth == 0 && *p == ' ';
    }
    snprintf(buf, TEX, infix || formula[0] == '-' ? "\\left(%s\\right)" : "%s", formula);
    return buf;
}

/* d/dx f = symbolic = value: a local derivative, or (broadcast) its rule. */
static void tex_local(explainer *e, const step *st)
{
    char x[TEXT], of[TEX], value[TEX], twin[32] = "";
    if (st->twin)
        snprintf(twin, sizeof twin, "\\text{ as operand %d}", st->twin);
    latex_name(st->input, x, TEXT);
    tex_of(st->formula, of);
    tex_row(e, "\\frac{\\partial}{\\partial %s} %s%s &= %s", x, of, twin, st->symbolic);
    if (st->kind == STEP_LOCAL && strcmp(st->symbolic, st->local) != 0)
        tex_continue(e, "= ", tex_value(e, st->local_value, value));
    if (st->kind == STEP_BROADCAST)
        tex_note(e, "summed over the axes $%s$ was broadcast along", x);
}

/* A negative factor of a product in parentheses: 0.25 \cdot (-2). */
static const char *tex_factor(const char *v, char *buf)
{
    snprintf(buf, TEX + 2, v[0] == '-' ? "(%s)" : "%s", v);
    return buf;
}

/* upstream x local derivative = contribution: \cdot for numbers, \odot
 * element by element for tensors. */
static void tex_product(explainer *e, const step *st, const char *op)
{
    char up[TEX], local[TEX], c[TEX], sym[TEX + 2], factor[TEX + 2];
    tex_value(e, e->upstream, up);
    tex_value(e, st->local_value, local);
    tex_value(e, st->contribution_value, c);
    if (st->scalars) { /* the rule, then the numbers on a line of their own */
        tex_row(e, "%s &%s %s \\cdot %s", st->wrt_name, op, st->up_name,
                tex_factor(st->symbolic, sym));
        tex_row(e, "&= %s \\cdot %s = %s", up, tex_factor(local, factor), c);
        return;
    }
    const char *times = tg_ndim(e->upstream) == 0 ? "\\cdot" : "\\odot";
    tex_row(e, "%s &%s %s %s %s", st->wrt_name, op, st->up_name, times,
            tex_of(st->symbolic, sym));
    if (tex_split(up) || tex_split(local)) { /* each on lines of its own */
        tex_row(e, "&= %s", up);
        tex_row(e, "&\\phantom{=} %s %s", times, local);
    } else {
        tex_row(e, "&= %s %s %s", up, times, local);
    }
    tex_row(e, "&= %s", c);
}

/* A matmul's shapes line as the text of a tex_note: the shapes in math,
 * "->" as \to. */
static const char *tex_shapes(const char *shapes, char *buf)
{
    const char *note = strstr(shapes, "  (");
    const char *arrow = strstr(shapes, "->");
    char text[TEXT];
    int n = (int)(note ? (size_t)(note - shapes) : strlen(shapes));
    int before = arrow && arrow < shapes + n ? (int)(arrow - shapes) : n;
    snprintf(buf, TEX, "shapes $%.*s%s%.*s$%s%s", before, shapes, before < n ? "\\to" : "",
             before < n ? n - before - 2 : 0, before < n ? arrow + 2 : "", note ? " " : "",
             note ? latex_text(note + 2, text, sizeof text) : "");
    return buf;
}

/* The softmax p = exp(log_softmax(z)) of a log_softmax node, as a tensor
 * off the tape. */
static tg_tensor *softmax_of(const tg_tensor *log_softmax)
{
    tg_tensor *p = tg_full(tg_dtype_of(log_softmax), tg_ndim(log_softmax),
                           tg_shape(log_softmax), 0.0, false);
    for (int64_t i = 0; p && i < tg_numel(p); i++)
        tg_set(p, i, exp(tg_get(log_softmax, i)));
    return p;
}

/* The sums --expand (and a broadcast input) writes, as a row of the align. */
static void tex_sums(explainer *e, const step *st, int64_t only, bool with_names)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    explain_element_sums_as(f, e->names, st->node, st->k, e->upstream, result_label(e), only,
                            with_names, SUMS_ALIGN);
    fclose(f);
    static const char end[] = " \\\\\n"; /* the last row's \\, which tex_row puts itself */
    if (len >= strlen(end) && strcmp(text + len - strlen(end), end) == 0)
        text[len - strlen(end)] = '\0';
    tex_row(e, "%s", text);
    free(text);
}

/* A gradient rule written with the upstream gradient: for a matrix product
 * the shapes and the transposed operand, for a cross entropy the softmax
 * values; the value after the next pause. */
static void tex_rule(explainer *e, const step *st, const char *op)
{
    char value[TEX], text[TEX], name[TEXT], math[TEX];
    tex_row(e, "%s &%s %s", st->wrt_name, op, st->symbolic);
    if (st->shapes[0]) /* "[2,1] @ [1,2] -> [2,2]  (an outer product: ...)" */
        tex_note(e, "%s%s", tex_shapes(st->shapes, math), st->transposed_value ? ", with" : "");
    if (st->transposed_value)
        tex_row(e, "%s^{\\top} &= %s", latex_name(st->transposed_of, name, TEXT),
                tex_value(e, st->transposed_value, value));
    if (st->probs[0]) {
        tg_tensor *p = softmax_of(st->node);
        char z[TEXT];
        if (p)
            tex_row(e, "p = \\operatorname{softmax}(%s) &= %s",
                    latex_name(label(e, tg_op_input(st->node, 0)), z, TEXT), tex_value(e, p, value));
        tex_note(e, "%s", latex_text(st->named + 2, text, TEX)); /* "p - t: the softmax ..." */
    }
    tex_pause(e);
    tex_row(e, "%s &= %s", st->wrt_name, tex_value(e, st->contribution_value, value));
}

static void frame_open(explainer *e, const char *title, bool breaks);
static void frame_close(explainer *e);

/* Beamer: a frame for each input of a node, its upstream gradient first;
 * and (more, its title's end) a frame after it for what does not fit under
 * the step: the sums of --expand, a tensor gradient added to an earlier one. */
static void tex_step_frame(explainer *e, const step *st, const char *more)
{
    char title[3 * TEXT], x[TEXT];
    if (e->em != &beamer_emitter)
        return;
    frame_close(e);
    snprintf(title, sizeof title, "Reverse sweep: %s, to $%s$%s", e->node_title,
             latex_name(st->input, x, TEXT), more ? more : "");
    frame_open(e, title, more != NULL);
    if (!more)
        tex_row(e, "%s", e->node_upstream);
}

static void latex_step(explainer *e, const step *st)
{
    char text[TEX], a[TEX], b[TEX], c[TEX];
    const char *op = st->accumulated ? "\\mathrel{+}=" : "=";
    tex_step_frame(e, st, NULL);
    tex_pause(e);
    if (st->kind == STEP_VJP) {
        tex_rule(e, st, op);
    } else {
        tex_local(e, st);
        tex_pause(e);
        if (st->kind == STEP_LOCAL)
            tex_product(e, st, op);
        else
            tex_row(e, "%s &%s %s", st->wrt_name, op, tex_value(e, st->contribution_value, a));
        if (st->kind == STEP_BROADCAST && tg_numel(st->node) <= BROADCAST_TERMS)
            tex_sums(e, st, -1, false);
    }
    if (st->reads[0]) {
        snprintf(a, sizeof a, "(%s)", st->reads);
        tex_note(e, "%s", latex_text(a, text, TEX));
    }
    if (st->accumulated) {
        char x[TEXT];
        if (!st->scalars)
            tex_step_frame(e, st, ", the sum");
        tex_note(e, "$%s$ is used more than once, so its gradients add up:",
                 latex_name(st->input, x, TEXT));
        tex_value(e, st->previous_value, a);
        tex_value(e, st->contribution_value, b);
        tex_value(e, st->total_value, c);
        if (st->scalars)
            tex_row(e, "%s &= %s + %s%s%s = %s", st->wrt_name, a, b[0] == '-' ? "(" : "", b,
                    b[0] == '-' ? ")" : "", c);
        else {
            tex_row(e, "%s &= %s" LATEX_LINE_BREAK "+ %s", st->wrt_name, a, b);
            tex_row(e, "&= %s", c);
        }
    }
    if (e->expand && strcmp(e->expand, st->input) == 0) {
        tex_step_frame(e, st, ", each entry");
        tex_sums(e, st, e->expand_only, true);
    }
}

/* The final gradients, name = value, a row each. */
static void tex_gradients(explainer *e)
{
    const symtab *syms = &e->s->syms;
    char name[TEXT], value[TEX], line[TEX + TEXT];
    for (int i = 0; i < syms->n_inputs; i++) {
        tg_tensor *v = symtab_input_value(syms, i), *g = tensor_map_get(e->grads, v);
        if (!tg_requires_grad(v))
            continue;
        snprintf(line, sizeof line, "%s &= %s", grad_name(e, symtab_input_name(syms, i), name, TEXT),
                 g ? tex_value(e, g, value) : "0");
        tex_row(e, "%s", line);
    }
}

static void latex_end(explainer *e)
{
    tex_align_close(e);
    printf("\\paragraph{Gradients}\n");
    tex_align_open(e);
    tex_gradients(e);
    tex_align_close(e);
    if (e->args->standalone)
        printf("\\end{document}\n");
}

static const emitter latex_emitter = {NOTATION_LATEX, latex_begin, latex_forward,
                                      latex_sweep_begin, latex_node, latex_step, latex_end};

/* ---- beamer: a frame per node, its steps revealed one overlay at a time ----- */

/* A frame, what follows in an align*: in its first overlay, or (breaks) in
 * as many frames as it takes, without overlays (beamer's allowframebreaks:
 * the inputs, the gradients, the sums of --expand). */
static void frame_open(explainer *e, const char *title, bool breaks)
{
    printf(breaks ? "\\begin{frame}[t,allowframebreaks]{%s}\n" : "\\begin{frame}[t]{%s}\n\\uncover<1->{",
           title);
    e->overlay = 1;
    e->in_frame = true;
    e->frame_breaks = breaks;
    tex_align_open(e);
}

static void frame_close(explainer *e)
{
    if (!e->in_frame)
        return;
    tex_align_close(e);
    printf(e->frame_breaks ? "\\end{frame}\n" : "}\n\\end{frame}\n");
    e->in_frame = false;
}

static void beamer_begin(explainer *e)
{
    printf("%% tg explain --format beamer: %s\n"
           "\\documentclass[10pt]{beamer}\n\\usepackage[T1]{fontenc}\n\\usepackage{lmodern}\n"
           "\\usepackage{amsmath}\n\\allowdisplaybreaks\n\\setbeamertemplate{navigation symbols}{}\n"
           "%% small skips around displays: a frame holds three overlays' equations\n"
           "\\makeatletter\n\\g@addto@macro\\normalsize{\\setlength{\\abovedisplayskip}{2pt}"
           "\\setlength{\\belowdisplayskip}{2pt}\\setlength{\\abovedisplayshortskip}{0pt}"
           "\\setlength{\\belowdisplayshortskip}{2pt}}\n\\makeatother\n"
           "\\title{The chain rule, step by step}\n\\subtitle{", e->args->expr);
    tex_expression(e);
    printf("}\n\\begin{document}\n\\begin{frame}\n\\titlepage\n\\end{frame}\n");
    frame_open(e, "Inputs", true);
    tex_inputs(e);
    frame_close(e);
}

/* A frame per node: what it computes, then (next overlay) its value. */
static void beamer_forward(explainer *e)
{
    int64_t last = tg_tape_position(target(e));
    char name[TEXT], formula[TEXT], value[TEX], title[2 * TEXT];
    for (int64_t pos = 0; pos <= last; pos++) {
        tg_tensor *node = tg_tape_node(pos);
        formula_names n = names_of(e, node);
        latex_name(label(e, node), name, TEXT);
        snprintf(title, sizeof title, "Forward pass: $%s$", name);
        frame_open(e, title, false);
        tex_row(e, "%s &= %s", name, op_formula(node, &n, NOTATION_LATEX, formula, TEXT));
        tex_pause(e);
        tex_row(e, "%s &= %s", name, tex_value(e, node, value));
        frame_close(e);
    }
}

static void beamer_sweep_begin(explainer *e)
{
    char y[TEXT];
    frame_open(e, "Reverse sweep: the seed", false);
    tex_row(e, "%s &= 1", grad_name(e, result_label(e), y, TEXT));
    frame_close(e);
}

/* The node whose steps follow, a frame each (tex_step_frame): their upstream
 * gradient first, then the input's local derivative, then the product, an
 * overlay each. */
static void beamer_node(explainer *e, const char *lbl, const char *formula, const char *up_name,
                        const char *up)
{
    (void)up;
    char name[TEXT], value[TEX];
    snprintf(e->node_title, sizeof e->node_title, "$%s = %s$", latex_name(lbl, name, TEXT),
             formula);
    snprintf(e->node_upstream, sizeof e->node_upstream, "\\text{upstream } %s &= %s",
             up_name, tex_value(e, e->upstream, value));
}

static void beamer_end(explainer *e)
{
    frame_close(e);
    frame_open(e, "Gradients", true);
    tex_gradients(e);
    frame_close(e);
    printf("\\end{document}\n");
}

static const emitter beamer_emitter = {NOTATION_LATEX, beamer_begin, beamer_forward,
                                       beamer_sweep_begin, beamer_node, latex_step, beamer_end};

/* ---- html: one page, a cursor stepping through the sweep (explain_html.c) ---- */

static int id_of(explainer *e, const tg_tensor *t) { return label_id(e->names, t); }

static void html_add_tensor(explainer *e, tensor_map *added, tg_tensor *t)
{
    if (tensor_map_get(added, t) || tensor_map_put(added, t, t) < 0)
        return;
    const symtab *syms = &e->s->syms;
    const char *kind = tg_tape_position(t) >= 0 ? "node" : "constant";
    for (int i = 0; i < syms->n_inputs; i++)
        if (symtab_input_value(syms, i) == t)
            kind = "input";
    char formula[TEXT], op[64];
    formula_names n = names_of(e, t);
    const char *name = tg_op_name(t);
    if (name)
        snprintf(op, sizeof op, "%s", strncmp(name, "tg_", 3) == 0 ? name + 3 : name);
    html_tensor(e->page, id_of(e, t), label(e, t), name ? op : NULL, kind,
                name ? op_formula(t, &n, NOTATION_LATEX, formula, TEXT) : NULL, t);
}

/* Every variable, then the tape's nodes in order, each after the operands
 * it is the first to use; an edge from each operand to its node. */
static void html_begin(explainer *e)
{
    tensor_map *added = tensor_map_new();
    if (!(e->page = html_page_new()) || !added) {
        tensor_map_free(added);
        e->rc = TG_ENOMEM;
        return;
    }
    label_operands(e);
    const symtab *syms = &e->s->syms;
    for (int i = 0; i < syms->n_inputs; i++)
        html_add_tensor(e, added, symtab_input_value(syms, i));
    for (int64_t pos = 0; pos <= tg_tape_position(target(e)); pos++) {
        tg_tensor *node = tg_tape_node(pos);
        for (int k = 0; k < tg_op_num_inputs(node); k++)
            if (is_argument(node, k)) {
                html_add_tensor(e, added, tg_op_input(node, k));
                html_edge(e->page, id_of(e, tg_op_input(node, k)), id_of(e, node));
            }
        html_add_tensor(e, added, node);
    }
    html_add_tensor(e, added, target(e));
    tensor_map_free(added);
}

static void html_forward(explainer *e)
{
    int64_t last = tg_tape_position(target(e));
    char name[TEXT], formula[TEXT], value[TEXT], eq[3 * TEXT + 16];
    if (!e->page)
        return;
    if (last < 0) {
        html_step(e->page, false, id_of(e, target(e)), "\\text{no ops: the result is an input}");
        return;
    }
    for (int64_t pos = 0; pos <= last; pos++) {
        tg_tensor *node = tg_tape_node(pos);
        formula_names n = names_of(e, node);
        latex_name(label(e, node), name, TEXT);
        op_formula(node, &n, NOTATION_LATEX, formula, TEXT);
        snprintf(eq, sizeof eq, "%s = %s", name, formula);
        html_step(e->page, false, id_of(e, node), eq);
        snprintf(eq, sizeof eq, "%s = %s = %s", name, formula, tensor_brief(node, value, TEXT));
        html_equation(e->page, eq);
    }
}

static void html_sweep_begin(explainer *e)
{
    char y[TEXT], eq[TEXT + 64];
    tg_tensor *t = target(e);
    tg_tensor *one = tg_full(tg_dtype_of(t), tg_ndim(t), tg_shape(t), 1.0, false);
    if (!e->page || !one)
        return;
    html_step(e->page, true, id_of(e, t), "\\text{the seed}");
    snprintf(eq, sizeof eq, "%s = 1", grad_name(e, result_label(e), y, TEXT));
    html_equation(e->page, eq);
    html_gradient(e->page, id_of(e, t), one);
}

static void html_node(explainer *e, const char *lbl, const char *formula, const char *up_name,
                      const char *up)
{
    char name[TEXT], eq[3 * TEXT + 32];
    if (!e->page)
        return;
    snprintf(eq, sizeof eq, "%s = %s", latex_name(lbl, name, TEXT), formula);
    html_step(e->page, true, id_of(e, e->current), eq);
    snprintf(eq, sizeof eq, "\\text{upstream } %s = %s", up_name, up);
    html_equation(e->page, eq);
}

/* --expand: the sums of the entries, an equation each. */
static void html_sums(explainer *e, const step *st)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    explain_element_sums_as(f, e->names, st->node, st->k, e->upstream, result_label(e),
                            e->expand_only, true, SUMS_LINES);
    fclose(f);
    for (char *line = text, *end; line && *line; line = end + 1) {
        end = strchr(line, '\n');
        if (!end)
            break;
        *end = '\0';
        html_equation(e->page, line);
    }
    free(text);
}

static void html_step_equations(explainer *e, const step *st)
{
    char local[TEXT + 2], symbolic[TEXT + 2], eq[6 * TEXT + 64];
    const char *op = st->accumulated ? "\\mathrel{+}=" : "=";
    if (!e->page)
        return;
    if (st->kind == STEP_LOCAL)
        snprintf(eq, sizeof eq, "%s %s %s \\cdot %s = %s \\cdot %s = %s", st->wrt_name, op,
                 st->up_name, factor(st->symbolic, symbolic, sizeof symbolic), st->up,
                 factor(st->local, local, sizeof local), st->contribution);
    else
        snprintf(eq, sizeof eq, "%s %s %s = %s", st->wrt_name, op, st->symbolic,
                 st->contribution);
    html_equation(e->page, eq);
    if (st->accumulated) {
        snprintf(eq, sizeof eq, "%s = %s + %s = %s", st->wrt_name, st->previous,
                 factor(st->contribution, local, sizeof local), st->total);
        html_equation(e->page, eq);
    }
    if (e->expand && strcmp(e->expand, st->input) == 0)
        html_sums(e, st);
    html_gradient(e->page, id_of(e, tg_op_input(st->node, st->k)), st->total_value);
}

static void html_end(explainer *e)
{
    if (e->page && e->rc == 0)
        e->rc = html_finish(e->page, stdout, e->args->expr, e->d);
    html_page_free(e->page);
    e->page = NULL;
}

static const emitter html_emitter = {NOTATION_LATEX, html_begin, html_forward,
                                     html_sweep_begin, html_node, html_step_equations,
                                     html_end};

/* ---- --mode forward: dual numbers, one sweep per input ---------------------- */

/* The local derivatives times the input tangents, "0.5403 * 1 + ...", for a
 * scalar elementwise node; NULL for the others. */
static const char *tangent_numbers(tg_tensor *node, tg_tensor *const *tin, char *buf,
                                   size_t size)
{
    if (!op_is_elementwise(node) || tg_ndim(node) != 0)
        return NULL;
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < tg_op_num_inputs(node) && k < REPLAY_MAX_INPUTS; k++) {
        tg_tensor *local = tin[k] ? explain_local_derivative(node, k) : NULL;
        if (!tin[k] || !local || tg_numel(local) != 1)
            continue;
        char a[TEXT], b[TEXT], fa[TEXT + 2], fb[TEXT + 2];
        len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s * %s",
                                len ? " + " : "",
                                factor(number_brief(tg_item(local), a, TEXT), fa, sizeof fa),
                                factor(number_brief(tg_item(tin[k]), b, TEXT), fb, sizeof fb));
    }
    return len ? buf : NULL;
}

/* One forward sweep with dvar = 1 (ones for a tensor) and every other input
 * still: each node's tangent from its inputs' by its rule. */
static int forward_sweep(explainer *e, int var)
{
    const symtab *syms = &e->s->syms;
    tg_tensor *x = symtab_input_value(syms, var);
    tensor_map *tangents = tensor_map_new();
    tg_tensor *seed = tg_full(tg_dtype_of(x), tg_ndim(x), tg_shape(x), 1.0, false);
    if (!tangents || !seed || tensor_map_put(tangents, x, seed) < 0) {
        tensor_map_free(tangents);
        return TG_ENOMEM;
    }
    int64_t last = tg_tape_position(e->s->prog.result);
    int rc = 0;
    for (int64_t pos = 0; pos <= last && rc == 0; pos++) {
        tg_tensor *node = tg_tape_node(pos), *tin[REPLAY_MAX_INPUTS] = {NULL}, *t = NULL;
        int n_in = tg_op_num_inputs(node);
        bool moving[3] = {false, false, false}, any = false;
        for (int k = 0; k < n_in && k < REPLAY_MAX_INPUTS; k++) {
            tin[k] = tensor_map_get(tangents, tg_op_input(node, k));
            any |= tin[k] != NULL;
            if (k < 3)
                moving[k] = tin[k] != NULL;
        }
        if (n_in > REPLAY_MAX_INPUTS || (any && (rc = tg_node_jvp(node, tin, &t)) < 0))
            break;
        if (t && tensor_map_put(tangents, node, t) < 0)
            rc = TG_ENOMEM;
        char formula[TEXT], rule[TEXT], numbers[TEXT], value[TEXT], tangent[TEXT];
        formula_names n = names_of(e, node);
        printf("\n  %s = %s = %s\n", label(e, node), op_formula(node, &n, NOTATION_TEXT, formula,
               TEXT), tensor_brief(node, value, TEXT));
        if (!any) {
            printf("      d%s = 0 (no input of it moves)\n", label(e, node));
            continue;
        }
        printf("      d%s = d(%s) = %s", label(e, node), formula,
               op_tangent(node, &n, moving, NOTATION_TEXT, rule, TEXT));
        const char *num = tangent_numbers(node, tin, numbers, TEXT);
        if (num && strcmp(num, rule) != 0)
            printf(" = %s", num);
        printf(" = %s\n", t ? tensor_brief(t, tangent, TEXT) : "0");
    }
    if (rc == 0) {
        tg_tensor *dy = tensor_map_get(tangents, e->s->prog.result);
        char name[TEXT], value[TEXT];
        printf("\n  so %s = %s%s\n", grad_name(e, symtab_input_name(syms, var), name, TEXT),
               dy ? tensor_brief(dy, value, TEXT) : "0",
               tg_ndim(x) ? " (along all ones: the sum of the derivatives by each element)" : "");
    }
    tensor_map_free(tangents);
    return rc;
}

static int explain_forward(explainer *e)
{
    const symtab *syms = &e->s->syms;
    int n = 0;
    text_begin(e);
    printf("\nForward mode: one sweep per input. Each value v carries its tangent dv, how it\n"
           "moves when that input moves (a dual number v + dv eps, eps^2 = 0); each node's\n"
           "tangent is its rule applied to its inputs' tangents.\n");
    for (int i = 0; i < syms->n_inputs; i++) {
        if (!tg_requires_grad(symtab_input_value(syms, i)))
            continue;
        printf("\nSweep %d: d%s = 1, every other input still\n", ++n, symtab_input_name(syms, i));
        int rc = forward_sweep(e, i);
        if (rc < 0)
            return rc;
    }
    printf("\nForward mode took %d sweep%s, one per input: each gives the derivative of every\n"
           "node with respect to one input. Reverse mode (tg explain without --mode) takes one\n"
           "sweep from %s and gives its derivative with respect to every input at once: with one\n"
           "output and many inputs (a loss and its parameters) reverse mode is the cheap one,\n"
           "with few inputs and many outputs forward mode is.\n",
           n, n == 1 ? "" : "s", result_label(e));
    return TG_OK;
}

/* ---- --order 2: the recorded backward pass, swept again -------------------- */

/* The gradient by the first variable that wants one, recorded (create_graph),
 * is a graph of its own: its sweep gives the second derivatives. */
static int explain_second_order(explainer *e, diag *d)
{
    const symtab *syms = &e->s->syms;
    int var = -1;
    for (int i = 0; i < syms->n_inputs && var < 0; i++)
        if (tg_requires_grad(symtab_input_value(syms, i)))
            var = i;
    tg_tensor *x = var >= 0 ? symtab_input_value(syms, var) : NULL, *result = e->s->prog.result;
    if (!x || tg_numel(x) != 1) {
        diag_plain(d, "--order 2 follows the gradient by one scalar variable: give --wrt NAME of "
                      "a single number");
        return TG_EVALUE;
    }
    tg_tensor *g = NULL;
    int rc = tg_requires_grad(result) ? tg_grad(&result, 1, &x, 1, &g, true) : 0;
    if (rc < 0)
        return rc;
    const char *xs = symtab_input_name(syms, var), *ys = result_label(e);
    const char *gname = symtab_lookup(syms, "g") ? "g_" : "g";
    char value[TEXT];
    printf("\n\nSecond order (--order 2): the reverse sweep again, recorded (create_graph):\n"
           "the backward rules' ops become nodes of the tape, so %s = d%s/d%s = %s is a node\n"
           "too, and sweeping back from it gives d2%s/d%s2 and the mixed second derivatives.\n",
           gname, ys, xs, g ? tensor_brief(g, value, TEXT) : "0", ys, xs);
    if (!g || !tg_requires_grad(g)) {
        printf("\n%s does not depend on the inputs: every second derivative is 0\n", gname);
        return TG_OK;
    }
    diag inner = {0};
    if (!symtab_assign(&e->s->syms, gname, g, 0, "", &inner))
        return TG_ENOMEM;
    tensor_map_free(e->grads);
    e->grads = NULL;
    e->target = g;
    printf("\nThe tape now: the forward pass, then the nodes the recorded sweep added\n\n");
    forward_table(e, "  ", "  ", "");
    sweep_observer obs = {e, on_node, on_input};
    text_sweep_begin(e);
    rc = replay_sweep(g, &obs, &e->grads);
    text_end(e);
    tg_tensor *h = tensor_map_get(e->grads, x);
    printf("\n  so d2%s/d%s2 = d%s/d%s = %s\n", ys, xs, gname, xs,
           h ? tensor_brief(h, value, TEXT) : "0");
    return rc;
}

/* ---- the command ---------------------------------------------------------- */

static const emitter *pick_emitter(const char *format, diag *d)
{
    if (!format || strcmp(format, "text") == 0)
        return &text_emitter;
    if (strcmp(format, "markdown") == 0)
        return &markdown_emitter;
    if (strcmp(format, "latex") == 0)
        return &latex_emitter;
    if (strcmp(format, "html") == 0)
        return &html_emitter;
    if (strcmp(format, "beamer") == 0)
        return &beamer_emitter;
    diag_plain(d, "--format must be text, markdown, latex, beamer or html, not '%s'", format);
    return NULL;
}

static int explain(explainer *e)
{
    tg_tensor *result = e->s->prog.result;
    sweep_observer obs = {e, on_node, on_input};
    e->em->begin(e);
    e->em->forward(e);
    e->em->sweep_begin(e);
    int rc = tg_requires_grad(result) ? replay_sweep(result, &obs, &e->grads) : TG_OK;
    e->em->end(e);
    return rc ? rc : e->rc;
}

/* A whole number in lo..hi for option name, or -1 after reporting. */
static long long option_count(const char *name, const char *text, long long lo, long long hi,
                              diag *d)
{
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    if (end != text && *end == '\0' && v >= lo && v <= hi)
        return v;
    diag_plain(d, "%s must be a whole number in %lld..%lld, not '%s'", name, lo, hi, text);
    return -1;
}

/* --digits N: significant digits of every number; --elide N: tensors of
 * at most N elements are shown whole. */
static bool check_brief(const cli_args *a, diag *d)
{
    long long digits = a->digits ? option_count("--digits", a->digits, 1, 17, d) : 0;
    long long whole = a->elide ? option_count("--elide", a->elide, 0, 1000000, d) : 0;
    if (digits < 0 || whole < 0)
        return false;
    brief_settings((int)digits, whole);
    return true;
}

/* --expand NAME or NAME[i,j]: NAME must be an operand of some node of the
 * tape (a variable, a constant or a node), [i,j] one of its elements. */
static bool check_expand(explainer *e, diag *d)
{
    const char *spec = e->args->expand;
    e->expand_only = -1;
    if (!spec)
        return true;
    if (e->args->mode && strcmp(e->args->mode, "reverse") != 0) {
        diag_plain(d, "--expand writes the reverse sweep's sums: leave out --mode forward");
        return false;
    }
    size_t len = strcspn(spec, "[");
    for (int64_t pos = 0; pos <= tg_tape_position(target(e)); pos++) {
        tg_tensor *node = tg_tape_node(pos);
        for (int k = 0; k < tg_op_num_inputs(node); k++) {
            tg_tensor *in = tg_op_input(node, k);
            const char *name = label(e, in);
            if (strlen(name) != len || strncmp(name, spec, len) != 0)
                continue;
            e->expand = name;
            if (!spec[len])
                return true;
            char why[160];
            e->expand_only = parse_element(in, spec + len + 1, why, sizeof why);
            if (e->expand_only >= 0)
                return true;
            diag_plain(d, "--expand %.*s%s", (int)len, spec, why);
            return false;
        }
    }
    diag_plain(d, "--expand names '%.*s', which no node of the tape takes as an input",
               (int)len, spec);
    return false;
}

/* --mode forward and --order 2 print text; the default is the reverse sweep;
 * --standalone belongs to --format latex. */
static bool check_mode(const cli_args *a, bool *forward, int *order, diag *d)
{
    *forward = a->mode && strcmp(a->mode, "forward") == 0;
    *order = a->order && strcmp(a->order, "2") == 0 ? 2 : 1;
    if (a->mode && !*forward && strcmp(a->mode, "reverse") != 0)
        diag_plain(d, "--mode must be reverse or forward, not '%s'", a->mode);
    else if (a->order && strcmp(a->order, "1") != 0 && *order != 2)
        diag_plain(d, "--order must be 1 or 2, not '%s'", a->order);
    else if ((*forward || *order == 2) && a->format && strcmp(a->format, "text") != 0)
        diag_plain(d, "--mode forward and --order 2 print text only");
    else if (*forward && *order == 2)
        diag_plain(d, "--order 2 walks the reverse sweep: leave out --mode forward");
    else if (a->standalone && (!a->format || strcmp(a->format, "latex") != 0))
        diag_plain(d, "--standalone makes --format latex a whole document: give --format latex "
                      "(beamer's is always one)");
    else
        return true;
    return false;
}

static int run_explain(explainer *e, bool forward, int order, diag *d)
{
    if (forward)
        return explain_forward(e);
    int rc = explain(e);
    return rc == 0 && order == 2 ? explain_second_order(e, d) : rc;
}

int cmd_explain(int argc, char **argv)
{
    static const char *const options[] = {"--format", "--wrt",    "--mode",   "--order",
                                          "--digits", "--elide", "--expand", "--standalone",
                                          NULL};
    cli_args a;
    session s = {0};
    diag d = {0};
    explainer e = {.args = &a, .s = &s, .d = &d};
    bool forward = false;
    int order = 1;
    bool ok = parse_cli_args(argc, argv, "explain", options, &a, &d) &&
              check_mode(&a, &forward, &order, &d) && check_brief(&a, &d) &&
              (e.em = pick_emitter(a.format, &d)) && session_open(&s, &a, &d);
    if (ok) {
        e.names = labeler_new(&s.syms, &s.prog);
        ok = e.names && check_expand(&e, &d) && run_explain(&e, forward, order, &d) == 0;
        if (!ok && !d.message[0])
            diag_plain(&d, "%s", *tg_last_error() ? tg_last_error() : "out of memory");
    }
    if (!ok)
        diag_print(&d);
    labeler_free(e.names);
    tensor_map_free(e.grads);
    session_close(&s);
    cli_args_free(&a);
    return ok ? 0 : TG_EXIT_USAGE;
}
