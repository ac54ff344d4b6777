/*
 * scalar_sweep.c -- the scalar fast path: 0-d F64 nodes that carry their
 * local partials, and the part of a first-order sweep that uses them.
 *
 * An elementwise op whose operands are all 0-d F64 tensors computes its
 * partials d y / d x_i when its result is recorded (as Stan and CoDiPack do)
 * and keeps them in the node, where a 0-d tensor's axes would be
 * (internal.h; tape.c records such nodes). A first-order sweep (no
 * TG_CREATE_GRAPH, no anomaly mode) then reaches such a node with its
 * gradient as a double and adds
 * partial_i * gradient straight into each operand's gradient: no rule is
 * called and no gradient tensor is built. A 0-d F64 tape leaf holds its
 * gradient as a double too, until tg_grad_tensor asks for a tensor
 * (tg__leaf_grad). Tensors are made only where a user sees a gradient as
 * one: a tg_grad result, a retained grad, a hook's argument (backward.c
 * makes those), a tape leaf's grad tensor on request.
 *
 * The choice between the fast path and the op-written rule is per node: a
 * node without partials (a reduction's 0-d result, an F32 scalar) is swept
 * by its rule, and a fast node's contribution to it goes through the general
 * accumulation as a 0-d tensor (tg_scalar_sink.fallback). Per node rather
 * than per sweep, so that a scalar loss computed from tensors still sweeps
 * its scalar tail quickly and a graph is never scanned ahead of its sweep.
 * A TG_CREATE_GRAPH sweep always runs the rules: their results must be
 * recorded to be differentiated again.
 *
 * A node whose partials are not all finite (a pole, an overflow) keeps its
 * rule, whose arithmetic then decides.
 *
 * Gradients agree with the rules' to rounding: a contribution is
 * gradient * partial, the same product the rules of add, sub, neg, mul,
 * mul_scalar, tanh, sigmoid, exp, relu and most unary ops compute (so bitwise
 * the same), while ops whose rule orders its factors differently (div:
 * g / b against g * (1 / b)) differ in the last bit per node.
 */

#include "internal.h"

static double value(const tg_tensor *t) { return *(const double *)t->data; }

void tg__partials_none(const double *x, double y, tg_attr attr, double *partial)
{
    (void)x, (void)y, (void)attr, (void)partial;
}

bool tg__scalar_shaped(const tg_tensor *node)
{
    if (!node->op || !node->op->partials || node->ndim != 0 || node->dtype != TG_F64 ||
        node->n_inputs < 1 || node->n_inputs > TG_MAX_INPUTS)
        return false;
    for (int i = 0; i < node->n_inputs; i++)
        if (node->in[i]->ndim != 0 || node->in[i]->dtype != TG_F64)
            return false;
    return true;
}

void tg__scalar_refresh(tg_tensor *node)
{
    if (!tg__scalar_shaped(node) || node->op->partials == tg__partials_none)
        return;
    double x[TG_MAX_INPUTS];
    for (int k = 0; k < node->n_inputs; k++)
        x[k] = value(node->in[k]);
    tg__store_partials(node, node->op, node->n_inputs, x);
}

/* Adds c to a leaf's gradient the way the general path's deliver does: in
 * place for a persistent tensor's buffer; a tape leaf's as a double
 * (tg__leaf_grad), its first contribution since a tensor was last made of
 * it added to that tensor's value, which stays as it was (a caller may hold
 * it), so the sums are the same in the same order. */
static int deliver_leaf(tg_tensor *leaf, double c)
{
    if (leaf->flags & TG_PERSISTENT) {
        tg_tensor *buf = tg__persistent_grad(leaf);
        if (!buf)
            return tg__latest_code();
        *(double *)buf->data += c;
        return TG_OK;
    }
    /* plain_leaf: F64, like a grad tensor the sweeps made of it */
    if (leaf->grad == leaf) {
        leaf->scalar.adjoint += c;
    } else {
        leaf->scalar.adjoint = leaf->grad ? tg__load(leaf->grad, 0) + c : c;
        leaf->grad = leaf;
    }
    return TG_OK;
}

tg_tensor *tg__leaf_grad(tg_tensor *t)
{
    if (t->grad != t)
        return t->grad;
    tg_tensor *g = tg__tape_scalar("tg_grad_tensor", t->scalar.adjoint);
    if (g) /* on failure the leaf keeps holding its gradient as a double */
        t->grad = g;
    return g;
}

/* A leaf whose gradient the fast path delivers: 0-d F64 (as a persistent
 * grad buffer or a fresh 0-d grad of its dtype must be), no hooks to see the
 * total first, not collected by tg_grad. */
static bool plain_leaf(const tg_tensor *x)
{
    return !x->op && !x->hooks && x->ndim == 0 && x->dtype == TG_F64 &&
           !(x->flags & TG_GRAD_TARGET);
}

int tg__scalar_deliver(const tg_scalar_sink *sink, tg_tensor *x, double c, const char *from)
{
    if (!plain_leaf(x))
        return sink->fallback(sink->sweep, x, c, from);
    return sink->collect ? TG_OK : deliver_leaf(x, c);
}
