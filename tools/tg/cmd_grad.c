/* cmd_grad.c -- `tg grad`: the value and the gradient with respect to each
 * variable, computed by tg_backward, as text or as JSON; with --hessian the
 * second derivatives too (cmd_jacobian.c); with --repeat N the graph
 * captured once (tg_capture) and replayed N times (tg_program_run), the
 * last replay's results printed and the time per replay on stderr. */

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "tg.h"

/* What is printed: the value, and per variable its gradient (NULL for one
 * that does not want one). */
typedef struct {
    double value;
    tg_tensor **grads;
} results;

static void print_json(const session *s, const results *r, const hessian_table *h)
{
    printf("{\"value\": ");
    json_number(stdout, r->value);
    printf(", \"grad\": {");
    bool first = true;
    for (int i = 0; i < s->syms.n_inputs; i++) {
        if (!r->grads[i])
            continue;
        printf("%s\"%s\": ", first ? "" : ", ", symtab_input_name(&s->syms, i));
        json_tensor(stdout, r->grads[i]);
        first = false;
    }
    putchar('}');
    if (h)
        hessian_print_json(s, h);
    printf("}\n");
}

static void print_text(const session *s, const results *r, const hessian_table *h)
{
    const char *y = s->result_label;
    printf("%s = %.10g\n", y, r->value);
    for (int i = 0; i < s->syms.n_inputs; i++) {
        if (!r->grads[i])
            continue;
        printf("d%s/d%s = ", y, symtab_input_name(&s->syms, i));
        text_tensor(stdout, r->grads[i]);
        putchar('\n');
    }
    if (h)
        hessian_print_text(s, h);
}

/* The gradients tg_backward left in the variables. */
static void backward_results(const session *s, results *r)
{
    r->value = tg_item(s->prog.result);
    for (int i = 0; i < s->syms.n_inputs; i++) {
        tg_tensor *v = symtab_input_value(&s->syms, i);
        r->grads[i] = tg_requires_grad(v) ? session_gradient(v) : NULL;
    }
}

/* ---- --repeat: one capture, N replays ---- */

typedef struct {
    const char *expr;
    symtab *syms;
    diag *d;
} replay_source;

/* f of the capture: the expression evaluated on the variables bound. */
static tg_tensor *evaluate(tg_tensor *const *wrt, void *ud)
{
    (void)wrt;
    replay_source *src = ud;
    return eval_value(src->expr, src->syms, src->d);
}

static bool parse_repeat(const char *text, long *n, diag *d)
{
    char *end;
    errno = 0;
    *n = strtol(text, &end, 10);
    if (errno || end == text || *end || *n < 1) {
        diag_plain(d, "tg grad: --repeat needs a positive whole number of runs, not '%s'", text);
        return false;
    }
    return true;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A program may read persistent tensors only: each variable is copied into
 * one and bound in its place; the ones that want a gradient are the wrt. */
static int bind_persistent(session *s, tg_tensor **copies, tg_tensor **wrt, diag *d)
{
    int n_wrt = 0;
    for (int i = 0; i < s->syms.n_inputs; i++) {
        tg_tensor *v = symtab_input_value(&s->syms, i);
        copies[i] = tg_persistent(tg_dtype_of(v), tg_ndim(v), tg_shape(v), tg_data(v),
                                  tg_requires_grad(v));
        if (!copies[i]) {
            diag_plain(d, "%s", tg_last_error());
            return -1;
        }
        symtab_set_input_value(&s->syms, i, copies[i]);
        if (tg_requires_grad(v))
            wrt[n_wrt++] = copies[i];
    }
    return n_wrt;
}

static void print_timing(const tg_program *p, long runs, double capture_s, double run_s)
{
    long long nodes = (long long)tg_program_length(p);
    fprintf(stderr, "tg grad: captured %lld node%s in %.3g us; %ld run%s (%s sweep), %.4g ns "
            "per run\n", nodes, nodes == 1 ? "" : "s", 1e6 * capture_s, runs, runs == 1 ? "" : "s",
            tg_program_is_flat(p) ? "flat scalar" : "engine", 1e9 * run_s / (double)runs);
}

/* Captures once, runs `runs` times, and fills r from the last run. */
static bool replay(session *s, const cli_args *a, long runs, tg_tensor **copies, results *r,
                   diag *d)
{
    tg_tensor **wrt = calloc((size_t)s->syms.n_inputs + 1, sizeof *wrt);
    int n_wrt = wrt ? bind_persistent(s, copies, wrt, d) : -1;
    if (n_wrt == 0)
        diag_plain(d, "tg grad: --repeat needs a variable to differentiate with respect to");
    replay_source src = {a->expr, &s->syms, d};
    double t0 = seconds_now();
    tg_program *p = n_wrt > 0 ? tg_capture(evaluate, &src, n_wrt, wrt, 0) : NULL;
    double t1 = seconds_now();
    bool ok = p != NULL;
    for (long k = 0; ok && k < runs; k++)
        ok = tg_program_run(p) == 0;
    double t2 = seconds_now();
    if (n_wrt > 0 && !ok && !d->set)
        diag_plain(d, "%s", tg_last_error());
    if (ok) {
        print_timing(p, runs, t1 - t0, t2 - t1);
        r->value = tg_program_value(p);
        /* the results outlive the program: copies, freed by the caller */
        for (int i = 0, k = 0; ok && i < s->syms.n_inputs; i++) {
            if (!tg_requires_grad(copies[i]))
                continue;
            const tg_tensor *g = tg_program_grad(p, k++);
            r->grads[i] = tg_persistent(TG_F64, tg_ndim(g), tg_shape(g), tg_data(g), false);
            ok = r->grads[i] != NULL;
        }
    }
    tg_program_free(p);
    free(wrt);
    return ok;
}

int cmd_grad(int argc, char **argv)
{
    static const char *const options[] = {"--json", "--wrt", "--hessian", "--repeat", NULL};
    cli_args a;
    session s = {0};
    diag d = {0};
    hessian_table h = {0};
    long runs = 0;
    bool ok = parse_cli_args(argc, argv, "grad", options, &a, &d) &&
              (!a.repeat || parse_repeat(a.repeat, &runs, &d));
    if (ok && a.repeat && a.hessian) {
        diag_plain(&d, "tg grad: --repeat and --hessian cannot be combined");
        ok = false;
    }
    ok = ok && session_open(&s, &a, &d);
    int n = s.syms.n_inputs;
    results r = {0, calloc((size_t)n + 1, sizeof *r.grads)};
    tg_tensor **copies = calloc((size_t)n + 1, sizeof *copies);
    if (ok && (!r.grads || !copies)) {
        diag_plain(&d, "out of memory");
        ok = false;
    }
    if (ok && runs)
        ok = replay(&s, &a, runs, copies, &r, &d);
    else if (ok) {
        ok = session_backward(&s, &d) && (!a.hessian || hessian_compute(&s, a.expr, &h, &d));
        if (ok)
            backward_results(&s, &r);
    }
    if (!ok)
        diag_print(&d);
    else if (a.json)
        print_json(&s, &r, a.hessian ? &h : NULL);
    else
        print_text(&s, &r, a.hessian ? &h : NULL);
    hessian_free(&h);
    session_close(&s);
    for (int i = 0; runs && i < n; i++) {
        tg_free(copies ? copies[i] : NULL);
        tg_free(r.grads ? r.grads[i] : NULL);
    }
    free(copies);
    free(r.grads);
    cli_args_free(&a);
    return ok ? 0 : TG_EXIT_USAGE;
}
