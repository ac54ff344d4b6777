/*
 * cmd_check.c -- `tg check EXPR NAME=VALUE... ANSWERS`: grades a student's
 * numbers for the blanks of tg quiz, node by node in sweep order.
 *
 * ANSWERS holds lines of the answer key's format, "KEY = VALUE" (spaces
 * anywhere, # starts a comment, an empty value or ____ is not answered).
 * Each blank is ok when every element is within the tolerance of the key;
 * a wrong upstream gradient is also compared with what the student's own
 * numbers give (their upstream gradients times their local derivatives,
 * summed as the sweep sums them): when it matches, the error was made
 * earlier and carried down the sweep, and the report says so. The first
 * wrong blank names the first wrong node, and whether its upstream
 * gradient or a local derivative was wrong.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <tapegrad/inspect.h>

#include "quiz.h"

#define TEXT 4096

typedef enum { GRADE_OK, GRADE_MISSING, GRADE_SHAPE, GRADE_WRONG, GRADE_CARRIED } grade;

typedef struct {
    const quiz_sweep *q;
    const cli_args *a;
    blank_set set;
    double tol;
    tg_tensor **answer; /* per entry: the student's value, or NULL */
    int *line;          /* per entry: the line of ANSWERS that gave it, or 0 */
    grade *grades;      /* per entry (GRADE_OK where no blank) */
    char what[300];     /* "line N of FILE", for the parser's messages */
} grader;

/* ---- reading ANSWERS -------------------------------------------------------- */

static char *read_text(const char *path, diag *d)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_plain(d, "cannot read the answers '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    for (size_t n; text && (n = fread(text + len, 1, cap - len - 1, f)) > 0;) {
        len += n;
        char *grown = len + 1 == cap ? realloc(text, cap *= 2) : text;
        if (!grown)
            free(text);
        text = grown;
    }
    int failed = ferror(f) ? errno : 0; /* a directory: EISDIR */
    fclose(f);
    if (text && failed) {
        diag_plain(d, "cannot read the answers '%s': %s", path, strerror(failed));
        free(text);
        return NULL;
    }
    if (!text)
        diag_plain(d, "out of memory");
    else
        text[len] = '\0';
    return text;
}

static int find_entry(const quiz_sweep *q, const char *key)
{
    char norm[QUIZ_KEY];
    for (int i = 0; i < q->n; i++) {
        if (!q->entries[i].blank)
            continue;
        quiz_key_normalize(q->entries[i].key, QUIZ_KEY, norm, sizeof norm);
        if (strcmp(norm, key) == 0)
            return i;
    }
    return -1;
}

/* "upstream dy/dv1, local dv1/dx, ..." : the blanks of set, for a message. */
static char *blank_list(const grader *g, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < g->q->n && len < size; i++)
        if (quiz_is_blank(&g->q->entries[i], g->set))
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
                                    g->q->entries[i].key);
    return buf;
}

/* One line "KEY = VALUE" (its comment cut off); text stays alive for d. */
static bool read_line(grader *g, char *text, int number, const char *path, diag *d)
{
    char *hash = strchr(text, '#');
    if (hash)
        *hash = '\0';
    char key[QUIZ_KEY], *eq = strchr(text, '=');
    quiz_key_normalize(text, eq ? (size_t)(eq - text) : strlen(text), key, sizeof key);
    if (!key[0] && !eq)
        return true; /* an empty line or a comment */
    snprintf(g->what, sizeof g->what, "line %d of %s", number, path);
    if (!eq) {
        diag_plain(d, "%s: expected KEY = VALUE, as the answer key writes them", g->what);
        return false;
    }
    int i = find_entry(g->q, key);
    if (i < 0 || !quiz_is_blank(&g->q->entries[i], g->set)) {
        char blanks[TEXT];
        size_t start = strspn(text, " \t"), len = (size_t)(eq - text) - start;
        while (len && (text[start + len - 1] == ' ' || text[start + len - 1] == '\t'))
            len--;
        diag_plain(d, "%s: '%.*s' is %s; the blanks are: %s", g->what, (int)len, text + start,
                   i < 0 ? "no blank of this sweep" : "given on this --blank's sheet, not a blank",
                   blank_list(g, blanks, sizeof blanks));
        return false;
    }
    if (g->line[i]) {
        diag_plain(d, "%s: '%s' is answered already on line %d", g->what, g->q->entries[i].key,
                   g->line[i]);
        return false;
    }
    g->line[i] = number;
    int pos = (int)(eq - text) + 1;
    while (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\r')
        pos++;
    if (!text[pos] || strspn(text + pos, "_? \t\r") == strlen(text + pos))
        return true; /* left blank */
    tg_tensor *t = parse_array(text, &pos, g->what, false, d);
    while (t && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\r'))
        pos++;
    if (t && text[pos]) {
        diag_at(d, text, g->what, pos, "unexpected text after the value");
        return false;
    }
    g->answer[i] = t;
    return t != NULL;
}

static bool read_answers(grader *g, char *text, const char *path, diag *d)
{
    int number = 0;
    for (char *line = text; line; ) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!read_line(g, line, ++number, path, d))
            return false;
        line = next;
    }
    return true;
}

/* ---- grading ------------------------------------------------------------- */

static bool same_shape(const tg_tensor *a, const tg_tensor *b)
{
    return tg_ndim(a) == tg_ndim(b) &&
           memcmp(tg_shape(a), tg_shape(b), sizeof(int64_t) * (size_t)tg_ndim(a)) == 0;
}

/* Within tol of the key, relative; 1e-9 absolute so that 0 matches what
 * rounding left of a zero (1e-17). */
static bool element_close(const grader *g, double answer, double key)
{
    return fabs(answer - key) <= g->tol * fabs(key) + 1e-9;
}

static bool close_to(const grader *g, const tg_tensor *answer, const tg_tensor *key)
{
    for (int64_t i = 0; i < tg_numel(key); i++)
        if (!element_close(g, tg_get(answer, i), tg_get(key, i)))
            return false;
    return true;
}

/* The student's value of entry i where it can stand in the sweep (a
 * blank answered with the key's shape), else the key's. */
static tg_tensor *own_value(const grader *g, int i)
{
    tg_tensor *a = g->answer[i], *key = g->q->entries[i].value;
    return a && same_shape(a, key) ? a : key;
}

/* The entry of the node whose step entry j is (the last node before it). */
static int node_entry(const quiz_sweep *q, int j)
{
    while (j >= 0 && q->entries[j].kind != ENTRY_NODE)
        j--;
    return j;
}

/* What the student's own numbers give the gradient of entry i's tensor:
 * each step into it, with their upstream gradient and local derivative,
 * summed. NULL when it cannot be computed (it is then not compared). */
static tg_tensor *own_gradient(const grader *g, int i)
{
    const quiz_sweep *q = g->q;
    const tg_tensor *t = q->entries[i].node;
    tg_tensor *sum = NULL;
    for (int j = 0; j < i; j++) {
        const quiz_entry *e = &q->entries[j];
        if (e->kind != ENTRY_STEP || tg_op_input(e->node, e->k) != t)
            continue;
        int up = node_entry(q, j);
        tg_tensor *upstream = own_value(g, up), *part = NULL, *grads[REPLAY_MAX_INPUTS];
        if (e->step == STEP_LOCAL)
            part = tg_mul(upstream, own_value(g, j));
        else if (tg_vjp(e->node, upstream, grads) == 0)
            part = grads[e->k];
        if (!part)
            return NULL;
        sum = sum ? tg_add(sum, part) : part;
        if (!sum)
            return NULL;
    }
    return sum;
}

static grade grade_entry(const grader *g, int i)
{
    const quiz_entry *e = &g->q->entries[i];
    tg_tensor *a = g->answer[i];
    if (!a)
        return GRADE_MISSING;
    if (!same_shape(a, e->value))
        return GRADE_SHAPE;
    if (close_to(g, a, e->value))
        return GRADE_OK;
    if (e->kind == ENTRY_STEP)
        return GRADE_WRONG;
    tg_tensor *own = own_gradient(g, i);
    return own && !close_to(g, own, e->value) && close_to(g, a, own) ? GRADE_CARRIED
                                                                      : GRADE_WRONG;
}

/* " at [1], [0,2]": the elements of a wrong tensor off the key, the first
 * few; " at every element" when none is right; "" for a number. */
static char *wrong_elements(const grader *g, const tg_tensor *a, const tg_tensor *key, char *buf,
                            size_t size)
{
    size_t len = 0;
    int64_t wrong = 0;
    buf[0] = '\0';
    for (int64_t i = 0; i < tg_numel(key) && tg_ndim(key) > 0; i++) {
        if (element_close(g, tg_get(a, i), tg_get(key, i)))
            continue;
        char index[64];
        if (wrong < 4 && len < size)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", wrong ? ", " : " at ",
                                    index_text(key, i, ",", index, sizeof index));
        else if (wrong == 4 && len < size)
            len += (size_t)snprintf(buf + len, size - len, ", ...");
        wrong++;
    }
    if (wrong == tg_numel(key) && wrong > 1)
        snprintf(buf, size, " at every element");
    return buf;
}

/* The verdict on one blank, after the student's value. */
static void print_verdict(const grader *g, int i)
{
    const quiz_entry *e = &g->q->entries[i];
    tg_tensor *a = g->answer[i];
    char key[TEXT], shape[32], shape2[32], where[256];
    tensor_brief(e->value, key, sizeof key);
    switch (g->grades[i]) {
    case GRADE_OK:
        printf("ok\n");
        break;
    case GRADE_MISSING:
        printf("not answered (the key: %s)\n", key);
        break;
    case GRADE_SHAPE:
        printf("wrong: shape %s, the key's is %s\n", shape_text(a, shape, sizeof shape),
               shape_text(e->value, shape2, sizeof shape2));
        break;
    case GRADE_WRONG:
    case GRADE_CARRIED:
        printf("wrong%s (the key: %s)%s\n", wrong_elements(g, a, e->value, where, sizeof where),
               key, g->grades[i] == GRADE_CARRIED ? ": carried from an earlier error" : "");
        break;
    }
}

/* A number and its verdict on one line; a tensor's verdict, unless ok, on
 * the next, so that the two tensors can be read one above the other. */
static void print_grade(const grader *g, int i)
{
    char value[TEXT];
    const quiz_entry *e = &g->q->entries[i];
    tg_tensor *a = g->answer[i];
    const char *text = a ? tensor_brief(a, value, TEXT) : "";
    if (tg_ndim(e->value) > 0 && g->grades[i] != GRADE_OK && g->grades[i] != GRADE_MISSING)
        printf("      %s = %s\n          ", e->key, text);
    else
        printf("      %-24s = %-14s ", e->key, text);
    print_verdict(g, i);
}

static void print_node_header(const grader *g, const quiz_entry *e)
{
    char formula[TEXT];
    printf("\n  %s = %s\n", label_of(g->q->names, e->node),
           quiz_formula(g->q, e->node, NOTATION_TEXT, formula, TEXT));
}

/* How the upstream gradient at the node of entry up stood: right, given,
 * the seed. */
static void print_upstream_state(const grader *g, int up)
{
    const quiz_entry *e = &g->q->entries[up];
    char name[TEXT], value[TEXT];
    quiz_grad_name(g->q, label_of(g->q->names, e->node), NOTATION_TEXT, name, TEXT);
    if (!e->blank)
        printf("  its upstream gradient %s = 1 is the seed\n", name);
    else if (!quiz_is_blank(e, g->set))
        printf("  its upstream gradient %s = %s was given\n", name,
               tensor_brief(e->value, value, TEXT));
    else
        printf("  its upstream gradient %s was %s\n", name,
               g->grades[up] == GRADE_OK ? "right" : "wrong too");
}

/* The first wrong blank, named as its node and what was wrong there. */
static void print_first_wrong(const grader *g, int i)
{
    const quiz_sweep *q = g->q;
    const quiz_entry *e = &q->entries[i];
    char formula[TEXT], sources[TEXT], got[TEXT], key[TEXT];
    const char *label = label_of(q->names, e->node);
    snprintf(got, sizeof got, "%s", g->answer[i] ? tensor_brief(g->answer[i], key, TEXT)
                                                 : "not answered");
    tensor_brief(e->value, key, sizeof key);
    if (e->kind == ENTRY_GRADIENT)
        printf("\nFirst wrong node: the variable %s\n  its gradient %s is wrong: %s, the key %s\n",
               label, e->key + strlen("gradient "), got, key);
    else
        printf("\nFirst wrong node: %s = %s\n", label,
               quiz_formula(q, e->node, NOTATION_TEXT, formula, TEXT));
    if (e->kind == ENTRY_STEP) {
        printf("  its local derivative d/d%s (%s) is wrong: %s, the key %s\n",
               label_of(q->names, tg_op_input(e->node, e->k)), formula, got, key);
        print_upstream_state(g, node_entry(q, i));
        return;
    }
    if (e->kind == ENTRY_NODE)
        printf("  its upstream gradient %s is wrong: %s, the key %s\n",
               e->key + strlen("upstream "), got, key);
    quiz_sources(q, e->node, i, sources, sizeof sources);
    printf("  everything before it in the sweep was right: it is what %s received from %s,\n"
           "  so the product upstream gradient * local derivative%s went wrong\n", label, sources,
           strchr(sources, ',') ? ", or their sum," : "");
}

/* The wrong blanks after the first: those the first error explains (the
 * student's own numbers give them), and those wrong on their own. */
static void print_later(const grader *g, int first)
{
    bool any[2] = {false, false};
    for (int pass = 0; pass < 2; pass++)
        for (int i = first + 1; i < g->q->n; i++) {
            grade r = g->grades[i];
            if (!quiz_is_blank(&g->q->entries[i], g->set) || r == GRADE_OK ||
                (r == GRADE_CARRIED) != (pass == 0))
                continue;
            if (!any[pass])
                printf(pass == 0 ? "Wrong because an earlier node was wrong (your own numbers "
                                   "carry the error down):\n"
                                 : "Wrong on their own:\n");
            any[pass] = true;
            printf("  %s\n", g->q->entries[i].key);
        }
}

/* Grades every blank of the set; returns how many were right of *total. */
static int grade_all(grader *g, int *total, int *first)
{
    int right = 0;
    *total = 0;
    *first = -1;
    tg_no_grad_begin();
    for (int i = 0; i < g->q->n; i++) {
        g->grades[i] = GRADE_OK;
        if (!quiz_is_blank(&g->q->entries[i], g->set))
            continue;
        g->grades[i] = grade_entry(g, i);
        ++*total;
        right += g->grades[i] == GRADE_OK;
        if (g->grades[i] != GRADE_OK && *first < 0)
            *first = i;
    }
    tg_no_grad_end();
    return right;
}

static void print_report(const grader *g, int right, int total, int first)
{
    const quiz_sweep *q = g->q;
    printf("Grading  %s\nnode by node in sweep order; ok within %g of the key (relative)\n",
           g->a->expr, g->tol);
    bool gradients = false;
    for (int i = 0; i < q->n; i++) {
        const quiz_entry *e = &q->entries[i];
        if (e->kind == ENTRY_NODE)
            print_node_header(g, e);
        if (e->kind == ENTRY_GRADIENT && !gradients) {
            printf("\n  gradients\n");
            gradients = true;
        }
        if (quiz_is_blank(e, g->set))
            print_grade(g, i);
    }
    printf("\nScore  %d/%d (%.0f%%)\n", right, total, total ? 100.0 * right / total : 100.0);
    if (first < 0) {
        printf("Every blank is right.\n");
        return;
    }
    print_first_wrong(g, first);
    print_later(g, first);
}

/* ---- the command ---------------------------------------------------------- */

static bool parse_tol(const char *text, double *tol, diag *d)
{
    char *end = NULL;
    *tol = 1e-3;
    if (!text)
        return true;
    errno = 0;
    *tol = strtod(text, &end);
    if (end != text && *end == '\0' && errno == 0 && *tol > 0 && *tol < 1)
        return true;
    diag_plain(d, "--tol must be a relative tolerance between 0 and 1, such as 1e-3, not '%s'",
               text);
    return false;
}

/* ANSWERS is the last argument after EXPR; the others are variables. */
static const char *take_answers(cli_args *a, diag *d)
{
    if (a->n_vars == 0 || strchr(a->vars[a->n_vars - 1], '=')) {
        diag_plain(d, "tg check: missing ANSWERS, the file of answers after the variables "
                      "(see tg help check)");
        return NULL;
    }
    return a->vars[--a->n_vars];
}

static int grade_file(grader *g, const char *path, diag *d)
{
    int n = g->q->n ? g->q->n : 1;
    g->answer = calloc((size_t)n, sizeof *g->answer);
    g->line = calloc((size_t)n, sizeof *g->line);
    g->grades = calloc((size_t)n, sizeof *g->grades);
    char *text = g->answer && g->line && g->grades ? read_text(path, d) : NULL;
    int status = TG_EXIT_USAGE;
    if (!g->answer || !g->line || !g->grades)
        diag_plain(d, "out of memory");
    else if (text && read_answers(g, text, path, d)) {
        int total, first, right = grade_all(g, &total, &first);
        print_report(g, right, total, first);
        status = right == total ? 0 : TG_EXIT_FAILURE;
    }
    if (status == TG_EXIT_USAGE)
        diag_print(d); /* while text, which d may quote, is alive */
    free(text);
    free(g->answer);
    free(g->line);
    free(g->grades);
    return status;
}

int cmd_check(int argc, char **argv)
{
    static const char *const options[] = {"--blank", "--tol", "--wrt", NULL};
    cli_args a;
    session s = {0};
    quiz_sweep q = {0};
    diag d = {0};
    grader g = {.q = &q, .a = &a};
    const char *path = NULL;
    bool ok = parse_cli_args(argc, argv, "check", options, &a, &d) &&
              (path = take_answers(&a, &d)) && parse_tol(a.tol, &g.tol, &d) &&
              (g.set = quiz_blank_set(a.blank, &d)) && session_open(&s, &a, &d) &&
              quiz_sweep_build(&q, &s, &d);
    int status = TG_EXIT_USAGE;
    brief_settings(QUIZ_DIGITS, QUIZ_WHOLE);
    if (ok)
        status = grade_file(&g, path, &d);
    else
        diag_print(&d);
    quiz_sweep_close(&q);
    session_close(&s);
    cli_args_free(&a);
    return status;
}
