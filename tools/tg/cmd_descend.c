/* cmd_descend.c -- `tg descend`: gradient descent on an expression, step by
 * step, as the lecture notes write it: at each step the value, the gradient
 * of every variable that learns, and the update with its numbers,
 *
 *     w <- w - lr * dL/dw = 3 - 0.1 * 6 = 2.4
 *
 * Each step evaluates the expression afresh with the variables' new values
 * (the session of grad and explain), so what it prints is what tg grad
 * prints at that point. With --batch B the expression is one sample's loss
 * l_i and each step the notes' mini-batch rule,
 *
 *     w <- w - lr * 1/B sum_i dl_i/dw
 *
 * with every sample's gradient printed before their average. --plot writes
 * the loss and the learning variables' values per step as SVG. */
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
    long batch; /* samples per step; 0 without --batch */
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
    out->batch = 0;
    if (a->batch) {
        errno = 0;
        out->batch = strtol(a->batch, &end, 10);
        if (*end || errno || out->batch < 1 || out->batch > MAX_STEPS) {
            diag_plain(d, "tg descend: --batch wants a number of samples from 1 to %d, not '%s'",
                       MAX_STEPS, a->batch);
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

/* w - lr * g: the update rule, one implementation for both modes */
static tg_tensor *updated(tg_tensor *v, tg_tensor *g, double lr)
{
    return tg_sub(v, tg_mul(g, tg_scalar_of(tg_dtype_of(v), lr)));
}

/* "  w <- w - lr * dY/dw = V - lr * G = NEXT" */
static void print_update(const char *name, const char *grad_name, double lr, const tg_tensor *v,
                         const tg_tensor *g, const tg_tensor *next)
{
    printf("  %s <- %s - %g * %s = ", name, name, lr, grad_name);
    text_tensor(stdout, v);
    printf(" - %g * ", lr);
    text_tensor(stdout, g);
    printf(" = ");
    text_tensor(stdout, next);
    putchar('\n');
}

static bool replace_arg(char **vars, int i, char *arg, diag *d)
{
    if (!arg) {
        diag_plain(d, "tg descend: %s", tg_last_error()[0] ? tg_last_error() : "out of memory");
        return false;
    }
    free(vars[i]);
    vars[i] = arg;
    return true;
}

/* ---- whole-expression steps ------------------------------------------------- */

/* Prints one variable's update and replaces its argument in vars[i]. */
static bool step_variable(const session *s, int i, double lr, char **vars, diag *d)
{
    const char *name = symtab_input_name(&s->syms, i), *y = s->result_label;
    tg_tensor *v = symtab_input_value(&s->syms, i), *g = session_gradient(v);
    tg_tensor *next = updated(v, g, lr);
    char grad_name[160];
    snprintf(grad_name, sizeof grad_name, "d%s/d%s", y, name);
    printf("  %s = ", name);
    text_tensor(stdout, v);
    printf(", %s = ", grad_name);
    text_tensor(stdout, g);
    putchar('\n');
    if (next)
        print_update(name, grad_name, lr, v, g, next);
    return replace_arg(vars, i, next ? assignment(name, next) : NULL, d);
}

/* One step: evaluate, sweep, print the value and every update (none after
 * the last step, whose value is the result). */
static bool descend_step(cli_args *a, long k, const descent *ds, char **vars, plot_history *h,
                         diag *d)
{
    session s = {0};
    bool ok = session_open(&s, a, d) && session_backward(&s, d);
    if (ok) {
        printf("step %ld: %s = %.10g\n", k, s.result_label, tg_item(s.prog.result));
        if (h) {
            plot_history_values(h, k, &s.syms);
            h->loss[k] = tg_item(s.prog.result);
        }
        for (int i = 0; i < s.syms.n_inputs && ok && k < ds->steps; i++)
            if (tg_requires_grad(symtab_input_value(&s.syms, i)))
                ok = step_variable(&s, i, ds->lr, vars, d);
        a->vars = (const char **)vars;
    }
    session_close(&s);
    return ok;
}

/* ---- mini-batch steps --------------------------------------------------------- */

/* A variable that holds one value per sample: a CSV column, or a variable
 * given as an array that does not learn (sample i is its row i). */
typedef struct {
    int index; /* its argument in vars */
    char name[64];
    int row_ndim;
    int64_t row_shape[TG_MAX_DIMS], row_numel;
    double *values; /* n_samples * row_numel */
} sample_var;

/* A variable that learns, as the batch found it, and its summed gradient. */
typedef struct {
    int index;
    const char *name; /* its symbol's, valid while a session is open */
    char own_name[64];
    int ndim;
    int64_t shape[TG_MAX_DIMS], numel;
    double *value, *grad_sum;
} learner;

typedef struct {
    sample_var *samples;
    int n_sample_vars;
    int64_t n_samples;
    learner *learners;
    int n_learners;
} batch_data;

static void batch_data_free(batch_data *b)
{
    for (int k = 0; k < b->n_sample_vars; k++)
        free(b->samples[k].values);
    for (int k = 0; k < b->n_learners; k++) {
        free(b->learners[k].value);
        free(b->learners[k].grad_sum);
    }
    free(b->samples);
    free(b->learners);
}

/* Takes the non-learning array variables of the command line as samples:
 * the variables are evaluated once, and each must have the same first axis. */
static bool samples_from_arrays(cli_args *a, batch_data *b, diag *d)
{
    session s = {0};
    bool ok = session_inputs(&s, a, d);
    b->samples = ok ? calloc((size_t)s.syms.n_inputs + 1, sizeof *b->samples) : NULL;
    if (ok && !b->samples)
        diag_plain(d, "out of memory");
    ok = ok && b->samples;
    for (int i = 0; ok && i < s.syms.n_inputs; i++) {
        tg_tensor *v = symtab_input_value(&s.syms, i);
        const char *name = symtab_input_name(&s.syms, i);
        if (tg_requires_grad(v))
            continue;
        if (tg_ndim(v) == 0 || (b->n_samples && tg_shape(v)[0] != b->n_samples)) {
            diag_plain(d, "tg descend: --batch takes the samples from the variables that do not "
                          "learn, each an array of one row per sample; '%s' has shape %s", name,
                       tg_shape_str(v, (char[64]){0}, 64));
            ok = false;
            break;
        }
        b->n_samples = tg_shape(v)[0];
        sample_var *sv = &b->samples[b->n_sample_vars++];
        sv->index = i;
        snprintf(sv->name, sizeof sv->name, "%s", name);
        sv->row_ndim = tg_ndim(v) - 1;
        sv->row_numel = tg_numel(v) / b->n_samples;
        memcpy(sv->row_shape, tg_shape(v) + 1, (size_t)sv->row_ndim * sizeof *sv->row_shape);
        sv->values = malloc((size_t)tg_numel(v) * sizeof *sv->values);
        ok = sv->values != NULL;
        for (int64_t e = 0; ok && e < tg_numel(v); e++)
            sv->values[e] = tg_get(v, e);
    }
    if (ok && b->n_sample_vars == 0) {
        diag_plain(d, "tg descend: --batch needs samples: --data FILE.csv, or --wrt naming the "
                      "variables that learn and arrays (one row per sample) for the others");
        ok = false;
    }
    session_close(&s);
    return ok;
}

/* The columns of the CSV file as sample variables, their arguments at
 * vars[first ...]. */
static bool samples_from_csv(const csv_columns *csv, int first, batch_data *b, diag *d)
{
    b->samples = calloc((size_t)csv->n_columns, sizeof *b->samples);
    if (!b->samples) {
        diag_plain(d, "out of memory");
        return false;
    }
    b->n_samples = csv->n_rows;
    for (int k = 0; k < csv->n_columns; k++) {
        sample_var *sv = &b->samples[b->n_sample_vars++];
        sv->index = first + k;
        snprintf(sv->name, sizeof sv->name, "%s", csv->names[k]);
        sv->row_numel = 1;
        sv->values = malloc((size_t)csv->n_rows * sizeof *sv->values);
        if (!sv->values) {
            diag_plain(d, "out of memory");
            return false;
        }
        csv_column(csv, k, sv->values);
    }
    return true;
}

/* Binds every sample variable to sample i. */
static bool bind_sample(const batch_data *b, int64_t i, char **vars, diag *d)
{
    bool ok = true;
    for (int k = 0; k < b->n_sample_vars && ok; k++) {
        const sample_var *sv = &b->samples[k];
        tg_tensor *row = tg_tensor_new(TG_F64, sv->row_ndim, sv->row_shape,
                                       sv->values + i * sv->row_numel, false);
        ok = replace_arg(vars, sv->index, row ? assignment(sv->name, row) : NULL, d);
    }
    return ok;
}

/* The learners' values and shapes, from the session of a step's first sample. */
static bool take_learners(const session *s, batch_data *b, diag *d)
{
    for (int k = 0; k < b->n_learners; k++) {
        learner *l = &b->learners[k];
        tg_tensor *v = symtab_input_value(&s->syms, l->index);
        if (!l->value) {
            snprintf(l->own_name, sizeof l->own_name, "%s", symtab_input_name(&s->syms, l->index));
            l->name = l->own_name;
            l->ndim = tg_ndim(v);
            l->numel = tg_numel(v);
            memcpy(l->shape, tg_shape(v), (size_t)l->ndim * sizeof *l->shape);
            l->value = malloc((size_t)l->numel * sizeof *l->value);
            l->grad_sum = malloc((size_t)l->numel * sizeof *l->grad_sum);
            if (!l->value || !l->grad_sum) {
                diag_plain(d, "out of memory");
                return false;
            }
        }
        for (int64_t e = 0; e < l->numel; e++) {
            l->value[e] = tg_get(v, e);
            l->grad_sum[e] = 0;
        }
    }
    return true;
}

/* Evaluates sample i's loss l_i and sweeps it; prints its line when
 * show is set and adds its gradients to the learners' sums. */
static bool run_sample(cli_args *a, char **vars, batch_data *b, int64_t i, bool first, bool show,
                       double *loss, plot_history *h, long k, diag *d)
{
    session s = {0};
    bool ok = bind_sample(b, i, vars, d) && session_open(&s, a, d) && session_backward(&s, d) &&
              (!first || take_learners(&s, b, d));
    if (ok && first && h)
        plot_history_values(h, k, &s.syms);
    if (ok) {
        *loss = tg_item(s.prog.result);
        if (show) {
            printf("  sample %lld (", (long long)i);
            for (int v = 0; v < b->n_sample_vars; v++) {
                printf("%s%s = ", v ? ", " : "", b->samples[v].name);
                text_tensor(stdout, symtab_input_value(&s.syms, b->samples[v].index));
            }
            printf("): l = %.10g", *loss);
        }
        for (int n = 0; n < b->n_learners; n++) {
            learner *l = &b->learners[n];
            tg_tensor *g = session_gradient(symtab_input_value(&s.syms, l->index));
            for (int64_t e = 0; e < l->numel; e++)
                l->grad_sum[e] += tg_get(g, e);
            if (show) {
                printf(", dl/d%s = ", l->name);
                text_tensor(stdout, g);
            }
        }
        if (show)
            putchar('\n');
    }
    session_close(&s);
    return ok;
}

/* The notes' rule for one learner: dL/dw = 1/B sum dl_i/dw, then the update. */
static bool batch_update(learner *l, long batch, double lr, char **vars, diag *d)
{
    tg_tensor *v = tg_tensor_new(TG_F64, l->ndim, l->shape, l->value, false);
    tg_tensor *sum = tg_tensor_new(TG_F64, l->ndim, l->shape, l->grad_sum, false);
    tg_tensor *mean = sum ? tg_mul_scalar(sum, 1.0 / (double)batch) : NULL;
    tg_tensor *next = v && mean ? updated(v, mean, lr) : NULL;
    if (next) {
        printf("  dL/d%s = 1/%ld * sum_i dl_i/d%s = 1/%ld * ", l->name, batch, l->name, batch);
        text_tensor(stdout, sum);
        printf(" = ");
        text_tensor(stdout, mean);
        putchar('\n');
        char grad_name[80];
        snprintf(grad_name, sizeof grad_name, "dL/d%s", l->name);
        print_update(l->name, grad_name, lr, v, mean, next);
    }
    bool ok = replace_arg(vars, l->index, next ? assignment(l->name, next) : NULL, d);
    tg_tape_reset();
    return ok;
}

/* One step over the next ds->batch samples (wrapping round the data); the
 * step after the last update measures the loss over every sample. */
static bool batch_step(cli_args *a, long k, const descent *ds, char **vars, batch_data *b,
                       plot_history *h, diag *d)
{
    bool last = k == ds->steps;
    int64_t n = last ? b->n_samples : ds->batch, first = last ? 0 : (k * ds->batch) % b->n_samples;
    if (last)
        printf("step %ld: all %lld samples\n", k, (long long)n);
    else if (n == 1)
        printf("step %ld: sample %lld\n", k, (long long)first);
    else
        printf("step %ld: samples %lld..%lld%s\n", k, (long long)first,
               (long long)((first + n - 1) % b->n_samples),
               first + n > b->n_samples ? " (round the end)" : "");
    double total = 0;
    bool ok = true;
    for (int64_t j = 0; j < n && ok; j++) {
        double loss = 0;
        ok = run_sample(a, vars, b, (first + j) % b->n_samples, j == 0, !last, &loss, h, k, d);
        total += loss;
    }
    if (!ok)
        return false;
    printf("  L = 1/%lld * sum_i l_i = %.10g\n", (long long)n, total / (double)n);
    if (h)
        h->loss[k] = total / (double)n;
    for (int l = 0; l < b->n_learners && ok && !last; l++)
        ok = batch_update(&b->learners[l], ds->batch, ds->lr, vars, d);
    return ok;
}

/* The learners: the variables --wrt names (all of the command line's when
 * --data gives the samples and there is no --wrt). */
static bool find_learners(cli_args *a, batch_data *b, diag *d)
{
    session s = {0};
    bool ok = session_inputs(&s, a, d);
    b->learners = ok ? calloc((size_t)s.syms.n_inputs + 1, sizeof *b->learners) : NULL;
    if (ok && !b->learners) {
        diag_plain(d, "out of memory");
        ok = false;
    }
    for (int i = 0; ok && i < s.syms.n_inputs; i++) {
        bool sample = false;
        for (int k = 0; k < b->n_sample_vars; k++)
            sample = sample || b->samples[k].index == i;
        if (tg_requires_grad(symtab_input_value(&s.syms, i)) && !sample)
            b->learners[b->n_learners++].index = i;
    }
    if (ok && b->n_learners == 0) {
        diag_plain(d, "tg descend: no variable learns: give one as NAME=VALUE (and in --wrt)");
        ok = false;
    }
    session_close(&s);
    return ok;
}

/* ---- the command ---------------------------------------------------------------- */

/* The run's arguments: the command line's NAME=VALUE copied (they are
 * rewritten as the variables learn), then one per CSV column. */
typedef struct {
    char **vars;
    int n;
    char *wrt; /* the command line's names, when --data comes without --wrt */
    csv_columns csv;
} run_args;

static void run_args_free(run_args *r)
{
    for (int i = 0; r->vars && i < r->n; i++)
        free(r->vars[i]);
    free(r->vars);
    free(r->wrt);
    csv_columns_free(&r->csv);
}

/* Without --wrt, the data's columns are not what learns: the command line's
 * variables are. */
static char *command_line_names(const cli_args *a)
{
    size_t len = 1;
    for (int i = 0; i < a->n_vars; i++)
        len += strcspn(a->vars[i], "=") + 1;
    char *names = malloc(len), *p = names;
    for (int i = 0; names && i < a->n_vars; i++) {
        size_t n = strcspn(a->vars[i], "=");
        memcpy(p, a->vars[i], n);
        p += n;
        *p++ = ',';
    }
    if (names)
        *(p > names ? p - 1 : p) = '\0';
    return names;
}

/* A column as a whole vector, for the expression without --batch. */
static char *column_arg(const csv_columns *csv, int k)
{
    double *values = malloc((size_t)csv->n_rows * sizeof *values);
    tg_tensor *t = values ? tg_tensor_new(TG_F64, 1, &csv->n_rows, csv_column(csv, k, values),
                                          false) : NULL;
    char *arg = t ? assignment(csv->names[k], t) : NULL;
    free(values);
    tg_tape_reset();
    return arg;
}

static bool make_run_args(cli_args *a, const descent *ds, run_args *r, diag *d)
{
    *r = (run_args){0};
    if (a->data && !csv_columns_read(a->data, &r->csv, d))
        return false;
    r->vars = calloc((size_t)(a->n_vars + r->csv.n_columns + 1), sizeof *r->vars);
    bool ok = r->vars != NULL;
    for (int i = 0; ok && i < a->n_vars; i++, r->n++)
        ok = (r->vars[i] = strdup(a->vars[i])) != NULL;
    for (int k = 0; ok && k < r->csv.n_columns; k++, r->n++)
        ok = (r->vars[r->n] = ds->batch ? strdup(r->csv.names[k]) : column_arg(&r->csv, k)) != NULL;
    if (ok && a->data && !a->wrt)
        ok = (a->wrt = r->wrt = command_line_names(a)) != NULL;
    if (!ok)
        diag_plain(d, "out of memory");
    a->vars = (const char **)r->vars;
    a->n_vars = r->n;
    return ok;
}

static bool run_descent(cli_args *a, const descent *ds, run_args *r, plot_history *h, diag *d)
{
    bool ok = true;
    if (!ds->batch) {
        for (long k = 0; ok && k <= ds->steps; k++)
            ok = descend_step(a, k, ds, r->vars, h, d);
        return ok;
    }
    batch_data b = {0};
    if (r->csv.n_columns) {
        /* each column's argument is bound to a sample before every evaluation */
        ok = samples_from_csv(&r->csv, r->n - r->csv.n_columns, &b, d);
    } else if (!a->wrt) {
        diag_plain(d, "tg descend: --batch needs samples: --data FILE.csv, or --wrt naming the "
                      "variables that learn and arrays (one row per sample) for the others");
        ok = false;
    } else
        ok = samples_from_arrays(a, &b, d);
    if (ok && ds->batch > b.n_samples) {
        diag_plain(d, "tg descend: --batch %ld is more than the %lld samples", ds->batch,
                   (long long)b.n_samples);
        ok = false;
    }
    ok = ok && bind_sample(&b, 0, r->vars, d) && find_learners(a, &b, d);
    tg_tape_reset();
    for (long k = 0; ok && k <= ds->steps; k++)
        ok = batch_step(a, k, ds, r->vars, &b, h, d);
    batch_data_free(&b);
    return ok;
}

int cmd_descend(int argc, char **argv)
{
    static const char *const options[] = {"--wrt", "--lr", "--steps", "--plot", "--batch",
                                          "--data", NULL};
    cli_args a;
    diag d = {0};
    descent ds;
    run_args r = {0};
    plot_history h = {0};
    bool ok = parse_cli_args(argc, argv, "descend", options, &a, &d);
    const char **command_line = a.vars; /* make_run_args points a.vars at r's copies */
    ok = ok && parse_descent(&a, &ds, &d) && make_run_args(&a, &ds, &r, &d) &&
              (!a.plot || plot_history_init(&h, ds.steps + 1, &d)) &&
              run_descent(&a, &ds, &r, a.plot ? &h : NULL, &d) &&
              (!a.plot || plot_history_write(&h, a.plot, "tg descend", a.expr, &d));
    if (!ok)
        diag_print(&d);
    plot_history_free(&h);
    run_args_free(&r);
    a.vars = command_line;
    cli_args_free(&a);
    return ok ? 0 : TG_EXIT_USAGE;
}
