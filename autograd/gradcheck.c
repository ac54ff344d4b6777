/* gradcheck.c -- analytic Jacobian by reverse sweeps, numeric by central
 * differences. */
#include <math.h>
#include <stdio.h>
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

static int validate(const char *fn, const check *c)
{
    if (!c->f)
        return tg__fail(TG_ENULL, "%s: argument 1 (f) is NULL", fn);
    if (c->n < 1 || !c->inputs)
        return tg__fail(TG_EVALUE, "%s: no inputs (n_inputs %d)", fn, c->n);
    for (int k = 0; k < c->n; k++) {
        int rc = tg__check(fn, c->inputs[k], k + 4);
        if (rc < 0)
            return rc;
    }
    return TG_OK;
}

static int evaluate(const check *c, tg_tensor **y)
{
    uint64_t mark = tg_error_mark();
    *y = c->f(c->inputs, c->ctx);
    if (*y)
        return tg__check("tg_gradcheck", *y, 0);
    if (!tg__failed_since(mark))
        return tg__fail(TG_ESTATE, "tg_gradcheck: f returned NULL without setting an error");
    return tg__latest_code();
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
        return tg__latest_code();
    tg__store(seed, j, 1.0);
    for (int k = 0; k < c->n; k++)
        tg_zero_grad(c->inputs[k]);
    int rc = tg_backward_ex(y, seed, TG_RETAIN_GRAPH);
    if (rc < 0)
        return rc;
    for (int k = 0; k < c->n; k++) {
        const tg_tensor *x = c->inputs[k];
        for (int64_t i = 0; i < x->numel; i++)
            *row++ = tg__grad_value(x, i);
    }
    return TG_OK;
}

/* Column (k, i) of the numeric Jacobian, written to col[j] for each output. */
static int numeric_column(const check *c, tg_tensor *x, int64_t i, double *col, int64_t n_out)
{
    double v = tg__load(x, i), h = c->opts.eps;
    tg_tensor *plus, *minus;
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
    int rc = validate("tg_gradcheck", &c);
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
    return rc;
}

/* ---- one order up ---- */

typedef struct {
    tg_fn f;
    void *ctx;
    int n;     /* f's inputs; the seed v follows them */
    int which; /* the input whose gradient is checked */
} input_gradient_fn;

/* d <v, f(x)> / d x_which, recorded so that it can be differentiated. */
static tg_tensor *input_gradient(tg_tensor *const *in, void *ctx)
{
    const input_gradient_fn *s = ctx;
    /* the caller may check with recording off; this function needs a graph */
    int saved_mode = tg__grad_mode_set(true);
    tg_tensor *y = s->f(in, s->ctx), *g = NULL;
    if (y)
        tg_grad_ex(&y, &in[s->n], 1, &in[s->which], 1, &g, TG_CREATE_GRAPH);
    tg__grad_mode_restore(saved_mode);
    return g;
}

/* A fixed seed of y's shape with values spread over [0.5, 1.5), so that no
 * output's second derivative is weighted by zero. */
static tg_tensor *make_seed(const tg_tensor *y)
{
    tg_tensor *v = tg__tape_tensor("tg_gradgradcheck", (tg_dtype)y->dtype, y->ndim, y->shape);
    for (int64_t i = 0; v && i < v->numel; i++)
        tg__store(v, i, 0.5 + fmod(0.37 + 0.6180339887 * (double)i, 1.0));
    if (v)
        v->flags |= TG_REQUIRES_GRAD;
    return v;
}

static void merge(tg_gradcheck_result *total, const tg_gradcheck_result *r)
{
    if (r->checked && (total->checked == 0 || r->max_abs_err > total->max_abs_err)) {
        int64_t checked = total->checked;
        *total = *r;
        total->checked = checked;
    }
    total->checked += r->checked;
}

static int second_order_check(const check *c, tg_tensor *const *with_seed, int which,
                              tg_gradcheck_result *total)
{
    input_gradient_fn s = {c->f, c->ctx, c->n, which};
    tg_gradcheck_result r;
    uint64_t mark = tg_error_mark();
    int rc = tg_gradcheck(input_gradient, &s, c->n + 1, with_seed, &c->opts, &r);
    merge(total, &r);
    const char *msg = tg__message_since(mark), *skip = "tg_gradcheck: ";
    if (rc == TG_EMISMATCH && msg)
        tg_amend_error(mark, rc, "tg_gradgradcheck: gradient of input %d, %s", which,
                       strncmp(msg, skip, strlen(skip)) == 0 ? msg + strlen(skip) : msg);
    return rc;
}

int tg_gradgradcheck(tg_fn f, void *ctx, int n_inputs, tg_tensor *const *inputs,
                     const tg_gradcheck_opts *opts, tg_gradcheck_result *result)
{
    check c = {f, ctx, n_inputs, inputs, {0, 0, 0}};
    tg_gradcheck_result scratch;
    tg_gradcheck_result *r = result ? result : &scratch;
    memset(r, 0, sizeof *r);
    int rc = validate("tg_gradgradcheck", &c);
    tg_tensor *y = NULL, *v = NULL;
    if (rc == 0 && (rc = evaluate(&c, &y)) == 0 && !(v = make_seed(y)))
        rc = tg__latest_code();
    if (rc < 0)
        return rc;
    if (opts)
        c.opts = *opts;
    size_t bytes = (size_t)(n_inputs + 1) * sizeof(tg_tensor *);
    tg_tensor **with_seed = tg__alloc(bytes);
    if (!with_seed)
        return tg__fail(TG_ENOMEM, "tg_gradgradcheck: out of memory");
    memcpy(with_seed, inputs, bytes - sizeof *with_seed);
    with_seed[n_inputs] = v;
    for (int i = 0; i < n_inputs && rc == 0; i++)
        if (inputs[i]->flags & TG_REQUIRES_GRAD)
            rc = second_order_check(&c, with_seed, i, r);
    tg__free(with_seed, bytes);
    return rc;
}
