/* cmd_jacobian.c -- `tg jacobian`: the Jacobian of an expression with respect
 * to its variables by forward or reverse mode (tg_jacobian), and the Hessian
 * that `tg grad --hessian` prints (tg_hessian, forward-over-reverse). */
#include <stdlib.h>
#include <string.h>

#include "tg.h"

/* The expression as a function of the variables that want derivatives, for
 * the drivers: each call binds them to its inputs and evaluates it again. */
typedef struct {
    const char *expr;
    session *s;
    int n;
    const int *index;
    diag *d;
} expr_fn;

static tg_tensor *evaluate(tg_tensor *const *in, void *ctx)
{
    expr_fn *e = ctx;
    for (int k = 0; k < e->n; k++)
        symtab_set_input_value(&e->s->syms, e->index[k], in[k]);
    return eval_value(e->expr, &e->s->syms, e->d);
}

/* The input indices of the variables that want derivatives (made requiring
 * grad by --wrt, or all of them); NULL only when out of memory. */
static int *wanted_inputs(const session *s, int *n)
{
    int *index = malloc((size_t)(s->syms.n_inputs + 1) * sizeof *index);
    *n = 0;
    for (int i = 0; index && i < s->syms.n_inputs; i++)
        if (tg_requires_grad(symtab_input_value(&s->syms, i)))
            index[(*n)++] = i;
    return index;
}

/* Which derivative a driver call computes. */
typedef enum { WANT_JACOBIAN, WANT_HESSIAN } wanted;

/* Runs the driver on the variables listed in index; the variables are bound
 * back to their own tensors afterwards. */
static bool run_driver(session *s, const char *expr, int n, const int *index, wanted what,
                       tg_jac_mode mode, tg_tensor **out, diag *d)
{
    tg_tensor **vars = malloc((size_t)n * sizeof *vars);
    if (!vars) {
        diag_plain(d, "out of memory");
        return false;
    }
    for (int k = 0; k < n; k++)
        vars[k] = symtab_input_value(&s->syms, index[k]);
    diag inner = {0};
    expr_fn e = {expr, s, n, index, &inner};
    int rc = what == WANT_HESSIAN ? tg_hessian(evaluate, &e, n, vars, out)
                                  : tg_jacobian(evaluate, &e, n, vars, mode, out);
    for (int k = 0; k < n; k++)
        symtab_set_input_value(&s->syms, index[k], vars[k]);
    free(vars);
    if (rc < 0)
        diag_plain(d, "%s", tg_last_error());
    return rc == 0;
}

/* ---- tg grad --hessian ---- */

bool hessian_compute(session *s, const char *expr, hessian_table *h, diag *d)
{
    *h = (hessian_table){0};
    h->index = wanted_inputs(s, &h->n);
    h->blocks = h->index ? calloc((size_t)h->n * (size_t)h->n + 1, sizeof *h->blocks) : NULL;
    if (!h->blocks) {
        diag_plain(d, "out of memory");
        return false;
    }
    return h->n == 0 ||
           run_driver(s, expr, h->n, h->index, WANT_HESSIAN, TG_JAC_AUTO, h->blocks, d);
}

void hessian_print_text(const session *s, const hessian_table *h)
{
    for (int i = 0; i < h->n; i++)
        for (int j = 0; j < h->n; j++) {
            printf("d2%s/d%s d%s = ", s->result_label, symtab_input_name(&s->syms, h->index[i]),
                   symtab_input_name(&s->syms, h->index[j]));
            text_tensor(stdout, h->blocks[i * h->n + j]);
            putchar('\n');
        }
}

void hessian_print_json(const session *s, const hessian_table *h)
{
    printf(", \"hessian\": {");
    for (int i = 0; i < h->n; i++) {
        printf("%s\"%s\": {", i ? ", " : "", symtab_input_name(&s->syms, h->index[i]));
        for (int j = 0; j < h->n; j++) {
            printf("%s\"%s\": ", j ? ", " : "", symtab_input_name(&s->syms, h->index[j]));
            json_tensor(stdout, h->blocks[i * h->n + j]);
        }
        putchar('}');
    }
    putchar('}');
}

void hessian_free(hessian_table *h)
{
    free(h->index);
    free(h->blocks);
    *h = (hessian_table){0};
}

/* ---- tg jacobian ---- */

typedef struct {
    int n;
    int *index;
    tg_tensor **blocks; /* n: dy/dvar_k, of shape y ⊕ var_k */
    bool forward;       /* the mode the sweeps took */
    int64_t in_elements;
} jacobian_table;

static bool parse_mode(const char *text, tg_jac_mode *mode, diag *d)
{
    static const char *const names[] = {"auto", "forward", "reverse"};
    for (int m = 0; m < 3; m++)
        if (!text || strcmp(text, names[m]) == 0) {
            *mode = text ? (tg_jac_mode)m : TG_JAC_AUTO;
            return true;
        }
    diag_plain(d, "tg jacobian: --mode is auto, forward or reverse, not '%s'", text);
    return false;
}

/* tg_jacobian's choice, for the report: forward when the variables have no
 * more elements than the result. */
static bool takes_forward(tg_jac_mode mode, int64_t in_elements, int64_t out_elements)
{
    return mode == TG_JAC_FORWARD || (mode == TG_JAC_AUTO && in_elements <= out_elements);
}

static bool jacobian_compute(session *s, const char *expr, tg_jac_mode mode, jacobian_table *j,
                             diag *d)
{
    *j = (jacobian_table){0};
    j->index = wanted_inputs(s, &j->n);
    j->blocks = j->index ? calloc((size_t)j->n + 1, sizeof *j->blocks) : NULL;
    if (!j->blocks) {
        diag_plain(d, "out of memory");
        return false;
    }
    for (int k = 0; k < j->n; k++)
        j->in_elements += tg_numel(symtab_input_value(&s->syms, j->index[k]));
    j->forward = takes_forward(mode, j->in_elements, tg_numel(s->prog.result));
    return j->n == 0 || run_driver(s, expr, j->n, j->index, WANT_JACOBIAN, mode, j->blocks, d);
}

static void jacobian_free(jacobian_table *j)
{
    free(j->index);
    free(j->blocks);
}

static void print_text(const session *s, const jacobian_table *j)
{
    const char *y = s->result_label;
    int64_t out_elements = tg_numel(s->prog.result);
    printf("%s = ", y);
    text_tensor(stdout, s->prog.result);
    putchar('\n');
    for (int k = 0; k < j->n; k++) {
        char shape[64];
        printf("d%s/d%s = ", y, symtab_input_name(&s->syms, j->index[k]));
        text_tensor(stdout, j->blocks[k]);
        printf("    (%s: %s's axes, then %s's)\n", shape_text(j->blocks[k], shape, sizeof shape),
               y, symtab_input_name(&s->syms, j->index[k]));
    }
    if (j->n == 0)
        return;
    if (j->forward)
        printf("forward mode: %lld tangent sweeps, one per input element (reverse mode would "
               "take %lld, one per output element)\n",
               (long long)j->in_elements, (long long)out_elements);
    else
        printf("reverse mode: %lld sweeps, one per output element (forward mode would take "
               "%lld, one per input element)\n",
               (long long)out_elements, (long long)j->in_elements);
}

static void print_json(const session *s, const jacobian_table *j)
{
    printf("{\"value\": ");
    json_tensor(stdout, s->prog.result);
    printf(", \"jacobian\": {");
    for (int k = 0; k < j->n; k++) {
        printf("%s\"%s\": ", k ? ", " : "", symtab_input_name(&s->syms, j->index[k]));
        json_tensor(stdout, j->blocks[k]);
    }
    printf("}, \"mode\": \"%s\", \"sweeps\": %lld}\n", j->forward ? "forward" : "reverse",
           (long long)(j->n == 0 ? 0 : j->forward ? j->in_elements : tg_numel(s->prog.result)));
}

int cmd_jacobian(int argc, char **argv)
{
    static const char *const options[] = {"--json", "--wrt", "--mode", NULL};
    cli_args a;
    session s = {0};
    diag d = {0};
    tg_jac_mode mode = TG_JAC_AUTO;
    jacobian_table j = {0};
    bool ok = parse_cli_args(argc, argv, "jacobian", options, &a, &d) &&
              parse_mode(a.mode, &mode, &d) && session_open_any(&s, &a, &d) &&
              jacobian_compute(&s, a.expr, mode, &j, &d);
    if (!ok)
        diag_print(&d);
    else if (a.json)
        print_json(&s, &j);
    else
        print_text(&s, &j);
    jacobian_free(&j);
    session_close(&s);
    cli_args_free(&a);
    return ok ? 0 : TG_EXIT_USAGE;
}
