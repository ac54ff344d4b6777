/* inspect.c -- the read-only view of the tape declared in tapegrad/inspect.h. */

#include <tapegrad/inspect.h>

#include "internal.h"

/* Ops keep their parameters in the tg_attr union; which member is live
 * depends on the op, so the accessors read it only for ops whose catalogue
 * row says they set it. */
static bool op_has(const tg_tensor *t, unsigned flag)
{
    return t->op && (t->op->info.flags & flag);
}

tg_tensor *tg_tape_node(int64_t pos)
{
    int64_t len;
    tg_tensor **nodes = tg__tape_nodes(&len);
    if (pos < 0 || pos >= len) {
        tg__fail(TG_EVALUE, "tg_tape_node: position %lld out of range 0..%lld", (long long)pos,
                 (long long)len - 1);
        return NULL;
    }
    return nodes[pos];
}

int64_t tg_tape_position(const tg_tensor *t)
{
    if (tg__check("tg_tape_position", t, 1) < 0)
        return -1;
    return t->op ? t->tape_pos : -1;
}

const char *tg_op_name(const tg_tensor *t)
{
    if (tg__check("tg_op_name", t, 1) < 0)
        return NULL;
    return t->op ? t->op->info.name : NULL;
}

int tg_op_num_inputs(const tg_tensor *t)
{
    if (tg__check("tg_op_num_inputs", t, 1) < 0)
        return 0;
    return t->op ? t->n_inputs : 0;
}

tg_tensor *tg_op_input(const tg_tensor *t, int k)
{
    if (tg__check("tg_op_input", t, 1) < 0)
        return NULL;
    int n = t->op ? t->n_inputs : 0;
    if (k < 0 || k >= n) {
        tg__fail(TG_EVALUE, "tg_op_input: input %d out of range (the tensor has %d)", k, n);
        return NULL;
    }
    return t->in[k];
}

bool tg_op_constant(const tg_tensor *t, double *out)
{
    if (tg__check("tg_op_constant", t, 1) < 0)
        return false;
    if (!out) {
        tg__fail(TG_ENULL, "tg_op_constant: argument 2 (out) is NULL");
        return false;
    }
    if (!op_has(t, TG_OP_CONSTANT))
        return false;
    *out = t->attr.f;
    return true;
}

int tg_op_constants(const tg_tensor *t, double *out, int max)
{
    int rc = tg__check("tg_op_constants", t, 1);
    if (rc < 0)
        return rc;
    if (max < 0 || (max > 0 && !out))
        return tg__fail(max < 0 ? TG_EVALUE : TG_ENULL,
                        "tg_op_constants: out must hold max >= 0 values (out %s, max %d)",
                        out ? "given" : "NULL", max);
    int n = !op_has(t, TG_OP_CONSTANT) ? 0 : op_has(t, TG_OP_CONSTANT2) ? 2 : 1;
    double values[2] = {t->attr.f2.a, t->attr.f2.b};
    for (int k = 0; k < n && k < max; k++)
        out[k] = values[k];
    return n;
}

int tg_op_partials(const tg_tensor *t, double *out, int max)
{
    int rc = tg__check("tg_op_partials", t, 1);
    if (rc < 0)
        return rc;
    if (max < 0 || (max > 0 && !out))
        return tg__fail(max < 0 ? TG_EVALUE : TG_ENULL,
                        "tg_op_partials: out must hold max >= 0 values (out %s, max %d)",
                        out ? "given" : "NULL", max);
    int n = (t->flags & TG_PARTIALS) ? t->n_inputs : 0;
    for (int k = 0; k < n && k < max; k++)
        out[k] = t->scalar.partial[k];
    return n;
}

int tg_op_axis(const tg_tensor *t)
{
    int rc = tg__check("tg_op_axis", t, 1);
    if (rc < 0)
        return rc;
    if (!op_has(t, TG_OP_AXIS))
        return tg__fail(TG_EVALUE, "tg_op_axis: %s works along no single axis",
                        t->op ? t->op->info.name : "an unrecorded tensor");
    return t->attr.i.axis;
}

/* A TG_OP_AXES op keeps its axes as a bit mask in attr.i.flag_a (ops/axis.h). */
int tg_op_axes(const tg_tensor *t, int *out, int max)
{
    int rc = tg__check("tg_op_axes", t, 1);
    if (rc < 0)
        return rc;
    if (max > 0 && !out)
        return tg__fail(TG_ENULL, "tg_op_axes: argument 2 (out) is NULL");
    unsigned mask;
    if (op_has(t, TG_OP_AXIS))
        mask = 1u << t->attr.i.axis;
    else if (op_has(t, TG_OP_AXES))
        mask = (unsigned)t->attr.i.flag_a;
    else
        return tg__fail(TG_EVALUE, "tg_op_axes: %s works along no axes",
                        t->op ? t->op->info.name : "an unrecorded tensor");
    int n = 0;
    for (int d = 0; d < TG_MAX_DIMS; d++)
        if (mask >> d & 1u) {
            if (n < max)
                out[n] = d;
            n++;
        }
    return n;
}

static int check_vjp_args(tg_tensor *node, tg_tensor *upstream, tg_tensor **grads_out)
{
    int rc = tg__check("tg_vjp", node, 1);
    if (rc == 0)
        rc = tg__check("tg_vjp", upstream, 2);
    if (rc < 0)
        return rc;
    if (!grads_out)
        return tg__fail(TG_ENULL, "tg_vjp: argument 3 (grads_out) is NULL");
    if (!node->op)
        return tg__fail(TG_EVALUE, "tg_vjp: the tensor was not recorded by an op");
    if (node->flags & TG_RELEASED)
        return tg__fail(TG_ESTATE, "tg_vjp: %s (tape #%lld) was swept without "
                        "TG_RETAIN_GRAPH; its graph is released",
                        node->op->info.name, (long long)node->tape_pos);
    if (!tg__same_shape(node, upstream) || node->dtype != upstream->dtype) {
        char ns[96], us[96];
        return tg__fail(TG_ESHAPE, "tg_vjp: upstream gradient %s %s does not match %s %s",
                        tg_dtype_name((tg_dtype)upstream->dtype),
                        tg__dims_str(upstream->ndim, upstream->shape, us, sizeof us),
                        tg_dtype_name((tg_dtype)node->dtype),
                        tg__dims_str(node->ndim, node->shape, ns, sizeof ns));
    }
    return TG_OK;
}

/* A rule may compute gradients for inputs that do not need one; they are
 * dropped, as the sweep drops them. A wrong shape is a bug in the rule. */
static int keep_needed(const tg_tensor *node, tg_tensor **grads)
{
    for (int k = 0; k < node->n_inputs; k++) {
        const tg_tensor *x = node->in[k];
        if (!(x->flags & TG_REQUIRES_GRAD))
            grads[k] = NULL;
        if (grads[k] && (!tg__same_shape(x, grads[k]) || x->dtype != grads[k]->dtype))
            return tg__fail(TG_ESHAPE, "tg_vjp: %s produced a gradient of the wrong shape or "
                            "dtype for input %d", node->op->info.name, k);
    }
    return TG_OK;
}

int tg_vjp(tg_tensor *node, tg_tensor *upstream, tg_tensor **grads_out)
{
    int rc = check_vjp_args(node, upstream, grads_out);
    if (rc < 0)
        return rc;
    tg_tensor *local[TG_MAX_INPUTS];
    tg_tensor **grads = tg__input_slots("tg_vjp", node->n_inputs, local);
    if (!grads)
        return tg__latest_code();
    tg_no_grad_begin();
    rc = node->op->backward(node, upstream, grads);
    tg_no_grad_end();
    if (rc == 0)
        rc = keep_needed(node, grads);
    for (int k = 0; k < node->n_inputs; k++)
        grads_out[k] = rc == 0 ? grads[k] : NULL;
    return rc;
}
