/* gradcheck.c -- analytic Jacobian by reverse sweeps, numeric by central
 * differences. */
#include <math.h>
#include <string.h>

#include <tapegrad/gradcheck.h>

#include "internal.h"

typedef struct {
    tg_fn f;
    void *ctx;
    int n;
    tg_tensor *const *inputs;
    tg_gradcheck_opts opts;
} check;

static tg_gradcheck_opts defaults_for(tg_dtype dtype, const tg_gradcheck_opts *user)
{
    bool f64 = dtype == TG_F64;
    tg_gradcheck_opts o = {f64 ? 1e-6 : 1e-3, f64 ? 1e-5 : 1e-2, f64 ? 1e-3 : 1e-2};
    if (user && user->eps > 0)
        o.eps = user->eps;
    if (user && user->atol > 0)
        o.atol = user->atol;
    if (user && user->rtol > 0)
        o.rtol = user->rtol;
    return o;
}

static int validate(const check *c)
{
    if (!c->f)
        return tg__fail(TG_ENULL, "tg_gradcheck: argument 1 (f) is NULL");
    if (c->n < 1 || !c->inputs)
        return tg__fail(TG_EVALUE, "tg_gradcheck: no inputs (n_inputs %d)", c->n);
    for (int k = 0; k < c->n; k++) {
        int rc = tg__check("tg_gradcheck", c->inputs[k], k + 4);
        if (rc < 0)
            return rc;
    }
    return TG_OK;
}

static int evaluate(const check *c, tg_tensor **y)
{
    *y = c->f(c->inputs, c->ctx);
    if (*y)
        return tg__check("tg_gradcheck", *y, 0);
    if (tg_last_error_code() == TG_OK)
        tg__fail(TG_ESTATE, "tg_gradcheck: f returned NULL without setting an error");
    return tg_last_error_code();
}

/* Row j of the analytic Jacobian: d y_j / d every input element, written to
 * jac[j * total + offset of the element]. */
static int analytic_row(const check *c, tg_tensor *y, int64_t j, double *row)
{
    if (!(y->flags & TG_REQUIRES_GRAD)) { /* y does not depend on any input */
        for (int k = 0; k < c->n; k++) {
            memset(row, 0, (size_t)c->inputs[k]->numel * sizeof *row);
            row += c->inputs[k]->numel;
        }
        return TG_OK;
    }
    tg_tensor *seed = tg__zeros_like(y);
    if (!seed)
        return tg_last_error_code();
    tg__store(seed, j, 1.0);
    for (int k = 0; k < c->n; k++)
        tg_zero_grad(c->inputs[k]);
    int rc = tg_backward_ex(y, seed, TG_RETAIN_GRAPH);
    if (rc < 0)
        return rc;
    for (int k = 0; k < c->n; k++) {
        const tg_tensor *x = c->inputs[k];
        for (int64_t i = 0; i < x->numel; i++)
            *row++ = x->grad ? tg__load(x->grad, i) : 0.0;
    }
    return TG_OK;
}

/* Column (k, i) of the numeric Jacobian, written to col[j] for each output. */
static int numeric_column(const check *c, tg_tensor *x, int64_t i, double *col, int64_t n_out)
{
    double v = tg__load(x, i), h = c->opts.eps;
    tg_tensor *plus, *minus;
    tg_no_grad_begin();
    tg__store(x, i, v + h);
    double up = tg__load(x, i); /* the step actually taken, after rounding to the dtype */
    int rc = evaluate(c, &plus);
    /* read f(x + h) now: if f returns a view of x, the next step changes it */
    for (int64_t j = 0; rc == 0 && j < n_out; j++)
        col[j] = tg__load(plus, j);
    tg__store(x, i, v - h);
    double down = tg__load(x, i);
    if (rc == 0)
        rc = evaluate(c, &minus);
    for (int64_t j = 0; rc == 0 && j < n_out; j++)
        col[j] = (col[j] - tg__load(minus, j)) / (up - down);
    tg__store(x, i, v);
    tg_no_grad_end();
    return rc;
}

static void note(tg_gradcheck_result *r, int k, int64_t i, int64_t j, double a, double num)
{
    double err = fabs(a - num);
    if (r->checked++ == 0 || err > r->max_abs_err || isnan(err)) {
        r->max_abs_err = isnan(err) ? INFINITY : err;
        r->worst_input = k;
        r->worst_index = i;
        r->worst_output = j;
        r->analytic = a;
        r->numeric = num;
    }
}

static int compare(const check *c, const double *jac, int64_t n_out, int64_t total,
                   tg_gradcheck_result *r)
{
    double col[4096];
    int64_t offset = 0;
    int rc = TG_OK;
    for (int k = 0; k < c->n && rc == 0; k++) {
        tg_tensor *x = c->inputs[k];
        for (int64_t i = 0; i < x->numel && rc == 0; i++) {
            if (!(x->flags & TG_REQUIRES_GRAD))
                continue;
            rc = numeric_column(c, x, i, col, n_out);
            for (int64_t j = 0; j < n_out && rc == 0; j++) {
                double a = jac[j * total + offset + i], num = col[j];
                note(r, k, i, j, a, num);
                if (!(fabs(a - num) <= c->opts.atol + c->opts.rtol * fabs(num)))
                    rc = tg__fail(TG_EMISMATCH,
                                  "tg_gradcheck: input %d element %lld, output element %lld: "
                                  "analytic %.10g vs numeric %.10g (atol %g, rtol %g)",
                                  k, (long long)i, (long long)j, a, num, c->opts.atol,
                                  c->opts.rtol);
            }
        }
        offset += x->numel;
    }
    return rc;
}

int tg_gradcheck(tg_fn f, void *ctx, int n_inputs, tg_tensor *const *inputs,
                 const tg_gradcheck_opts *opts, tg_gradcheck_result *result)
{
    check c = {f, ctx, n_inputs, inputs, {0, 0, 0}};
    tg_gradcheck_result scratch;
    tg_gradcheck_result *r = result ? result : &scratch;
    memset(r, 0, sizeof *r);
    int rc = validate(&c);
    if (rc < 0)
        return rc;
    c.opts = defaults_for((tg_dtype)inputs[0]->dtype, opts);
    tg_tensor *y;
    if ((rc = evaluate(&c, &y)) < 0)
        return rc;
    if (y->numel > 4096)
        return tg__fail(TG_EVALUE, "tg_gradcheck: output has %lld elements; at most 4096",
                        (long long)y->numel);
    int64_t total = 0;
    for (int k = 0; k < n_inputs; k++)
        total += inputs[k]->numel;
    size_t bytes = (size_t)(y->numel * total) * sizeof(double);
    double *jac = tg__alloc(bytes);
    if (!jac)
        return tg__fail(TG_ENOMEM, "tg_gradcheck: no memory for a %lld x %lld Jacobian",
                        (long long)y->numel, (long long)total);
    for (int64_t j = 0; j < y->numel && rc == 0; j++)
        rc = analytic_row(&c, y, j, jac + j * total);
    if (rc == 0)
        rc = compare(&c, jac, y->numel, total, r);
    tg__free(jac, bytes);
    for (int k = 0; k < n_inputs; k++)
        tg_zero_grad(inputs[k]);
    if (rc == 0)
        tg__clear_on_success();
    return rc;
}
