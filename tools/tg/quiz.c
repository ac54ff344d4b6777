/*
 * quiz.c -- the reverse sweep as a list of blanks, for `tg quiz` (the
 * worksheet and its answer key) and `tg check` (the grading).
 *
 * The list is read off the sweep replay_sweep replays for tg explain, with
 * explain's own decisions: a step is a local derivative to fill in exactly
 * where explain prints one (explain_step_kind), and its value is the one
 * explain prints (explain_local_derivative). So the worksheet asks for the
 * numbers tg explain shows for the same expression.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <tapegrad/inspect.h>

#include "quiz.h"

#define TEXT 4096

static quiz_entry *add_entry(quiz_sweep *q)
{
    if (q->n == q->cap) {
        int cap = q->cap ? 2 * q->cap : 32;
        quiz_entry *grown = realloc(q->entries, (size_t)cap * sizeof *grown);
        if (!grown)
            return NULL;
        q->entries = grown;
        q->cap = cap;
    }
    quiz_entry *e = &q->entries[q->n++];
    *e = (quiz_entry){0};
    return e;
}

char *quiz_grad_name(const quiz_sweep *q, const char *name, notation how, char *buf,
                     size_t size)
{
    char y[QUIZ_KEY], x[QUIZ_KEY];
    if (how == NOTATION_LATEX)
        snprintf(buf, size, "\\frac{\\partial %s}{\\partial %s}",
                 latex_name(q->result, y, sizeof y), latex_name(name, x, sizeof x));
    else
        snprintf(buf, size, "d%s/d%s", q->result, name);
    return buf;
}

/* ---- the sweep, observed ------------------------------------------------- */

typedef struct {
    quiz_sweep *q;
    bool failed;
} recorder;

static void on_node(void *ctx, tg_tensor *node, tg_tensor *upstream)
{
    recorder *r = ctx;
    quiz_entry *e = add_entry(r->q);
    if (!e) {
        r->failed = true;
        return;
    }
    const char *name = label_of(r->q->names, node);
    *e = (quiz_entry){.kind = ENTRY_NODE, .node = node, .value = upstream};
    if (node != r->q->s->prog.result) { /* the result's gradient is the seed, 1 */
        e->blank = BLANK_UPSTREAM;
        snprintf(e->key, QUIZ_KEY, "upstream d%s/d%s", r->q->result, name);
    }
}

static void on_input(void *ctx, tg_tensor *node, int k, tg_tensor *contribution,
                     tg_tensor *previous, tg_tensor *total)
{
    (void)previous;
    (void)total;
    recorder *r = ctx;
    quiz_entry *e = add_entry(r->q);
    if (!e) {
        r->failed = true;
        return;
    }
    *e = (quiz_entry){.kind = ENTRY_STEP, .node = node, .k = k,
                      .step = explain_step_kind(node, k), .contribution = contribution};
    if (tg_op_num_inputs(node) >= 2 && tg_op_input(node, 0) == tg_op_input(node, 1))
        e->twin = k + 1;
    if (e->step == STEP_LOCAL)
        e->value = explain_local_derivative(node, k);
    if (!e->value) {
        if (e->step == STEP_LOCAL)
            e->step = STEP_VJP; /* as tg explain does: stay truthful */
        return;
    }
    e->blank = BLANK_LOCAL;
    const char *x = label_of(r->q->names, tg_op_input(node, k));
    size_t len = (size_t)snprintf(e->key, QUIZ_KEY, "local d%s/d%s",
                                  label_of(r->q->names, node), x);
    if (e->twin && len < QUIZ_KEY)
        snprintf(e->key + len, QUIZ_KEY - len, " (operand %d)", e->twin);
}

/* Every variable that wants a gradient gets one: zeros where the sweep
 * never reached it (the result does not depend on it). */
static bool add_gradients(quiz_sweep *q)
{
    const symtab *syms = &q->s->syms;
    for (int i = 0; i < syms->n_inputs; i++) {
        tg_tensor *v = symtab_input_value(syms, i), *g = tensor_map_get(q->grads, v);
        if (!tg_requires_grad(v))
            continue;
        if (!g)
            g = tg_full(tg_dtype_of(v), tg_ndim(v), tg_shape(v), 0.0, false);
        quiz_entry *e = g ? add_entry(q) : NULL;
        if (!e)
            return false;
        *e = (quiz_entry){.kind = ENTRY_GRADIENT, .node = v, .value = g, .blank = BLANK_UPSTREAM};
        snprintf(e->key, QUIZ_KEY, "gradient d%s/d%s", q->result, symtab_input_name(syms, i));
    }
    return true;
}

bool quiz_sweep_build(quiz_sweep *q, session *s, diag *d)
{
    *q = (quiz_sweep){.s = s, .names = labeler_new(&s->syms, &s->prog)};
    if (!q->names) {
        diag_plain(d, "out of memory");
        return false;
    }
    /* every node's operands labelled in tape order, so that the constants
     * are numbered c1, c2, ... as tg explain numbers them */
    for (int64_t pos = 0; pos <= tg_tape_position(s->prog.result); pos++)
        formula_names_of(q->names, tg_tape_node(pos));
    q->result = label_of(q->names, s->prog.result);
    recorder r = {q, false};
    sweep_observer obs = {&r, on_node, on_input};
    int rc = tg_requires_grad(s->prog.result) ? replay_sweep(s->prog.result, &obs, &q->grads)
                                              : TG_OK;
    if (!q->grads && rc == TG_OK)
        q->grads = tensor_map_new();
    if (rc != TG_OK || r.failed || !q->grads || !add_gradients(q)) {
        diag_plain(d, "%s", rc != TG_OK && *tg_last_error() ? tg_last_error() : "out of memory");
        return false;
    }
    return true;
}

void quiz_sweep_close(quiz_sweep *q)
{
    free(q->entries);
    tensor_map_free(q->grads);
    labeler_free(q->names);
    *q = (quiz_sweep){0};
}

blank_set quiz_blank_set(const char *text, diag *d)
{
    if (!text || strcmp(text, "all") == 0)
        return BLANK_ALL;
    if (strcmp(text, "local") == 0)
        return BLANK_LOCAL;
    if (strcmp(text, "upstream") == 0)
        return BLANK_UPSTREAM;
    diag_plain(d, "--blank must be local, upstream or all, not '%s'", text);
    return 0;
}

bool quiz_is_blank(const quiz_entry *e, blank_set set) { return (e->blank & set) != 0; }

const char *quiz_blank_option(blank_set set)
{
    return set == BLANK_LOCAL ? " --blank local" : set == BLANK_UPSTREAM ? " --blank upstream" : "";
}

/* ---- the formulas, as tg explain writes them ------------------------------ */

char *quiz_formula(const quiz_sweep *q, const tg_tensor *node, notation how, char *buf,
                   size_t size)
{
    formula_names n = formula_names_of(q->names, node);
    return op_formula(node, &n, how, buf, size);
}

char *quiz_rule(const quiz_sweep *q, const quiz_entry *e, notation how, char *buf,
                size_t size)
{
    char up[TEXT];
    formula_names n = formula_names_of(q->names, e->node);
    n.upstream = quiz_grad_name(q, label_of(q->names, e->node), how, up, sizeof up);
    note_part(e->node, e->k, &n);
    return op_derivative(e->node, e->k, &n, how, buf, size);
}

char *quiz_sources(const quiz_sweep *q, const tg_tensor *t, int before, char *buf,
                   size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < before && i < q->n && len < size; i++) {
        const quiz_entry *e = &q->entries[i];
        if (e->kind == ENTRY_STEP && tg_op_input(e->node, e->k) == t)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
                                    label_of(q->names, e->node));
    }
    return buf;
}

void quiz_key_normalize(const char *text, size_t len, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < len && text[i] && n + 1 < size; i++)
        if (!isspace((unsigned char)text[i]))
            out[n++] = text[i];
    out[n] = '\0';
}

/* ---- the answer key ------------------------------------------------------- */

/* A word as the shell reads it back: quoted unless it is plain. */
static void print_shell_word(FILE *f, const char *w)
{
    bool plain = *w != '\0';
    for (const char *p = w; *p && plain; p++)
        plain = isalnum((unsigned char)*p) || strchr("_-+=.,/:@%", *p);
    if (plain) {
        fputs(w, f);
        return;
    }
    fputc('\'', f);
    for (const char *p = w; *p; p++)
        if (*p == '\'')
            fputs("'\\''", f); /* close the quote, an escaped quote, reopen */
        else
            fputc(*p, f);
    fputc('\'', f);
}

void quiz_print_command(FILE *f, const cli_args *a)
{
    print_shell_word(f, a->expr);
    for (int i = 0; i < a->n_vars; i++) {
        fputc(' ', f);
        print_shell_word(f, a->vars[i]);
    }
    if (a->wrt) {
        fputs(" --wrt ", f);
        print_shell_word(f, a->wrt);
    }
}

void quiz_write_key(FILE *f, const quiz_sweep *q, const cli_args *a, blank_set set,
                    bool with_values)
{
    fputs("# tg check ", f);
    quiz_print_command(f, a);
    fprintf(f, " FILE%s\n", quiz_blank_option(set));
    for (int i = 0; i < q->n; i++) {
        const quiz_entry *e = &q->entries[i];
        if (!quiz_is_blank(e, set))
            continue;
        fprintf(f, "%s =", e->key); /* the student's form ends there */
        if (with_values) {
            fputc(' ', f);
            text_tensor(f, e->value);
        }
        if (with_values && e->kind == ENTRY_STEP) {
            char rule[TEXT], formula[TEXT];
            fprintf(f, "    # d/d%s (%s) = %s", label_of(q->names, tg_op_input(e->node, e->k)),
                    quiz_formula(q, e->node, NOTATION_TEXT, formula, sizeof formula),
                    quiz_rule(q, e, NOTATION_TEXT, rule, sizeof rule));
        }
        fputc('\n', f);
    }
}
