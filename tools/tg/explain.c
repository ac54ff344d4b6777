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
#include <string.h>

#include <tapegrad/inspect.h>

#include "explain.h"

#define TEXT 192 /* a formula or an abbreviated tensor */

typedef enum { STEP_LOCAL, STEP_BROADCAST, STEP_VJP } step_kind;

typedef struct {
    step_kind kind;
    const char *input;              /* label of the input */
    char formula[TEXT];             /* what the node computes */
    char symbolic[TEXT];            /* d node / d input, or the VJP rule */
    char wrt_name[TEXT];            /* dy/d input */
    char up_name[TEXT];             /* dy/d node */
    char up[TEXT], local[TEXT], contribution[TEXT], previous[TEXT], total[TEXT];
    bool accumulated, scalars;
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
    int rc;
};

static const char *label(explainer *e, const tg_tensor *t) { return label_of(e->names, t); }
static const char *result_label(explainer *e) { return label(e, e->s->prog.result); }

static formula_names names_of(explainer *e, const tg_tensor *node)
{
    formula_names n = {.op_name = tg_op_name(node), .node = label(e, node)};
    for (int k = 0; k < 3 && k < tg_op_num_inputs(node); k++)
        n.in[k] = label(e, tg_op_input(node, k));
    double constants[2];
    int n_constants = tg_op_constants(node, constants, 2);
    n.has_constant = n_constants > 0;
    n.constant = n_constants > 0 ? constants[0] : 0;
    n.constant2 = n_constants > 1 ? constants[1] : 0;
    const tg_op_info *row = tg_op_info_of(tg_op_kind_of(node));
    if (row && (row->flags & TG_OP_AXIS))
        n.axis = tg_op_axis(node);
    return n;
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
    e->em->node(e, label(e, node), op_formula(node, &n, e->em->how, formula, TEXT),
                grad_name(e, label(e, node), up_name, TEXT), tensor_brief(upstream, up, TEXT));
}

/* d node / d input k as a value, from the node's VJP with a gradient of
 * ones; NULL when the ones are not a valid upstream (an error is pending). */
static tg_tensor *local_derivative(tg_tensor *node, int k)
{
    tg_tensor *grads[REPLAY_MAX_INPUTS];
    if (tg_op_num_inputs(node) > REPLAY_MAX_INPUTS)
        return NULL;
    tg_tensor *ones = tg_full(tg_dtype_of(node), tg_ndim(node), tg_shape(node), 1.0, false);
    if (!ones || tg_vjp(node, ones, grads) != 0)
        return NULL;
    return grads[k];
}

static step_kind kind_of(const tg_tensor *node, const tg_tensor *input)
{
    bool same = tg_ndim(node) == tg_ndim(input) &&
                memcmp(tg_shape(node), tg_shape(input), sizeof(int64_t) * tg_ndim(node)) == 0;
    if (tg_ndim(node) == 0 || (op_is_elementwise(node) && same))
        return STEP_LOCAL;
    return op_is_elementwise(node) ? STEP_BROADCAST : STEP_VJP;
}

static void on_input(void *ctx, tg_tensor *node, int k, tg_tensor *contribution,
                     tg_tensor *previous, tg_tensor *total)
{
    explainer *e = ctx;
    tg_tensor *input = tg_op_input(node, k);
    step st = {.kind = kind_of(node, input), .input = label(e, input),
               .accumulated = previous != NULL};
    if (tg_op_num_inputs(node) >= 2 && tg_op_input(node, 0) == tg_op_input(node, 1))
        st.twin = k + 1;
    formula_names n = names_of(e, node);
    grad_name(e, label(e, node), st.up_name, TEXT);
    n.upstream = st.up_name;
    op_formula(node, &n, e->em->how, st.formula, TEXT);
    op_derivative(node, k, &n, e->em->how, st.symbolic, TEXT);
    grad_name(e, st.input, st.wrt_name, TEXT);
    tensor_brief(e->upstream, st.up, TEXT);
    tensor_brief(contribution, st.contribution, TEXT);
    tensor_brief(total, st.total, TEXT);
    if (previous)
        tensor_brief(previous, st.previous, TEXT);
    tg_tensor *local = st.kind == STEP_LOCAL ? local_derivative(node, k) : NULL;
    if (local)
        tensor_brief(local, st.local, TEXT);
    else if (st.kind == STEP_LOCAL)
        st.kind = STEP_VJP; /* cannot happen for the ops the tool makes; stay truthful */
    st.scalars = tg_ndim(e->upstream) == 0 && tg_ndim(contribution) == 0;
    e->em->step(e, &st);
}

/* ---- text: aligned, for a terminal --------------------------------------- */

static void text_inputs(explainer *e, FILE *f)
{
    const symtab *syms = &e->s->syms;
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
    int64_t last = tg_tape_position(e->s->prog.result);
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
    if (tg_tape_position(e->s->prog.result) < 0)
        printf("  (no ops: the result is %s itself)\n", result_label(e));
    else
        forward_table(e, "  ", "  ", "");
}

static void text_sweep_begin(explainer *e)
{
    char y[TEXT];
    printf("\nReverse sweep: from %s back to the inputs, node by node;\n"
           "each step is  upstream gradient * local derivative = contribution\n\n"
           "  %s = 1 (the seed)\n",
           result_label(e), grad_name(e, result_label(e), y, TEXT));
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

static void text_step(explainer *e, const step *st)
{
    (void)e;
    char local[TEXT + 2];
    const char *op = st->accumulated ? "+=" : "=";
    if (st->kind == STEP_VJP) {
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
    }
    if (st->accumulated && st->scalars)
        printf("      %s is used more than once, so its gradients add up: %s = %s + %s = %s\n",
               st->input, st->wrt_name, st->previous,
               factor(st->contribution, local, sizeof local), st->total);
    else if (st->accumulated)
        printf("      %s is used more than once, so its gradients add up:\n"
               "      %s = %s\n        + %s\n        = %s\n",
               st->input, st->wrt_name, st->previous, st->contribution, st->total);
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
    printf("\nResult\n\n  %-12s = %s\n", result_label(e), tensor_brief(e->s->prog.result, y, TEXT));
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
    if (tg_tape_position(e->s->prog.result) < 0)
        printf("No ops: the result is `%s` itself.\n", result_label(e));
    else
        forward_table(e, " | ", "| ", " |");
}

static void markdown_sweep_begin(explainer *e)
{
    char y[TEXT];
    printf("\n### Reverse sweep\n\nFrom `%s` back to the inputs, node by node; each step is "
           "upstream gradient × local derivative = contribution.\n\n```text\n%s = 1 (the seed)\n",
           result_label(e), grad_name(e, result_label(e), y, TEXT));
}

static void markdown_end(explainer *e)
{
    char y[TEXT];
    printf("```\n\n### Result\n\n| | value |\n|---|---|\n| `%s` | %s |\n", result_label(e),
           tensor_brief(e->s->prog.result, y, TEXT));
    gradients(e, 0, "| `", "` | ", " |");
}

static const emitter markdown_emitter = {NOTATION_TEXT, markdown_begin, markdown_forward,
                                         markdown_sweep_begin, text_node, text_step,
                                         markdown_end};

/* ---- LaTeX: align* blocks for lecture notes (needs amsmath) --------------- */

static void latex_begin(explainer *e)
{
    printf("%% tg explain --format latex: %s\n%% needs \\usepackage{amsmath}\n"
           "\\paragraph{Inputs}\n\\begin{align*}\n", e->args->expr);
    const symtab *syms = &e->s->syms;
    char name[TEXT], value[TEXT];
    for (int i = 0; i < syms->n_inputs; i++) {
        tg_tensor *v = symtab_input_value(syms, i);
        printf("%s &= %s \\\\\n", latex_name(symtab_input_name(syms, i), name, TEXT),
               tensor_brief(v, value, TEXT));
    }
    printf("\\end{align*}\n");
}

static void latex_forward(explainer *e)
{
    int64_t last = tg_tape_position(e->s->prog.result);
    printf("\\paragraph{Forward pass}\n");
    if (last < 0) {
        printf("No ops: the result is an input.\n");
        return;
    }
    printf("\\begin{align*}\n");
    char name[TEXT], formula[TEXT], value[TEXT];
    for (int64_t pos = 0; pos <= last; pos++) {
        tg_tensor *node = tg_tape_node(pos);
        formula_names n = names_of(e, node);
        printf("%s &= %s = %s \\\\\n", latex_name(label(e, node), name, TEXT),
               op_formula(node, &n, NOTATION_LATEX, formula, TEXT),
               tensor_brief(node, value, TEXT));
    }
    printf("\\end{align*}\n");
}

static void latex_sweep_begin(explainer *e)
{
    char y[TEXT];
    printf("\\paragraph{Reverse sweep} Each step: upstream gradient $\\times$ local derivative "
           "$=$ contribution.\n\\begin{align*}\n%s &= 1 \\\\\n",
           grad_name(e, result_label(e), y, TEXT));
}

static void latex_node(explainer *e, const char *lbl, const char *formula, const char *up_name,
                       const char *up)
{
    (void)up_name;
    (void)up;
    char name[TEXT];
    printf("&\\text{at } %s = %s: \\\\\n", latex_name(lbl, name, TEXT), formula);
    (void)e;
}

static void latex_step(explainer *e, const step *st)
{
    (void)e;
    char local[TEXT + 2];
    const char *op = st->accumulated ? "\\mathrel{+}=" : "=";
    if (st->kind == STEP_LOCAL)
        printf("%s &%s %s \\cdot %s = %s \\cdot %s = %s \\\\\n", st->wrt_name, op, st->up_name,
               st->symbolic, st->up, factor(st->local, local, sizeof local), st->contribution);
    else
        printf("%s &%s %s = %s \\\\\n", st->wrt_name, op, st->symbolic, st->contribution);
    if (st->accumulated)
        printf("%s &= %s + %s = %s \\\\\n", st->wrt_name, st->previous,
               factor(st->contribution, local, sizeof local), st->total);
}

static void latex_end(explainer *e)
{
    printf("\\end{align*}\n\\paragraph{Gradients}\n\\begin{align*}\n");
    gradients(e, 0, "", " &= ", " \\\\");
    printf("\\end{align*}\n");
}

static const emitter latex_emitter = {NOTATION_LATEX, latex_begin, latex_forward,
                                      latex_sweep_begin, latex_node, latex_step, latex_end};

/* ---- the command ---------------------------------------------------------- */

static const emitter *pick_emitter(const char *format, diag *d)
{
    if (!format || strcmp(format, "text") == 0)
        return &text_emitter;
    if (strcmp(format, "markdown") == 0)
        return &markdown_emitter;
    if (strcmp(format, "latex") == 0)
        return &latex_emitter;
    diag_plain(d, "--format must be text, markdown or latex, not '%s'", format);
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
    return rc;
}

int cmd_explain(int argc, char **argv)
{
    static const char *const options[] = {"--format", "--wrt", NULL};
    cli_args a;
    session s = {0};
    diag d = {0};
    explainer e = {.args = &a, .s = &s};
    bool ok = parse_cli_args(argc, argv, "explain", options, &a, &d) &&
              (e.em = pick_emitter(a.format, &d)) && session_open(&s, &a, &d);
    if (ok) {
        e.names = labeler_new(&s.syms, &s.prog);
        ok = e.names && explain(&e) == 0;
        if (!ok)
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
