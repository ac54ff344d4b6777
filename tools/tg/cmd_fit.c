/* cmd_fit.c -- `tg fit`: fits the named parameters of any expression by an
 * optimizer of nn (tapegrad/optim.h), as one would with torch.optim:
 *
 *     tg fit 'a*exp(-b*t) + c' --data decay.csv --params a=1,b=0.1,c=0 \
 *            --target y --loss mse --opt adam --lr 0.05 --steps 2000
 *
 * Every step evaluates the expression on the whole data (the CSV columns
 * are vectors, so the expression is evaluated for all rows at once; a
 * full-batch step), takes the loss against the target column, sweeps back
 * and lets the optimizer update the parameters. Parameters, constants and
 * columns are persistent tensors bound to the expression's names once; a
 * step records only the expression's ops. The expression is parsed once:
 * the first step records the ops it makes (parser.c's recording), and
 * every later step runs them again, so a step neither parses nor allocates.
 * Without --target the expression is itself the loss (Mazur's network,
 * written out with its targets). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

#define DEFAULT_STEPS 1000
#define MAX_STEPS 10000000
#define PROGRESS_LINES 10

typedef struct {
    cli_args a;
    long steps;
    double lr;
    tg_optim_config cfg;
    const char *loss; /* the loss function's name; NULL: the expression is the loss */
    const function_def *loss_fn;
    csv_columns csv;
    symtab syms;
    tg_params *params;       /* owns the parameters */
    tg_tensor **constants;   /* the other persistent inputs, freed by the command */
    int n_constants;
    tg_tensor *target;
    tg_optim *optim;
    recording *expr;   /* the expression's ops, recorded by the first step */
    int result_offset; /* where its last statement starts, for messages */
} fit;

static bool parse_numbers(fit *f, diag *d)
{
    char *end = NULL;
    f->steps = DEFAULT_STEPS;
    if (f->a.steps) {
        errno = 0;
        f->steps = strtol(f->a.steps, &end, 10);
        if (*end || errno || f->steps < 1 || f->steps > MAX_STEPS) {
            diag_plain(d, "tg fit: --steps wants a whole number from 1 to %d, not '%s'", MAX_STEPS,
                       f->a.steps);
            return false;
        }
    }
    f->lr = 0;
    if (f->a.lr) {
        errno = 0;
        f->lr = strtod(f->a.lr, &end);
        if (*end || errno || !(f->lr > 0) || !isfinite(f->lr)) {
            diag_plain(d, "tg fit: --lr wants a positive learning rate, not '%s'", f->a.lr);
            return false;
        }
    }
    return optimizer_named("fit", f->a.opt ? f->a.opt : "adam", f->lr, &f->cfg, d);
}

static bool parse_loss(fit *f, diag *d)
{
    if (!f->a.params) {
        diag_plain(d, "tg fit: --params NAME=VALUE,... is required: the parameters to fit");
        return false;
    }
    if (f->a.loss && !f->a.target) {
        diag_plain(d, "tg fit: --loss compares the expression with --target NAME; without "
                      "--target the expression is the loss");
        return false;
    }
    f->loss = f->a.target ? (f->a.loss ? f->a.loss : "mse") : NULL;
    if (f->loss && !is_loss_name(f->loss)) {
        diag_plain(d, "tg fit: --loss wants mse, sse, l2, bce, bce_logits or ce, not '%s'",
                   f->loss);
        return false;
    }
    f->loss_fn = f->loss ? function_named(f->loss) : NULL;
    return true;
}

/* Moves input i onto a persistent copy, so that it survives the steps'
 * tape resets; parameters go into the registry the optimizer updates. */
static bool make_persistent(fit *f, int i, bool parameter, diag *d)
{
    tg_tensor *v = symtab_input_value(&f->syms, i);
    tg_tensor *p = parameter ? tg_param(TG_F64, tg_ndim(v), tg_shape(v), tg_data(v))
                             : tg_persistent(TG_F64, tg_ndim(v), tg_shape(v), tg_data(v), false);
    int rc = !p ? TG_ENOMEM
             : parameter ? tg_params_add(f->params, symtab_input_name(&f->syms, i), p)
                         : (f->constants[f->n_constants++] = p, 0);
    if (rc < 0) {
        diag_plain(d, "tg fit: %s", tg_last_error());
        return false;
    }
    symtab_set_input_value(&f->syms, i, p);
    return true;
}

/* The parameters of --params, split at the commas outside brackets
 * (W=[[1,2],[3,4]],b=0 is two). */
static bool add_params(fit *f, diag *d)
{
    const char *p = f->a.params;
    while (*p) {
        size_t n = 0;
        for (int depth = 0; p[n] && (depth > 0 || p[n] != ','); n++)
            depth += p[n] == '[' ? 1 : p[n] == ']' ? -1 : 0;
        char *piece = strndup(p, n);
        bool ok = piece && symtab_add_input(&f->syms, piece, true, d) &&
                  make_persistent(f, f->syms.n_inputs - 1, true, d);
        if (!piece)
            diag_plain(d, "out of memory");
        free(piece);
        if (!ok)
            return false;
        p += n + (p[n] == ',');
    }
    return true;
}

/* A column of the CSV file as a constant vector named by its header. */
static bool add_column(fit *f, int k, diag *d)
{
    size_t len = strlen(f->csv.names[k]) + 3;
    char *arg = malloc(len);
    if (!arg) {
        diag_plain(d, "out of memory");
        return false;
    }
    snprintf(arg, len, "%s=0", f->csv.names[k]); /* bound to the column below */
    bool ok = symtab_add_input(&f->syms, arg, false, d);
    free(arg);
    double *values = ok ? malloc((size_t)f->csv.n_rows * sizeof *values) : NULL;
    tg_tensor *column = values ? tg_persistent(TG_F64, 1, &f->csv.n_rows,
                                               csv_column(&f->csv, k, values), false) : NULL;
    free(values);
    if (ok && !column) {
        diag_plain(d, "tg fit: %s", tg_last_error());
        return false;
    }
    if (ok) {
        f->constants[f->n_constants++] = column;
        symtab_set_input_value(&f->syms, f->syms.n_inputs - 1, column);
    }
    return ok;
}

static bool bind_inputs(fit *f, diag *d)
{
    if (f->a.data && !csv_columns_read(f->a.data, &f->csv, d))
        return false;
    f->params = tg_params_new();
    f->constants = calloc((size_t)(f->a.n_vars + f->csv.n_columns + 1), sizeof *f->constants);
    if (!f->params || !f->constants) {
        diag_plain(d, "out of memory");
        return false;
    }
    if (!add_params(f, d))
        return false;
    for (int i = 0; i < f->a.n_vars; i++)
        if (!symtab_add_input(&f->syms, f->a.vars[i], false, d) ||
            !make_persistent(f, f->syms.n_inputs - 1, false, d))
            return false;
    for (int k = 0; k < f->csv.n_columns; k++)
        if (!add_column(f, k, d))
            return false;
    if (f->a.target && !(f->target = symtab_lookup(&f->syms, f->a.target))) {
        diag_plain(d, "tg fit: --target names '%s', which is neither a column of the data nor a "
                      "variable given as NAME=VALUE", f->a.target);
        return false;
    }
    f->optim = tg_optim_new(f->params, &f->cfg);
    return f->optim ? true : library_failed(d);
}

/* The expression's value at the parameters' current values: parsed and
 * recorded the first time, the recording run again after that. */
static tg_tensor *expression_now(fit *f, diag *d)
{
    if (f->expr)
        return recording_run(f->expr, &f->syms, d);
    program prog = {0};
    bool ok = eval_program_recorded(f->a.expr, &f->syms, &prog, &f->expr, d);
    f->result_offset = prog.result_offset;
    program_free(&prog);
    return ok ? prog.result : NULL;
}

/* The loss at the parameters' current values, recorded on the tape. */
static tg_tensor *loss_now(fit *f, diag *d)
{
    tg_tensor *loss = expression_now(f, d);
    if (loss && f->loss) {
        operand args[2] = {{.t = loss}, {.t = f->target}}, out = {0};
        result_list none = {0};
        loss = call_function_def(f->loss_fn, f->loss, args, 2, f->a.expr, f->result_offset,
                                 &none, &out, d) ? out.t : NULL;
    }
    if (loss && tg_numel(loss) != 1) {
        char shape[64];
        diag_at(d, f->a.expr, NULL, f->result_offset,
                "the loss has shape %s; fitting needs a single number: give --target, or wrap "
                "the expression in sum() or mean()", shape_text(loss, shape, sizeof shape));
        return NULL;
    }
    return loss;
}

/* One step (an update unless update is false); *value is the loss before it. */
static bool fit_step(fit *f, bool update, double *value, diag *d)
{
    tg_tensor *loss = loss_now(f, d);
    bool ok = loss != NULL;
    if (ok) {
        *value = tg_item(loss);
        if (update && (tg_backward(loss) < 0 || tg_optim_step(f->optim) < 0))
            ok = library_failed(d);
        tg_optim_zero_grad(f->optim);
    }
    tg_tape_reset();
    return ok;
}

static void print_params(const fit *f)
{
    for (int i = 0; i < tg_params_count(f->params); i++) {
        const char *name;
        tg_tensor *p = tg_params_at(f->params, i, &name);
        printf("%s = ", name);
        text_tensor(stdout, p);
        putchar('\n');
    }
}

static bool run_fit(fit *f, plot_history *h, diag *d)
{
    const char *opt = f->a.opt ? f->a.opt : "adam";
    printf("fitting %d parameter%s with %s, lr %g, %ld step%s", tg_params_count(f->params),
           tg_params_count(f->params) == 1 ? "" : "s", opt, f->cfg.lr, f->steps,
           f->steps == 1 ? "" : "s");
    if (f->a.data)
        printf(", on %lld rows of %s", (long long)f->csv.n_rows, f->a.data);
    if (f->loss)
        printf("; loss %s(EXPR, %s)", f->loss, f->a.target);
    putchar('\n');
    long every = f->steps / PROGRESS_LINES > 0 ? f->steps / PROGRESS_LINES : 1;
    double value = NAN;
    for (long k = 0; k <= f->steps; k++) {
        if (h)
            plot_history_values(h, k, &f->syms);
        if (!fit_step(f, k < f->steps, &value, d))
            return false;
        if (h)
            h->loss[k] = value;
        if (k % every == 0 && k < f->steps)
            printf("step %ld: loss = %.10g\n", k, value);
        if (!isfinite(value)) {
            diag_plain(d, "tg fit: the loss is %g at step %ld; try a smaller --lr", value, k);
            return false;
        }
    }
    printf("step %ld: loss = %.10g\n", f->steps, value);
    print_params(f);
    return true;
}

static void fit_free(fit *f)
{
    recording_free(f->expr);
    tg_optim_free(f->optim);
    tg_params_free(f->params);
    for (int i = 0; i < f->n_constants; i++)
        tg_free(f->constants[i]);
    free(f->constants);
    symtab_free(&f->syms);
    csv_columns_free(&f->csv);
    cli_args_free(&f->a);
    tg_tape_reset();
}

int cmd_fit(int argc, char **argv)
{
    static const char *const options[] = {"--params", "--data", "--target", "--loss", "--opt",
                                          "--lr",     "--steps", "--plot",  NULL};
    fit f = {0};
    diag d = {0};
    plot_history h = {0};
    bool ok = parse_cli_args(argc, argv, "fit", options, &f.a, &d) && parse_loss(&f, &d) &&
              parse_numbers(&f, &d) && bind_inputs(&f, &d) &&
              (!f.a.plot || plot_history_init(&h, f.steps + 1, &d)) &&
              run_fit(&f, f.a.plot ? &h : NULL, &d) &&
              (!f.a.plot || plot_history_write(&h, f.a.plot, "tg fit", f.a.expr, &d));
    if (!ok)
        diag_print(&d);
    plot_history_free(&h);
    fit_free(&f);
    return ok ? 0 : TG_EXIT_USAGE;
}
