/* cmd_descend.c -- `tg descend`: gradient descent on an expression, step by
 * step, as the lecture notes write it: at each step the value, the gradient
 * of every variable that learns, and the update with its numbers,
 *
 *     w <- w - lr * dL/dw = 3 - 0.1 * 6 = 2.4
 *
 * Each step evaluates the expression afresh with the variables' new values
 * (the session of grad and explain), so what it prints is what tg grad
 * prints at that point. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tg.h"

#define MAX_STEPS 100000

typedef struct {
    double lr;
    long steps;
} descent;

static bool parse_descent(const cli_args *a, descent *out, diag *d)
{
    char *end;
    errno = 0;
    out->lr = a->lr ? strtod(a->lr, &end) : NAN;
    if (!a->lr || *end || errno || !(out->lr > 0) || !isfinite(out->lr)) {
        diag_plain(d, "tg descend: --lr wants a positive learning rate%s%s%s",
                   a->lr ? ", not '" : " (it is required)", a->lr ? a->lr : "", a->lr ? "'" : "");
        return false;
    }
    out->steps = 10;
    if (a->steps) {
        errno = 0;
        out->steps = strtol(a->steps, &end, 10);
        if (*end || errno || out->steps < 1 || out->steps > MAX_STEPS) {
            diag_plain(d, "tg descend: --steps wants a whole number from 1 to %d, not '%s'",
                       MAX_STEPS, a->steps);
            return false;
        }
    }
    return true;
}

/* t as a literal the language reads back to the same doubles ("[1.5, 2]") */
static char *literal(const tg_tensor *t)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    json_tensor(f, t);
    return fclose(f) == 0 ? text : (free(text), NULL);
}

/* "w=LITERAL", a variable argument with a new value */
static char *assignment(const char *name, const tg_tensor *value)
{
    char *lit = literal(value);
    size_t n = lit ? strlen(name) + strlen(lit) + 2 : 0;
    char *arg = lit ? malloc(n) : NULL;
    if (arg)
        snprintf(arg, n, "%s=%s", name, lit);
    free(lit);
    return arg;
}

/* Prints one variable's update and replaces its argument in vars[k]. */
static bool step_variable(const session *s, int i, double lr, const char **vars, char **owned,
                          diag *d)
{
    const char *name = symtab_input_name(&s->syms, i), *y = s->result_label;
    tg_tensor *v = symtab_input_value(&s->syms, i), *g = session_gradient(v);
    tg_tensor *next = tg_sub(v, tg_mul(g, tg_scalar_of(tg_dtype_of(v), lr)));
    char *arg = next ? assignment(name, next) : NULL;
    if (!arg) {
        diag_plain(d, "tg descend: %s", next ? "out of memory" : tg_last_error());
        return false;
    }
    printf("  %s = ", name);
    text_tensor(stdout, v);
    printf(", d%s/d%s = ", y, name);
    text_tensor(stdout, g);
    printf("\n  %s <- %s - %g * d%s/d%s = ", name, name, lr, y, name);
    text_tensor(stdout, v);
    printf(" - %g * ", lr);
    text_tensor(stdout, g);
    printf(" = ");
    text_tensor(stdout, next);
    putchar('\n');
    free(owned[i]);
    owned[i] = arg;
    vars[i] = arg;
    return true;
}

/* One step: evaluate, sweep, print the value and every update (none after
 * the last step, whose value is the result). */
static bool descend_step(cli_args *a, long k, const descent *ds, char **owned, diag *d)
{
    session s = {0};
    bool ok = session_open(&s, a, d) && session_backward(&s, d);
    if (ok) {
        printf("step %ld: %s = %.10g\n", k, s.result_label, tg_item(s.prog.result));
        for (int i = 0; i < s.syms.n_inputs && ok && k < ds->steps; i++)
            if (tg_requires_grad(symtab_input_value(&s.syms, i)))
                ok = step_variable(&s, i, ds->lr, a->vars, owned, d);
    }
    session_close(&s);
    return ok;
}

int cmd_descend(int argc, char **argv)
{
    static const char *const options[] = {"--wrt", "--lr", "--steps", NULL};
    cli_args a;
    diag d = {0};
    descent ds;
    bool ok = parse_cli_args(argc, argv, "descend", options, &a, &d) && parse_descent(&a, &ds, &d);
    char **owned = ok ? calloc((size_t)a.n_vars + 1, sizeof *owned) : NULL;
    if (ok && !owned)
        diag_plain(&d, "out of memory");
    ok = ok && owned;
    for (long k = 0; ok && k <= ds.steps; k++)
        ok = descend_step(&a, k, &ds, owned, &d);
    if (!ok)
        diag_print(&d);
    for (int i = 0; owned && i < a.n_vars; i++)
        free(owned[i]);
    free(owned);
    cli_args_free(&a);
    return ok ? 0 : TG_EXIT_USAGE;
}
