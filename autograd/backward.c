/*
 * backward.c -- the reverse sweep.
 *
 * The tape lists recorded op results in creation order, a topological order,
 * so one backward pass over it in reverse visits every node after all of its
 * consumers: when a node is reached its gradient is complete. The walk is a
 * plain loop over an array -- no recursion, no stack growth -- so chains of
 * millions of nodes differentiate.
 */
#include <string.h>

#include "internal.h"

/* Gradients meeting at one tensor are summed with this op, recorded like any
 * other when the sweep itself is recorded. */
static int accumulate_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    grad_in[0] = g;
    grad_in[1] = g;
    return TG_OK;
}

static const tg_op accumulate_op = {"tg_backward (accumulate)", 2, accumulate_backward};

static tg_tensor *add_same_shape(tg_tensor *a, tg_tensor *b)
{
    tg_tensor *out = tg__tape_tensor(accumulate_op.name, (tg_dtype)a->dtype, a->ndim, a->shape);
    if (!out)
        return NULL;
    int64_t n = out->numel;
    if (a->dtype == TG_F32) {
        const float *x = a->data, *y = b->data;
        float *z = out->data;
        for (int64_t i = 0; i < n; i++)
            z[i] = x[i] + y[i];
    } else {
        const double *x = a->data, *y = b->data;
        double *z = out->data;
        for (int64_t i = 0; i < n; i++)
            z[i] = x[i] + y[i];
    }
    tg_tensor *in[2] = {a, b};
    return tg__record(out, &accumulate_op, 2, in);
}

static void add_in_place(tg_tensor *dst, const tg_tensor *src)
{
    int64_t n = dst->numel;
    if (dst->dtype == TG_F32) {
        float *d = dst->data;
        const float *s = src->data;
        for (int64_t i = 0; i < n; i++)
            d[i] += s[i];
    } else {
        double *d = dst->data;
        const double *s = src->data;
        for (int64_t i = 0; i < n; i++)
            d[i] += s[i];
    }
}

/* Adds contribution g to x's gradient. A rule that returns a gradient of the
 * wrong shape or dtype is a bug in that op (or a user-defined one): say so. */
static int accumulate(tg_tensor *x, tg_tensor *g, const char *from)
{
    if (!tg__same_shape(x, g) || x->dtype != g->dtype) {
        char xs[96], gs[96];
        return tg__fail(TG_ESHAPE,
                        "tg_backward: %s produced a %s gradient of shape %s for an input of "
                        "shape %s and dtype %s",
                        from, tg_dtype_name((tg_dtype)g->dtype),
                        tg__dims_str(g->ndim, g->shape, gs, sizeof gs),
                        tg__dims_str(x->ndim, x->shape, xs, sizeof xs),
                        tg_dtype_name((tg_dtype)x->dtype));
    }
    if (x->flags & TG_PERSISTENT) {
        tg_tensor *buf = tg__persistent_grad(x);
        if (!buf)
            return tg_last_error_code();
        add_in_place(buf, g);
        return TG_OK;
    }
    if (!x->grad) {
        x->grad = g;
        return TG_OK;
    }
    tg_tensor *sum = add_same_shape(x->grad, g);
    if (!sum)
        return tg_last_error_code();
    x->grad = sum;
    return TG_OK;
}

static tg_tensor *ones_like(const tg_tensor *t)
{
    tg_tensor *o = tg__tape_tensor("tg_backward", (tg_dtype)t->dtype, t->ndim, t->shape);
    for (int64_t i = 0; o && i < o->numel; i++)
        tg__store(o, i, 1.0);
    return o;
}

static int check_start(tg_tensor *out, tg_tensor **seed)
{
    int rc = tg__check("tg_backward", out, 1);
    if (rc < 0)
        return rc;
    if (!(out->flags & TG_REQUIRES_GRAD))
        return tg__fail(TG_ESTATE,
                        "tg_backward: the tensor does not require grad: no input of its "
                        "expression was created with requires_grad (tg_var, tg_param)");
    if (out->flags & TG_RELEASED)
        return tg__fail(TG_ESTATE,
                        "tg_backward: this graph was already swept and its buffers released; "
                        "pass TG_RETAIN_GRAPH to tg_backward_ex to sweep it again");
    char os[96], ss[96];
    if (!*seed) {
        if (out->numel != 1)
            return tg__fail(TG_ESHAPE,
                            "tg_backward: tensor of shape %s has %lld elements; a seed gradient "
                            "of that shape is needed (tg_backward_ex)",
                            tg__dims_str(out->ndim, out->shape, os, sizeof os),
                            (long long)out->numel);
        *seed = ones_like(out);
        return *seed ? TG_OK : tg_last_error_code();
    }
    rc = tg__check("tg_backward", *seed, 2);
    if (rc < 0)
        return rc;
    if (!tg__same_shape(out, *seed) || out->dtype != (*seed)->dtype)
        return tg__fail(TG_ESHAPE, "tg_backward: seed gradient %s %s does not match output %s %s",
                        tg_dtype_name((tg_dtype)(*seed)->dtype),
                        tg__dims_str((*seed)->ndim, (*seed)->shape, ss, sizeof ss),
                        tg_dtype_name((tg_dtype)out->dtype),
                        tg__dims_str(out->ndim, out->shape, os, sizeof os));
    return TG_OK;
}

/* Applies one node's rule and hands the results to its inputs. */
static int propagate(tg_tensor *node, bool retain)
{
    tg_tensor *g = node->grad;
    tg_tensor *grad_in[TG_MAX_INPUTS] = {NULL};
    node->grad = NULL;
    int rc = node->op->backward(node, g, grad_in);
    for (int i = 0; rc == 0 && i < node->n_inputs; i++) {
        tg_tensor *x = node->in[i];
        if (grad_in[i] && (x->flags & TG_REQUIRES_GRAD))
            rc = accumulate(x, grad_in[i], node->op->name);
    }
    if (!retain)
        node->flags |= TG_RELEASED;
    return rc;
}

static int sweep(int64_t start, bool retain)
{
    int64_t len;
    tg_tensor **nodes = tg__tape_nodes(&len);
    int rc = TG_OK;
    for (int64_t pos = start; pos >= 0; pos--) {
        tg_tensor *node = nodes[pos];
        if (!node->grad)
            continue;
        if (rc < 0) { /* after a failure only drop the partial gradients */
            node->grad = NULL;
            continue;
        }
        if (node->flags & TG_RELEASED) {
            node->grad = NULL;
            rc = tg__fail(TG_ESTATE,
                          "tg_backward: %s (tape #%lld) was already swept and its buffers "
                          "released; pass TG_RETAIN_GRAPH to tg_backward_ex to sweep twice",
                          node->op->name, (long long)pos);
            continue;
        }
        rc = propagate(node, retain);
    }
    return rc;
}

int tg_backward_ex(tg_tensor *out, tg_tensor *seed, unsigned flags)
{
    tg_no_grad_begin();
    int rc = check_start(out, &seed);
    if (rc == 0)
        rc = accumulate(out, seed, "the seed");
    if (rc == 0 && out->op)
        rc = sweep(out->tape_pos, (flags & TG_RETAIN_GRAPH) != 0);
    tg_no_grad_end();
    if (rc == 0)
        tg__clear_on_success();
    return rc;
}

int tg_backward(tg_tensor *loss) { return tg_backward_ex(loss, NULL, 0); }
