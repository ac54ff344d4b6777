/*
 * forward.c -- forward mode: tg_jvp carries a tangent beside every value.
 *
 * Tangent rules have the type committed in internal.h, unchanged:
 *     typedef int (*tg_jvp_fn)(tg_tensor *out, tg_tensor *const *tangent_in,
 *                              tg_tensor **tangent_out);
 * out's inputs (out->in[], out->n_inputs), its op (out->op) and attr are
 * set while the rule runs, also for a result that is not recorded.
 *
 * While tg_jvp runs f, every op passes through tg__record, which hands its
 * result here: if an input carries a tangent, the op's jvp rule gives the
 * result's. Tangents are tensors of the tape computed with ops, so when an
 * input requires grad they are recorded and can be differentiated
 * (reverse-over-forward); when nothing requires grad nothing is recorded.
 * A rule runs with forward mode off, so the ops inside it carry no
 * tangents of their own: there is one level of forward mode. A sweep (tg_grad)
 * run inside f does carry tangents through the ops of its rules, which is
 * forward-over-reverse: the tangent of a gradient is a Hessian-vector
 * product.
 *
 * A tensor's tangent counts only while its epoch is this thread's latest
 * tg_jvp's: an epoch is unique across threads, so tensors kept from an
 * earlier call, or a persistent input marked by another thread, carry none.
 */
#include <stdio.h>

#include <tapegrad/forward.h>
#include <tapegrad/ops.h>

#include "internal.h"

_Thread_local bool tg__forward_active;
_Thread_local uint64_t tg__forward_epoch;
static atomic_uint_fast64_t next_epoch = 1;

TG_COLD static int no_rule_error(const tg_op *op)
{
    return tg__fail(TG_ESTATE,
                    "tg_jvp: %s has no tangent rule (forward mode); differentiate it in "
                    "reverse mode (tg_grad, tg_jacobian with TG_JAC_REVERSE)",
                    op->info.name);
}

TG_COLD static int tangent_fits_error(const tg_tensor *out, const tg_tensor *t)
{
    char os[96], ts[96];
    return tg__fail(TG_ESHAPE,
                    "tg_jvp: the tangent rule of %s produced a %s tangent of shape %s for a "
                    "result of shape %s and dtype %s",
                    out->op->info.name, tg_dtype_name((tg_dtype)t->dtype),
                    tg__dims_str(t->ndim, t->shape, ts, sizeof ts),
                    tg__dims_str(out->ndim, out->shape, os, sizeof os),
                    tg_dtype_name((tg_dtype)out->dtype));
}

/* Runs out's rule on the tangents tin (out linked to its inputs) into *t,
 * checked to fit out. */
static int run_rule(tg_tensor *out, tg_tensor *const *tin, tg_tensor **t)
{
    *t = NULL;
    bool was_active = tg__forward_active;
    tg__forward_active = false; /* the rule's ops carry no tangents */
    int rc = out->op->jvp(out, tin, t);
    tg__forward_active = was_active;
    if (rc < 0)
        return rc;
    if (*t && !tg__valid(*t))
        return tg__invalid(out->op->info.name, *t, "the tangent its rule returned");
    if (*t && (!tg__same_shape(*t, out) || (*t)->dtype != out->dtype))
        return tangent_fits_error(out, *t);
    return TG_OK;
}

/* Runs out's rule and keeps the result as out's tangent. */
static int apply_rule(tg_tensor *out, tg_tensor *const *tin)
{
    tg_tensor *t;
    int rc = run_rule(out, tin, &t);
    if (rc < 0)
        return rc;
    out->tangent = t;
    out->tangent_epoch = tg__forward_epoch;
    return TG_OK;
}

/* The inputs' tangents into tin; whether any is nonzero. */
static bool gather_tangents(int n, tg_tensor *const *inputs, tg_tensor **tin)
{
    bool any = false;
    for (int i = 0; i < n; i++) {
        tin[i] = tg__tangent(inputs[i]);
        any |= tin[i] != NULL;
    }
    return any;
}

tg_tensor *tg__forward_node(tg_tensor *out, const tg_op *op, int n, tg_tensor *const *inputs)
{
    tg_tensor *local[TG_MAX_INPUTS];
    tg_tensor **tin = tg__input_slots(op->info.name, n, local);
    if (!tin)
        return NULL;
    if (!gather_tangents(n, inputs, tin))
        return out;
    if (!op->jvp) {
        no_rule_error(op);
        return NULL;
    }
    /* An unrecorded result is linked only while its rule runs: op != NULL
     * still means recorded everywhere else (internal.h). */
    bool linked = out->op != NULL;
    if (!linked) {
        out->op = op;
        out->n_inputs = n;
        out->in = (tg_tensor **)inputs; /* the caller's array outlives the rule */
    }
    int rc = apply_rule(out, tin);
    if (!linked) {
        out->op = NULL;
        out->n_inputs = 0;
        out->in = out->in_local;
    }
    return rc < 0 ? NULL : out;
}

/* Gives each of n tensors its tangent under a new epoch: what a forward
 * run or a tangent sweep starts from. */
static void seed_tangents(int n, tg_tensor *const *xs, tg_tensor *const *tangents)
{
    tg__forward_epoch = atomic_fetch_add(&next_epoch, 1);
    for (int i = 0; i < n; i++) {
        xs[i]->tangent = tangents[i];
        xs[i]->tangent_epoch = tg__forward_epoch;
    }
}

int tg__tangent_sweep(int64_t lo, int64_t hi, int n, tg_tensor *const *xs,
                      tg_tensor *const *tangents)
{
    seed_tangents(n, xs, tangents);
    int saved_mode = tg__grad_mode_set(false); /* the drivers' results are constants */
    int rc = TG_OK;
    for (int64_t pos = lo; pos < hi && rc == 0; pos++) {
        int64_t len;
        tg_tensor *node = tg__tape_nodes(&len)[pos]; /* re-read: recording may move it */
        tg_tensor *local[TG_MAX_INPUTS];
        tg_tensor **tin = tg__input_slots(node->op->info.name, node->n_inputs, local);
        if (!tin)
            rc = tg__latest_code();
        else if (gather_tangents(node->n_inputs, node->in, tin))
            rc = node->op->jvp ? apply_rule(node, tin) : no_rule_error(node->op);
    }
    tg__grad_mode_restore(saved_mode);
    return rc;
}

tg_tensor *tg__expand_like(tg_tensor *t, const tg_tensor *like)
{
    if (!t || tg__same_shape(t, like))
        return t;
    return tg_broadcast_to(t, like->ndim, like->shape);
}

/* ---- tg_jvp ---- */

static int check_tangent(const tg_tensor *x, const tg_tensor *t, int i)
{
    char name[32];
    snprintf(name, sizeof name, "tangents[%d]", i);
    if (!tg__valid(t))
        return tg__invalid("tg_jvp", t, name);
    if (tg__same_shape(x, t) && x->dtype == t->dtype)
        return TG_OK;
    char xs[96], ts[96];
    return tg__fail(TG_ESHAPE, "tg_jvp: tangents[%d] is %s %s but inputs[%d] is %s %s", i,
                    tg_dtype_name((tg_dtype)t->dtype), tg__dims_str(t->ndim, t->shape, ts, sizeof ts),
                    i, tg_dtype_name((tg_dtype)x->dtype),
                    tg__dims_str(x->ndim, x->shape, xs, sizeof xs));
}

static int check_input(int n, tg_tensor *const *inputs, int i)
{
    char name[32];
    snprintf(name, sizeof name, "inputs[%d]", i);
    if (!tg__valid(inputs[i]))
        return tg__invalid("tg_jvp", inputs[i], name);
    for (int j = 0; j < i && j < n; j++)
        if (inputs[j] == inputs[i])
            return tg__fail(TG_EVALUE,
                            "tg_jvp: inputs[%d] and inputs[%d] are the same tensor; each input "
                            "carries its own tangent, so pass a copy (tg_identity)",
                            j, i);
    return TG_OK;
}

static int check_jvp_args(tg_fn f, int n, tg_tensor *const *inputs, tg_tensor *const *tangents,
                          tg_tensor **tangent_out)
{
    if (!f || !inputs || !tangents || !tangent_out)
        return tg__fail(TG_ENULL, "tg_jvp: %s is NULL",
                        !f ? "f" : !inputs ? "the inputs array" : !tangents ? "the tangents array"
                                                                            : "tangent_out");
    if (n < 1)
        return tg__fail(TG_EVALUE, "tg_jvp: n is %d; at least one input is needed", n);
    if (tg__forward_active)
        return tg__fail(TG_ESTATE, "tg_jvp: called from inside another tg_jvp's f; forward mode "
                                   "has one level (nest tg_grad inside tg_jvp instead)");
    for (int i = 0; i < n; i++) {
        int rc = check_input(n, inputs, i);
        if (rc == 0 && tangents[i])
            rc = check_tangent(inputs[i], tangents[i], i);
        if (rc < 0)
            return rc;
    }
    return TG_OK;
}

/* Runs f with forward mode on; its result, or NULL with the error set. */
static tg_tensor *run_forward(tg_fn f, void *ctx, int n, tg_tensor *const *inputs,
                              tg_tensor *const *tangents)
{
    seed_tangents(n, inputs, tangents);
    uint64_t mark = tg_error_mark();
    tg__forward_active = true;
    tg_tensor *y = f(inputs, ctx);
    tg__forward_active = false;
    if (!y && !tg__failed_since(mark))
        tg__fail(TG_ESTATE, "tg_jvp: f returned NULL without setting an error");
    if (y && tg__check("tg_jvp", y, 0) < 0)
        return NULL;
    return y;
}

int tg_jvp(tg_fn f, void *ctx, int n, tg_tensor *const *inputs, tg_tensor *const *tangents,
           tg_tensor **output, tg_tensor **tangent_out)
{
    if (output)
        *output = NULL;
    if (tangent_out)
        *tangent_out = NULL;
    int rc = check_jvp_args(f, n, inputs, tangents, tangent_out);
    if (rc < 0)
        return rc;
    tg_tensor *y = run_forward(f, ctx, n, inputs, tangents);
    tg_tensor *t = !y ? NULL : tg__tangent(y) ? tg__tangent(y) : tg__zeros_like(y);
    if (!t)
        return tg__latest_code();
    if (output)
        *output = y;
    *tangent_out = t;
    return TG_OK;
}

static int check_node_tangents(const tg_tensor *node, tg_tensor *const *tangent_in, bool *any)
{
    *any = false;
    for (int i = 0; i < node->n_inputs; i++) {
        const tg_tensor *x = node->in[i], *t = tangent_in[i];
        char what[40];
        snprintf(what, sizeof what, "tangent_in[%d]", i);
        if (t && !tg__valid(t))
            return tg__invalid("tg_node_jvp", t, what);
        if (t && (!tg__same_shape(t, x) || t->dtype != x->dtype)) {
            char ts[96], xs[96];
            return tg__fail(TG_ESHAPE, "tg_node_jvp: %s is %s %s but input %d of %s is %s %s",
                            what, tg_dtype_name((tg_dtype)t->dtype),
                            tg__dims_str(t->ndim, t->shape, ts, sizeof ts), i,
                            node->op->info.name, tg_dtype_name((tg_dtype)x->dtype),
                            tg__dims_str(x->ndim, x->shape, xs, sizeof xs));
        }
        *any |= t != NULL;
    }
    return TG_OK;
}

int tg_node_jvp(tg_tensor *node, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    if (!tangent_out || !tangent_in)
        return tg__fail(TG_ENULL, "tg_node_jvp: %s is NULL",
                        !tangent_in ? "tangent_in" : "tangent_out");
    *tangent_out = NULL;
    int rc = tg__check("tg_node_jvp", node, 1);
    if (rc < 0)
        return rc;
    if (!node->op)
        return tg__fail(TG_EVALUE, "tg_node_jvp: the tensor is not a recorded op result (a "
                                   "leaf, a constant or a result that needs no gradient)");
    bool any;
    if ((rc = check_node_tangents(node, tangent_in, &any)) < 0 || !any)
        return rc;
    if (!node->op->jvp)
        return no_rule_error(node->op);
    int saved_mode = tg__grad_mode_set(false);
    rc = run_rule(node, tangent_in, tangent_out);
    tg__grad_mode_restore(saved_mode);
    return rc;
}

bool tg_op_has_jvp(tg_op_kind kind)
{
    /* a row's info is the first member of its tg_op */
    const tg_op_info *info = tg_op_info_of(kind);
    return info && ((const tg_op *)info)->jvp;
}

tg_tensor *tg_tangent(const tg_tensor *t)
{
    if (!tg__valid(t))
        return NULL;
    tg_tensor *d = tg__tangent(t);
    return tg__valid(d) ? d : NULL;
}
