/* args.c -- the command line shared by grad, explain and dot:
 * EXPR NAME=VALUE... with long options anywhere ("--" ends them), and the
 * session they set up: variables made, expression evaluated. */
#include <stdlib.h>
#include <string.h>

#include "tg.h"

static bool allowed_option(const char *const *allowed, const char *name, size_t len)
{
    for (; *allowed; allowed++)
        if (strlen(*allowed) == len && memcmp(*allowed, name, len) == 0)
            return true;
    return false;
}

/* Stores the value of --NAME into a; --json, --hessian and --standalone are
 * the flags without one. */
static bool store_option(cli_args *a, const char *name, const char *val)
{
    if (strcmp(name, "--wrt") == 0)
        a->wrt = val;
    else if (strcmp(name, "--format") == 0)
        a->format = val;
    else if (strcmp(name, "--png") == 0)
        a->png = val;
    else if (strcmp(name, "--mode") == 0)
        a->mode = val;
    else if (strcmp(name, "--order") == 0)
        a->order = val;
    else if (strcmp(name, "--lr") == 0)
        a->lr = val;
    else if (strcmp(name, "--steps") == 0)
        a->steps = val;
    else if (strcmp(name, "--digits") == 0)
        a->digits = val;
    else if (strcmp(name, "--elide") == 0)
        a->elide = val;
    else if (strcmp(name, "--expand") == 0)
        a->expand = val;
    else if (strcmp(name, "--plot") == 0)
        a->plot = val;
    else if (strcmp(name, "--batch") == 0)
        a->batch = val;
    else if (strcmp(name, "--data") == 0)
        a->data = val;
    else if (strcmp(name, "--params") == 0)
        a->params = val;
    else if (strcmp(name, "--target") == 0)
        a->target = val;
    else if (strcmp(name, "--loss") == 0)
        a->loss = val;
    else if (strcmp(name, "--opt") == 0)
        a->opt = val;
    else if (strcmp(name, "--blank") == 0)
        a->blank = val;
    else if (strcmp(name, "--answers") == 0)
        a->answers = val;
    else if (strcmp(name, "--tol") == 0)
        a->tol = val;
    else if (strcmp(name, "--edges") == 0)
        a->edges = val;
    else if (strcmp(name, "--repeat") == 0)
        a->repeat = val;
    else
        return false;
    return true;
}

static bool parse_option(int argc, char **argv, int *i, const char *cmd,
                         const char *const *allowed, cli_args *a, diag *d)
{
    const char *arg = argv[*i], *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (!allowed_option(allowed, arg, len)) {
        diag_plain(d, "tg %s: unknown option '%.*s' (see tg help %s)", cmd, (int)len, arg, cmd);
        return false;
    }
    if (len == 6 && memcmp(arg, "--json", 6) == 0 && !eq) {
        a->json = true;
        return true;
    }
    if (len == 9 && memcmp(arg, "--hessian", 9) == 0 && !eq) {
        a->hessian = true;
        return true;
    }
    if (len == 12 && memcmp(arg, "--standalone", 12) == 0 && !eq) {
        a->standalone = true;
        return true;
    }
    const char *val = eq ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
    char name[16];
    snprintf(name, sizeof name, "%.*s", (int)len, arg);
    if (!val || !store_option(a, name, val)) {
        diag_plain(d, "tg %s: option %s needs a value", cmd, name);
        return false;
    }
    return true;
}

bool parse_cli_args(int argc, char **argv, const char *cmd, const char *const *allowed,
                    cli_args *a, diag *d)
{
    *a = (cli_args){0};
    a->vars = malloc((size_t)(argc + 1) * sizeof *a->vars);
    if (!a->vars) {
        diag_plain(d, "out of memory");
        return false;
    }
    bool options_done = false;
    for (int i = 0; i < argc; i++) {
        if (!options_done && strcmp(argv[i], "--") == 0)
            options_done = true;
        else if (!options_done && strncmp(argv[i], "--", 2) == 0) {
            if (!parse_option(argc, argv, &i, cmd, allowed, a, d))
                return false;
        } else if (!a->expr)
            a->expr = argv[i];
        else
            a->vars[a->n_vars++] = argv[i];
    }
    if (!a->expr) {
        diag_plain(d, "tg %s: missing EXPR (see tg help %s)", cmd, cmd);
        return false;
    }
    return true;
}

void cli_args_free(cli_args *a)
{
    free(a->vars);
    a->vars = NULL;
}

/* Whether name (len bytes) is one of the comma-separated names in list. */
static bool in_list(const char *list, const char *name, size_t len)
{
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && memcmp(p, name, len) == 0)
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

static bool check_wrt(const symtab *s, const char *wrt, diag *d)
{
    for (const char *p = wrt; *p;) {
        size_t n = strcspn(p, ",");
        bool known = false;
        for (int i = 0; i < s->n_inputs && !known; i++) {
            const char *name = symtab_input_name(s, i);
            known = strlen(name) == n && memcmp(name, p, n) == 0;
        }
        if (!known) {
            diag_plain(d, "--wrt names '%.*s', which is not a variable given as NAME=VALUE",
                       (int)n, p);
            return false;
        }
        p += n + (p[n] == ',');
    }
    return true;
}

bool session_inputs(session *s, const cli_args *a, diag *d)
{
    *s = (session){0};
    for (int i = 0; i < a->n_vars; i++) {
        const char *arg = a->vars[i];
        size_t len = strcspn(arg, "=");
        bool wanted = !a->wrt || in_list(a->wrt, arg, len);
        if (!symtab_add_input(&s->syms, arg, wanted, d))
            return false;
    }
    return !a->wrt || check_wrt(&s->syms, a->wrt, d);
}

/* One naming rule for every subcommand: the labeler's. */
static bool name_result(session *s, diag *d)
{
    labeler *l = labeler_new(&s->syms, &s->prog);
    if (!l) {
        diag_plain(d, "out of memory");
        return false;
    }
    snprintf(s->result_label, sizeof s->result_label, "%s", label_of(l, s->prog.result));
    labeler_free(l);
    return true;
}

bool session_open_any(session *s, const cli_args *a, diag *d)
{
    return session_inputs(s, a, d) && eval_program(a->expr, &s->syms, &s->prog, d) &&
           name_result(s, d);
}

bool session_open(session *s, const cli_args *a, diag *d)
{
    if (!session_open_any(s, a, d))
        return false;
    tg_tensor *r = s->prog.result;
    if (tg_numel(r) != 1) {
        char shape[64];
        diag_at(d, a->expr, NULL, s->prog.result_offset,
                "the result has shape %s; gradients need a single number: wrap it in sum() or "
                "mean()", shape_text(r, shape, sizeof shape));
        return false;
    }
    return true;
}

void session_close(session *s)
{
    program_free(&s->prog);
    symtab_free(&s->syms);
    tg_tape_reset();
}

bool session_backward(const session *s, diag *d)
{
    if (!tg_requires_grad(s->prog.result))
        return true; /* a constant: every gradient is zero */
    if (tg_backward(s->prog.result) == 0)
        return true;
    diag_plain(d, "%s", tg_last_error());
    return false;
}

tg_tensor *session_gradient(tg_tensor *v)
{
    tg_tensor *g = tg_grad_tensor(v);
    return g ? g : tg_full(tg_dtype_of(v), tg_ndim(v), tg_shape(v), 0.0, false);
}
