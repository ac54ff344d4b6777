/* elementwise.c -- broadcasting and the shared skeleton of elementwise ops. */
#include <stdio.h>
#include <string.h>

#include "kernel.h"

/* Drops size-1 axes and merges neighbours that every input walks contiguously
 * across, so most plans end up with one or two axes. */
static void coalesce(tg_bcast *p, int n_in)
{
    int nd = 0;
    for (int d = 0; d < p->ndim; d++) {
        if (p->shape[d] == 1)
            continue;
        bool merge = nd > 0;
        for (int k = 0; merge && k < n_in; k++)
            merge = p->stride[k][nd - 1] == p->stride[k][d] * p->shape[d];
        if (merge) {
            p->shape[nd - 1] *= p->shape[d];
            for (int k = 0; k < n_in; k++)
                p->stride[k][nd - 1] = p->stride[k][d];
            continue;
        }
        p->shape[nd] = p->shape[d];
        for (int k = 0; k < TG_MAX_INPUTS; k++)
            p->stride[k][nd] = k < n_in ? p->stride[k][d] : 0;
        nd++;
    }
    p->ndim = nd;
}

static void plan_input(tg_bcast *p, int k, int ndim, const int64_t *shape)
{
    int64_t stride = 1;
    for (int d = p->ndim - 1, s = ndim - 1; d >= 0; d--, s--) {
        bool stretched = s < 0 || shape[s] == 1;
        p->stride[k][d] = stretched ? 0 : stride;
        if (s >= 0)
            stride *= shape[s];
    }
}

static void plan_init(tg_bcast *p, int ndim, const int64_t *shape)
{
    memset(p, 0, sizeof *p);
    p->ndim = ndim;
    memcpy(p->shape, shape, (size_t)ndim * sizeof *shape);
}

void tg__plan_from(int to_ndim, const int64_t *to_shape, int from_ndim, const int64_t *from_shape,
                   tg_bcast *plan)
{
    plan_init(plan, to_ndim, to_shape);
    plan_input(plan, 0, from_ndim, from_shape);
    coalesce(plan, 1);
}

static int broadcast_error(const char *fn, int n, tg_tensor *const *ts)
{
    char msg[300], dims[96];
    size_t len = 0;
    for (int k = 0; k < n && len < sizeof msg; k++)
        len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s", k ? " and " : "",
                                tg__dims_str(ts[k]->ndim, ts[k]->shape, dims, sizeof dims));
    return tg__fail(TG_ESHAPE, "%s: shapes do not broadcast: %s", fn, msg);
}

/* Operands of one shape (the common case, and every scalar graph) need no
 * broadcasting: one flat axis walked with stride 1 by every input. */
static bool plan_same_shapes(int n, tg_tensor *const *ts, int *out_ndim, int64_t *out_shape,
                             tg_bcast *plan)
{
    for (int k = 1; k < n; k++)
        if (!tg__same_shape(ts[0], ts[k]))
            return false;
    *out_ndim = ts[0]->ndim;
    for (int d = 0; d < ts[0]->ndim; d++)
        out_shape[d] = ts[0]->shape[d];
    plan->ndim = ts[0]->numel == 1 ? 0 : 1;
    plan->shape[0] = ts[0]->numel;
    for (int k = 0; k < TG_MAX_INPUTS; k++)
        plan->stride[k][0] = k < n;
    return true;
}

int tg__broadcast(const char *fn, int n, tg_tensor *const *ts, int *out_ndim, int64_t *out_shape,
                  tg_bcast *plan)
{
    if (plan_same_shapes(n, ts, out_ndim, out_shape, plan))
        return TG_OK;
    int nd = 0;
    for (int k = 0; k < n; k++)
        nd = ts[k]->ndim > nd ? ts[k]->ndim : nd;
    for (int d = 0; d < nd; d++) {
        int64_t size = 1;
        for (int k = 0; k < n; k++) {
            int s = ts[k]->ndim - nd + d;
            int64_t dim = s < 0 ? 1 : ts[k]->shape[s];
            if (dim == 1)
                continue;
            if (size != 1 && size != dim)
                return broadcast_error(fn, n, ts);
            size = dim;
        }
        out_shape[d] = size;
    }
    *out_ndim = nd;
    plan_init(plan, nd, out_shape);
    for (int k = 0; k < n; k++)
        plan_input(plan, k, ts[k]->ndim, ts[k]->shape);
    coalesce(plan, n);
    return TG_OK;
}

/* Checks a and b for a binary kernel named fn and broadcasts them: the
 * plan, and the result's shape in *ndim and shape. */
static int binary_plan(const char *fn, tg_tensor *a, tg_tensor *b, tg_bcast *plan, int *ndim,
                       int64_t *shape)
{
    if (tg__check(fn, a, 1) < 0 || tg__check(fn, b, 2) < 0 || tg__check_same_dtype(fn, a, b) < 0)
        return tg__latest_code();
    tg_tensor *in[2] = {a, b};
    return tg__broadcast(fn, 2, in, ndim, shape, plan);
}

tg_tensor *tg__constant_binary(const char *fn, tg_tensor *a, tg_tensor *b,
                               tg_binary_kernel kernel)
{
    int ndim = 0;
    int64_t shape[TG_MAX_DIMS];
    tg_bcast plan;
    if (binary_plan(fn, a, b, &plan, &ndim, shape) < 0)
        return NULL;
    tg_tensor *out = tg__tape_tensor(fn, (tg_dtype)a->dtype, ndim, shape);
    if (out)
        kernel(&plan, out, a, b);
    return out;
}

int tg__fused_grad(const char *fn, tg_tensor *x, tg_tensor *g, tg_tensor *other,
                   tg_grad_kernel kernel, tg_tensor **grad)
{
    int ndim = 0;
    int64_t shape[TG_MAX_DIMS];
    tg_bcast plan;
    int rc = binary_plan(fn, g, other, &plan, &ndim, shape);
    if (rc < 0)
        return rc;
    tg_tensor *sink = tg__grad_sink(x);
    if (sink && tg__same_shape(sink, g) && tg__same_shape(sink, other) &&
        sink->dtype == g->dtype && sink->data != g->data && sink->data != other->data) {
        kernel(&plan, sink, g, other, true);
        *grad = NULL;
        return TG_OK;
    }
    *grad = tg__tape_tensor(fn, (tg_dtype)g->dtype, ndim, shape);
    if (!*grad)
        return tg__latest_code();
    kernel(&plan, *grad, g, other, false);
    return TG_OK;
}

static double scalar_of(const tg_tensor *t) { return *(const double *)t->data; }

/* A 0-d F64 result of an op with a value entry: its operands are 0-d F64
 * too (same dtypes, shapes broadcast to none), so its value is a double. */
static bool by_value(const tg_tensor *out)
{
    return out->op->value && out->ndim == 0 && out->dtype == TG_F64;
}

/* The way of every operand that is not a 0-d F64 one; apart, so that the fast
 * path ends in a tail call and sets up no frame. */
static TG_NOINLINE tg_tensor *binary_general(const tg_op *op, tg_tensor *a, tg_tensor *b)
{
    tg_tensor *out = tg__constant_binary(op->info.name, a, b, op->kernel.binary);
    if (!out)
        return NULL;
    tg_tensor *in[2] = {a, b};
    return tg__record(out, op, 2, in);
}

tg_tensor *tg__binary(const tg_op *op, tg_tensor *a, tg_tensor *b)
{
    tg_tensor *in[2] = {a, b};
    if (op->partials && tg__scalar_operands(2, in)) /* the fast path: autograd/tape.c */
        return tg__scalar_binary(op, a, b);
    return binary_general(op, a, b);
}

int tg__binary_rerun(tg_tensor *out)
{
    tg_tensor *a = out->in[0], *b = out->in[1];
    if (by_value(out)) { /* 0-d operands: the fast path's value */
        double x[2] = {scalar_of(a), scalar_of(b)};
        *(double *)out->data = out->op->value(x, out->attr);
        return TG_OK;
    }
    return tg__rerun_broadcast(out, out->op->kernel.binary);
}

int tg__rerun_broadcast(tg_tensor *out, tg_binary_kernel kernel)
{
    int ndim;
    int64_t shape[TG_MAX_DIMS];
    tg_bcast plan;
    int rc = tg__broadcast(out->op->info.name, 2, out->in, &ndim, shape, &plan);
    if (rc < 0)
        return rc;
    kernel(&plan, out, out->in[0], out->in[1]);
    return TG_OK;
}

tg_tensor *tg__constant_unary(const char *fn, tg_tensor *x, tg_attr attr,
                              tg_unary_kernel kernel)
{
    if (tg__check(fn, x, 1) < 0)
        return NULL;
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)x->dtype, x->ndim, x->shape);
    if (!y)
        return NULL;
    y->attr = attr;
    kernel(y, x, attr);
    return y;
}

/* apart for the same reason as binary_general */
static TG_NOINLINE tg_tensor *unary_general(const tg_op *op, tg_tensor *x, tg_attr attr)
{
    tg_tensor *y = tg__constant_unary(op->info.name, x, attr, op->kernel.unary);
    if (!y)
        return NULL;
    return tg__record(y, op, 1, &x);
}

tg_tensor *tg__unary(const tg_op *op, tg_tensor *x, tg_attr attr)
{
    if (op->partials && tg__scalar_operands(1, &x)) /* the fast path: autograd/tape.c */
        return tg__scalar_unary(op, x, attr);
    return unary_general(op, x, attr);
}

int tg__unary_rerun(tg_tensor *out)
{
    if (by_value(out)) { /* the fast path's value */
        double v = scalar_of(out->in[0]);
        *(double *)out->data = out->op->value(&v, out->attr);
        return TG_OK;
    }
    out->op->kernel.unary(out, out->in[0], out->attr);
    return TG_OK;
}

tg_tensor *tg__unbroadcast(tg_tensor *g, const tg_tensor *x)
{
    if (!g || tg__same_shape(g, x))
        return g;
    return tg_sum_to(g, x->ndim, x->shape);
}

void tg__split_axis(const tg_tensor *t, int axis, int64_t *outer, int64_t *n, int64_t *inner)
{
    *outer = tg__shape_numel(axis, t->shape);
    *n = t->shape[axis];
    *inner = tg__shape_numel(t->ndim - axis - 1, t->shape + axis + 1);
}
