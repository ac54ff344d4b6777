/*
 * drivers.c -- Jacobians, Hessians and their products (tapegrad/forward.h),
 * from one recorded run of f.
 *
 * Each driver runs f once on stand-ins for the inputs: views of their data
 * that require grad, so every op of f is recorded. Then
 *   - forward mode replays the tangent rules of f's nodes once per direction
 *     (tg__tangent_sweep), without running f again: one sweep per input
 *     element for a Jacobian;
 *   - reverse mode sweeps the retained graph once per cotangent: one sweep
 *     per output element;
 *   - a Hessian records the gradient too (TG_CREATE_GRAPH) and replays the
 *     tangent rules over f and its backward: forward-over-reverse, one sweep
 *     per input element, each giving a Hessian column.
 * Results are constants of the tape (not recorded): derivatives of them are
 * written with tg_jvp and tg_grad directly (docs/modes.md).
 */
#include <stdio.h>
#include <string.h>

#include <tapegrad/forward.h>
#include <tapegrad/ops.h>

#include "internal.h"

/* f run once on stand-ins for the inputs, recorded. */
typedef struct {
    const char *fn;
    int n;
    tg_tensor **xs;   /* the stand-ins */
    tg_tensor *y;     /* f's result */
    int64_t lo, hi;   /* f's nodes (and its gradient's, for a Hessian) on the tape */
} recording;

static int check_inputs(const char *fn, tg_fn f, int n, tg_tensor *const *inputs)
{
    if (!f || !inputs)
        return tg__fail(TG_ENULL, "%s: %s is NULL", fn, !f ? "f" : "the inputs array");
    if (n < 1)
        return tg__fail(TG_EVALUE, "%s: n is %d; at least one input is needed", fn, n);
    for (int i = 0; i < n; i++) {
        char what[32];
        snprintf(what, sizeof what, "inputs[%d]", i);
        if (!tg__valid(inputs[i]))
            return tg__invalid(fn, inputs[i], what);
    }
    return TG_OK;
}

/* Views of the inputs that require grad, so that f's ops are recorded
 * whatever the inputs are. */
static tg_tensor **stand_ins(const char *fn, int n, tg_tensor *const *inputs)
{
    tg_tensor **xs = tg__tape_bytes(fn, (size_t)n * sizeof *xs);
    for (int i = 0; xs && i < n; i++) {
        xs[i] = tg__tape_view(fn, inputs[i], inputs[i]->ndim, inputs[i]->shape);
        if (!xs[i])
            return NULL;
        xs[i]->flags |= TG_REQUIRES_GRAD;
    }
    return xs;
}

static int record_f(recording *r, tg_fn f, void *ctx, tg_tensor *const *inputs)
{
    int rc = check_inputs(r->fn, f, r->n, inputs);
    if (rc < 0)
        return rc;
    if (tg__forward_active)
        return tg__fail(TG_ESTATE, "%s: called from inside tg_jvp's f; forward mode has one level",
                        r->fn);
    if (!(r->xs = stand_ins(r->fn, r->n, inputs)))
        return tg__latest_code();
    r->lo = tg_tape_length();
    uint64_t mark = tg_error_mark();
    int saved_mode = tg__grad_mode_set(true);
    r->y = f(r->xs, ctx);
    tg__grad_mode_restore(saved_mode);
    r->hi = tg_tape_length();
    if (!r->y)
        return tg__failed_since(mark) ? tg__latest_code()
                                      : tg__fail(TG_ESTATE, "%s: f returned NULL without "
                                                            "setting an error", r->fn);
    return tg__check(r->fn, r->y, 0);
}

static int64_t total_numel(int n, tg_tensor *const *ts)
{
    int64_t total = 0;
    for (int i = 0; i < n; i++)
        total += ts[i]->numel;
    return total;
}

/* A constant of shape a ⊕ b (a's axes, then b's) in dtype. */
static tg_tensor *joined(const char *fn, tg_dtype dtype, const tg_tensor *a, const tg_tensor *b)
{
    if (a->ndim + b->ndim > TG_MAX_DIMS) {
        char as[96], bs[96];
        tg__fail(TG_ESHAPE, "%s: a result of shape %s by an input of shape %s needs %d "
                            "dimensions; at most %d are supported",
                 fn, tg__dims_str(a->ndim, a->shape, as, sizeof as),
                 tg__dims_str(b->ndim, b->shape, bs, sizeof bs), a->ndim + b->ndim, TG_MAX_DIMS);
        return NULL;
    }
    int64_t shape[TG_MAX_DIMS];
    memcpy(shape, a->shape, (size_t)a->ndim * sizeof *shape);
    memcpy(shape + a->ndim, b->shape, (size_t)b->ndim * sizeof *shape);
    return tg__tape_tensor(fn, dtype, a->ndim + b->ndim, shape);
}

/* Zero tangents for the stand-ins, one per input: a direction is a 1 in one
 * of them, set before its sweep and cleared after. */
static tg_tensor **basis(const recording *r)
{
    tg_tensor **dirs = tg__tape_bytes(r->fn, (size_t)r->n * sizeof *dirs);
    for (int i = 0; dirs && i < r->n; i++)
        if (!(dirs[i] = tg__zeros_like(r->xs[i])))
            return NULL;
    return dirs;
}

/* Stores column k of m, a matrix of cols columns: column[o] at m[o cols + k]. */
static void put_column(tg_tensor *m, int64_t cols, int64_t k, const tg_tensor *column)
{
    for (int64_t o = 0; o < column->numel; o++)
        tg__store(m, o * cols + k, tg__load(column, o));
}

/* Stores row o of m: row[k] at m[o row->numel + k]. */
static void put_row(tg_tensor *m, int64_t o, const tg_tensor *row)
{
    for (int64_t k = 0; k < row->numel; k++)
        tg__store(m, o * row->numel + k, tg__load(row, k));
}

/* The tangent of t from the latest sweep, zeros if none. */
static tg_tensor *tangent_or_zeros(tg_tensor *t)
{
    tg_tensor *d = tg__tangent(t);
    return d ? d : tg__zeros_like(t);
}

/* For every direction e_(j,k), one tangent sweep; targets[i]'s tangent is
 * column k of out[i * n + j] (shape targets[i] ⊕ inputs[j]). */
static int columns_by_sweeps(const recording *r, int n_targets, tg_tensor *const *targets,
                             tg_tensor **out)
{
    tg_tensor **dirs = basis(r);
    if (!dirs)
        return tg__latest_code();
    for (int j = 0; j < r->n; j++)
        for (int64_t k = 0; k < r->xs[j]->numel; k++) {
            tg__store(dirs[j], k, 1.0);
            int rc = tg__tangent_sweep(r->lo, r->hi, r->n, r->xs, dirs);
            for (int i = 0; rc == 0 && i < n_targets; i++) {
                tg_tensor *d = tangent_or_zeros(targets[i]);
                if (!d)
                    return tg__latest_code();
                put_column(out[i * r->n + j], r->xs[j]->numel, k, d);
            }
            /* cleared only now: a target may be the direction itself (f(x) = x) */
            tg__store(dirs[j], k, 0.0);
            if (rc < 0)
                return rc;
        }
    return TG_OK;
}

/* One reverse sweep per element o of y: the gradients are row o of each
 * jacobians[j]. */
static int rows_by_sweeps(const recording *r, tg_tensor **jacobians)
{
    tg_tensor *seed = tg__zeros_like(r->y);
    tg_tensor **grads = tg__tape_bytes(r->fn, (size_t)r->n * sizeof *grads);
    if (!seed || !grads)
        return tg__latest_code();
    for (int64_t o = 0; o < r->y->numel; o++) {
        tg__store(seed, o, 1.0);
        int rc = tg_grad_ex(&r->y, &seed, 1, r->xs, r->n, grads, TG_RETAIN_GRAPH);
        if (rc < 0)
            return rc;
        for (int j = 0; j < r->n; j++)
            put_row(jacobians[j], o, grads[j]);
        tg__store(seed, o, 0.0); /* only now: a gradient may be the seed itself */
    }
    return TG_OK;
}

static int make_blocks(const char *fn, int n_targets, tg_tensor *const *targets, int n,
                       tg_tensor *const *xs, tg_tensor **out)
{
    for (int i = 0; i < n_targets; i++)
        for (int j = 0; j < n; j++)
            if (!(out[i * n + j] = joined(fn, (tg_dtype)targets[i]->dtype, targets[i], xs[j])))
                return tg__latest_code();
    return TG_OK;
}

static void clear_outputs(tg_tensor **out, int64_t count)
{
    for (int64_t i = 0; out && i < count; i++)
        out[i] = NULL;
}

/* How a driver ends: on failure its count results are NULL, on success f's
 * result goes to *output when asked for. Returns rc. */
static int finish(const recording *r, int rc, tg_tensor **output, tg_tensor **out,
                  int64_t count)
{
    if (rc < 0)
        clear_outputs(out, count);
    else if (output)
        *output = r->y;
    return rc;
}

int tg_jacobian(tg_fn f, void *ctx, int n, tg_tensor *const *inputs, tg_jac_mode mode,
                tg_tensor **jacobians_out)
{
    recording r = {"tg_jacobian", n, NULL, NULL, 0, 0};
    if (!jacobians_out)
        return tg__fail(TG_ENULL, "tg_jacobian: jacobians_out is NULL");
    clear_outputs(jacobians_out, n);
    if (mode != TG_JAC_AUTO && mode != TG_JAC_FORWARD && mode != TG_JAC_REVERSE)
        return tg__fail(TG_EVALUE, "tg_jacobian: mode %d is not TG_JAC_AUTO, TG_JAC_FORWARD or "
                                   "TG_JAC_REVERSE", (int)mode);
    int rc = record_f(&r, f, ctx, inputs);
    if (rc == 0)
        rc = make_blocks(r.fn, 1, &r.y, n, r.xs, jacobians_out);
    /* forward takes one sweep per input element, reverse one per output element */
    bool forward = rc == 0 && (mode == TG_JAC_FORWARD ||
                               (mode == TG_JAC_AUTO && total_numel(n, r.xs) <= r.y->numel));
    if (rc == 0)
        rc = forward ? columns_by_sweeps(&r, 1, &r.y, jacobians_out) : rows_by_sweeps(&r, jacobians_out);
    if (rc < 0)
        clear_outputs(jacobians_out, n);
    return rc;
}

static int check_scalar_result(const recording *r)
{
    if (r->y->numel == 1)
        return TG_OK;
    char ys[96];
    return tg__fail(TG_ESHAPE, "%s: f's result has shape %s; a Hessian is of a function with one "
                               "output element (tg_jacobian of the gradient for more)",
                    r->fn, tg__dims_str(r->y->ndim, r->y->shape, ys, sizeof ys));
}

/* Records f and its gradient (create_graph), so that the tangent sweeps
 * run through both: forward-over-reverse. */
static int record_gradient(recording *r, tg_fn f, void *ctx, tg_tensor *const *inputs,
                           tg_tensor ***grads)
{
    int rc = record_f(r, f, ctx, inputs);
    if (rc == 0)
        rc = check_scalar_result(r);
    if (rc == 0 && !(*grads = tg__tape_bytes(r->fn, (size_t)r->n * sizeof **grads)))
        rc = tg__latest_code();
    if (rc == 0)
        rc = tg_grad(&r->y, 1, r->xs, r->n, *grads, true);
    r->hi = tg_tape_length();
    return rc;
}

int tg_hessian(tg_fn f, void *ctx, int n, tg_tensor *const *inputs, tg_tensor **hessians_out)
{
    recording r = {"tg_hessian", n, NULL, NULL, 0, 0};
    if (!hessians_out)
        return tg__fail(TG_ENULL, "tg_hessian: hessians_out is NULL");
    clear_outputs(hessians_out, n > 0 ? (int64_t)n * n : 0);
    tg_tensor **g = NULL;
    int rc = record_gradient(&r, f, ctx, inputs, &g);
    if (rc == 0)
        rc = make_blocks(r.fn, n, r.xs, n, r.xs, hessians_out);
    if (rc == 0)
        rc = columns_by_sweeps(&r, n, g, hessians_out);
    if (rc < 0)
        clear_outputs(hessians_out, (int64_t)n * n);
    return rc;
}

static int check_directions(const char *fn, const char *name, int n, tg_tensor *const *xs,
                            tg_tensor *const *v)
{
    if (!v)
        return tg__fail(TG_ENULL, "%s: the %s array is NULL", fn, name);
    for (int i = 0; i < n; i++) {
        char what[48];
        snprintf(what, sizeof what, "%s[%d]", name, i);
        if (!v[i])
            continue;
        if (!tg__valid(v[i]))
            return tg__invalid(fn, v[i], what);
        if (!tg__same_shape(v[i], xs[i]) || v[i]->dtype != xs[i]->dtype) {
            char vs[96], xss[96];
            return tg__fail(TG_ESHAPE, "%s: %s is %s %s but inputs[%d] is %s %s", fn, what,
                            tg_dtype_name((tg_dtype)v[i]->dtype),
                            tg__dims_str(v[i]->ndim, v[i]->shape, vs, sizeof vs), i,
                            tg_dtype_name((tg_dtype)xs[i]->dtype),
                            tg__dims_str(xs[i]->ndim, xs[i]->shape, xss, sizeof xss));
        }
    }
    return TG_OK;
}

int tg_hvp(tg_fn f, void *ctx, int n, tg_tensor *const *inputs, tg_tensor *const *v,
           tg_tensor **output, tg_tensor **hvp_out)
{
    recording r = {"tg_hvp", n, NULL, NULL, 0, 0};
    if (output)
        *output = NULL;
    if (!hvp_out)
        return tg__fail(TG_ENULL, "tg_hvp: hvp_out is NULL");
    clear_outputs(hvp_out, n);
    tg_tensor **g = NULL;
    int rc = check_inputs(r.fn, f, n, inputs);
    if (rc == 0)
        rc = check_directions(r.fn, "v", n, inputs, v);
    if (rc == 0)
        rc = record_gradient(&r, f, ctx, inputs, &g);
    if (rc == 0)
        rc = tg__tangent_sweep(r.lo, r.hi, n, r.xs, v);
    for (int i = 0; rc == 0 && i < n; i++)
        if (!(hvp_out[i] = tangent_or_zeros(g[i])))
            rc = tg__latest_code();
    return finish(&r, rc, output, hvp_out, n);
}

/* <g, v> summed over the inputs that have a direction. */
static tg_tensor *inner_product(int n, tg_tensor *const *g, tg_tensor *const *v)
{
    tg_tensor *s = NULL;
    for (int i = 0; i < n; i++) {
        if (!v[i])
            continue;
        tg_tensor *term = tg_sum(tg_mul(g[i], v[i]));
        s = !term ? NULL : s ? tg_add(s, term) : term;
        if (!s)
            return NULL;
    }
    return s ? s : tg__scalar_like(g[0], 0.0);
}

int tg_vhp(tg_fn f, void *ctx, int n, tg_tensor *const *inputs, tg_tensor *const *v,
           tg_tensor **output, tg_tensor **vhp_out)
{
    recording r = {"tg_vhp", n, NULL, NULL, 0, 0};
    if (output)
        *output = NULL;
    if (!vhp_out)
        return tg__fail(TG_ENULL, "tg_vhp: vhp_out is NULL");
    clear_outputs(vhp_out, n);
    tg_tensor **g = NULL;
    int rc = check_inputs(r.fn, f, n, inputs);
    if (rc == 0)
        rc = check_directions(r.fn, "v", n, inputs, v);
    if (rc == 0)
        rc = record_gradient(&r, f, ctx, inputs, &g);
    int saved_mode = tg__grad_mode_set(true);
    tg_tensor *s = rc == 0 ? inner_product(n, g, v) : NULL;
    if (rc == 0 && !s)
        rc = tg__latest_code();
    tg__grad_mode_restore(saved_mode);
    if (rc == 0)
        rc = tg_grad(&s, 1, r.xs, n, vhp_out, false);
    return finish(&r, rc, output, vhp_out, n);
}

/* The arguments the batched drivers share: k >= 1 sets of directions and
 * somewhere to put the results (*output is NULL until success). */
static int check_batch(const char *fn, tg_tensor **output, tg_tensor *const *directions,
                       const char *directions_name, tg_tensor **results,
                       const char *results_name, int k)
{
    if (output)
        *output = NULL;
    if (!directions || !results)
        return tg__fail(TG_ENULL, "%s: %s is NULL", fn,
                        !directions ? directions_name : results_name);
    if (k < 1)
        return tg__fail(TG_EVALUE, "%s: k is %d; at least one direction is needed", fn, k);
    return TG_OK;
}

int tg_jvp_batch(tg_fn f, void *ctx, int n, tg_tensor *const *inputs, int k,
                 tg_tensor *const *tangents, tg_tensor **output, tg_tensor **tangents_out)
{
    recording r = {"tg_jvp_batch", n, NULL, NULL, 0, 0};
    int rc = check_batch(r.fn, output, tangents, "the tangents array", tangents_out,
                         "tangents_out", k);
    if (rc < 0)
        return rc;
    clear_outputs(tangents_out, k);
    rc = check_inputs(r.fn, f, n, inputs);
    for (int j = 0; rc == 0 && j < k; j++)
        rc = check_directions(r.fn, "tangents", n, inputs, tangents + (size_t)j * n);
    if (rc == 0)
        rc = record_f(&r, f, ctx, inputs);
    for (int j = 0; rc == 0 && j < k; j++) {
        rc = tg__tangent_sweep(r.lo, r.hi, n, r.xs, tangents + (size_t)j * n);
        if (rc == 0 && !(tangents_out[j] = tangent_or_zeros(r.y)))
            rc = tg__latest_code();
    }
    return finish(&r, rc, output, tangents_out, k);
}

int tg_vjp_batch(tg_fn f, void *ctx, int n, tg_tensor *const *inputs, int k,
                 tg_tensor *const *cotangents, tg_tensor **output, tg_tensor **grads_out)
{
    recording r = {"tg_vjp_batch", n, NULL, NULL, 0, 0};
    int rc = check_batch(r.fn, output, cotangents, "the cotangents array", grads_out,
                         "grads_out", k);
    if (rc < 0)
        return rc;
    clear_outputs(grads_out, (int64_t)k * (n > 0 ? n : 0));
    rc = record_f(&r, f, ctx, inputs);
    for (int j = 0; rc == 0 && j < k; j++)
        rc = tg_grad_ex(&r.y, cotangents + j, 1, r.xs, n, grads_out + (size_t)j * n,
                        TG_RETAIN_GRAPH);
    return finish(&r, rc, output, grads_out, (int64_t)k * n);
}
