/*
 * cmd_gradcheck.c -- `tg gradcheck`: every op of the catalogue through
 * tg_gradcheck in float64 and float32, as a table. Each op's catalogue row
 * says how to call it and where its inputs are drawn (tg_op_sample_inputs:
 * positive for log, sqrt and a power's base, away from 0 for the ops with a
 * kink), so an op added to the library is checked here without an edit.
 *
 * `tg gradcheck EXPR NAME=VALUE...` checks the user's own expression
 * instead, one row per variable element: tg_gradcheck runs on that one
 * element (the variable is rebuilt around it by where(), whose gradient
 * passes through unchanged), so each row shows the library's own analytic
 * and numeric values and its own tolerance test.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tg.h"

static char *shapes_text(int n, tg_tensor *const *in, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < n && len < size; k++) {
        len += (size_t)snprintf(buf + len, size - len, "%s", k ? ", " : "");
        for (int i = 0; i < tg_ndim(in[k]) && len < size; i++)
            len += (size_t)snprintf(buf + len, size - len, i ? "x%lld" : "%lld",
                                    (long long)tg_shape(in[k])[i]);
    }
    return buf;
}

/* One row of the table; returns whether the check passed. */
static bool check_op(const tg_op_info *row, tg_dtype dtype, uint64_t *seed)
{
    tg_tensor *in[TG_MAX_INPUTS];
    tg_gradcheck_result r = {0};
    int n = row->sample.n_inputs;
    int rc = tg_op_sample_inputs(row, dtype, seed, in);
    if (rc == 0)
        rc = tg_gradcheck(row->sample.call, NULL, n, in, NULL, &r);
    char shapes[64] = "";
    printf("%-16s %-8s %-14s %12.3g  %s\n", row->name, tg_dtype_name(dtype),
           rc == 0 || rc == TG_EMISMATCH ? shapes_text(n, in, shapes, sizeof shapes) : "",
           r.max_abs_err, rc == 0 ? "pass" : "FAIL");
    if (rc != 0)
        printf("  %s\n", tg_last_error());
    tg_tape_reset();
    return rc == 0;
}

/* ---- the user's expression ---------------------------------------------- */

/* tg_gradcheck's float64 defaults, given explicitly so that the table can
 * state the test it applied. */
static const tg_gradcheck_opts expression_tolerance = {.eps = 1e-6, .atol = 1e-5, .rtol = 1e-3};

/* The expression as a function of one element of variable index: the
 * variable is where(mask, e, value), the mask one-hot at the element. */
typedef struct {
    session *s;
    const char *expr;
    int index;
    tg_tensor *value, *mask;
    diag *d;
} element_fn;

static tg_tensor *evaluate_element(tg_tensor *const *in, void *ctx)
{
    element_fn *e = ctx;
    tg_tensor *v = tg_where(e->mask, in[0], e->value);
    if (!v)
        return NULL;
    symtab_set_input_value(&e->s->syms, e->index, v);
    return eval_value(e->expr, &e->s->syms, e->d);
}

/* One row: the gradcheck of element flat of variable index, in a session
 * of its own. Returns 1 when it passed, 0 when it did not, -1 on an error. */
static int check_element(const cli_args *a, int index, int64_t flat, diag *d)
{
    session s = {0};
    if (!session_open(&s, a, d)) {
        session_close(&s);
        return -1;
    }
    tg_tensor *v = symtab_input_value(&s.syms, index);
    tg_tensor *value = tg_detach(v);
    tg_tensor *mask = tg_full(TG_F64, tg_ndim(v), tg_shape(v), 0.0, false);
    double x = tg_get(v, flat);
    tg_tensor *e = tg_tensor_new(TG_F64, 0, NULL, &x, true);
    int rc = value && mask && e ? tg_set(mask, flat, 1.0) : TG_ENOMEM;
    diag inner = {0};
    element_fn fn = {&s, a->expr, index, value, mask, &inner};
    tg_gradcheck_result r = {0};
    if (rc == 0)
        rc = tg_gradcheck(evaluate_element, &fn, 1, &e, &expression_tolerance, &r);
    if (rc == 0 || rc == TG_EMISMATCH) {
        char where[64], rel[32];
        double err = fabs(r.analytic - r.numeric);
        if (r.numeric != 0)
            snprintf(rel, sizeof rel, "%.3g", err / fabs(r.numeric));
        else
            snprintf(rel, sizeof rel, "-"); /* relative to nothing */
        const char *element = tg_ndim(v) ? index_text(v, flat, ", ", where, sizeof where) : "-";
        printf("%-10s %-9s %15.10g %15.10g %10.3g %10s  %s\n", symtab_input_name(&s.syms, index),
               element, r.analytic, r.numeric, err, rel, rc == 0 ? "ok" : "FAIL");
    } else
        diag_plain(d, "tg gradcheck: %s", tg_last_error());
    session_close(&s);
    return rc == 0 ? 1 : rc == TG_EMISMATCH ? 0 : -1;
}

/* The table over every element of every variable that wants a gradient. */
static int check_expression(int argc, char **argv)
{
    static const char *const options[] = {"--wrt", NULL};
    cli_args a;
    diag d = {0};
    session s = {0};
    bool ok = parse_cli_args(argc, argv, "gradcheck", options, &a, &d) && session_open(&s, &a, &d);
    int n_inputs = ok ? s.syms.n_inputs : 0, passed = 0, total = 0;
    int64_t *sizes = calloc((size_t)n_inputs + 1, sizeof *sizes);
    for (int i = 0; ok && i < n_inputs; i++)
        sizes[i] = tg_requires_grad(symtab_input_value(&s.syms, i))
                       ? tg_numel(symtab_input_value(&s.syms, i)) : 0;
    session_close(&s);
    if (ok)
        printf("%-10s %-9s %15s %15s %10s %10s  %s\n", "variable", "element", "analytic",
               "numeric", "abs err", "rel err", "ok");
    for (int i = 0; ok && i < n_inputs; i++)
        for (int64_t e = 0; ok && e < sizes[i]; e++, total++) {
            int rc = check_element(&a, i, e, &d);
            ok = rc >= 0;
            passed += rc == 1;
        }
    if (ok)
        printf("\n%d of %d entries agree: |analytic - numeric| <= %g + %g |numeric|, central "
               "differences with eps %g\n", passed, total, expression_tolerance.atol,
               expression_tolerance.rtol, expression_tolerance.eps);
    else
        diag_print(&d);
    free(sizes);
    cli_args_free(&a);
    return !ok ? TG_EXIT_USAGE : passed < total ? TG_EXIT_FAILURE : 0;
}

/* ---- every op of the catalogue --------------------------------------------- */

int cmd_gradcheck(int argc, char **argv)
{
    if (argc > 0 && strncmp(argv[0], "--", 2) != 0)
        return check_expression(argc, argv);
    uint64_t seed = 1;
    for (int i = 0; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], &end, 10);
        if (!end || *end || end == argv[i]) {
            fprintf(stderr, "tg: error: gradcheck takes only --seed N (see tg help gradcheck)\n");
            return TG_EXIT_USAGE;
        }
    }
    printf("%-16s %-8s %-14s %12s  %s\n", "op", "dtype", "shapes", "max abs err", "result");
    int failed = 0, total = 0;
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const tg_op_info *row = tg_op_info_of((tg_op_kind)k);
        if (!row->sample.call)
            continue; /* internal and user-defined kinds: nothing to call */
        for (int dt = TG_F64; dt >= TG_F32; dt--, total++)
            failed += !check_op(row, (tg_dtype)dt, &seed);
    }
    printf("\n%d of %d checks passed\n", total - failed, total);
    return failed ? TG_EXIT_FAILURE : 0;
}
