/*
 * function.c -- user-defined ops (tapegrad/function.h).
 *
 * The result of tg_apply is recorded like a built-in op's. Its tg_op, which
 * carries the user's name into every message, is allocated on the tape next
 * to it, and attr.user holds the function and ud for the backward rule: a
 * static tg_function needs no registration and nothing to free.
 */
#include <stdio.h>
#include <string.h>

#include <tapegrad/ops.h>

#include "internal.h"

/* Puts "<name> (<where>): <what>: " before the message of the failure the
 * callback reported since mark. One that failed silently gets a message of
 * its own; one whose message lost to an older pending error keeps that. */
static int prefix_error(uint64_t mark, int code, const char *name, const char *where,
                        const char *what)
{
    const char *cause = tg__message_since(mark);
    char none[64];
    if (!cause) {
        snprintf(none, sizeof none, "returned %d without setting an error", code);
        cause = none;
    }
    return tg_amend_error(mark, code < 0 ? code : TG_ESTATE, "%s (%s): %s: %s", name, where,
                           what, cause);
}

/* The results of one tg_apply_multi, shared by their nodes. */
typedef struct {
    const tg_function_multi *fn;
    tg_tensor **outputs;
} multi_results;

/* A user-defined result's op, on the tape beside it: the row's copy under
 * the user's name, the tangent rule tg_apply_jvp gave (or NULL), and for a
 * result of tg_apply_multi its siblings and its index among them. */
typedef struct {
    tg_op op; /* first: out->op points here */
    tg_jvp_cb jvp;
    const multi_results *multi;
    int k;
} user_op;

static int call_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const user_op *op = (const user_op *)out->op;
    void *ud = out->attr.user.ud;
    if (op->multi)
        return op->multi->fn->backward(op->multi->outputs, op->k, g, out->in, grad_in, ud);
    return out->attr.user.fn->backward(out, g, out->in, grad_in, ud);
}

static int function_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const char *name = out->op->info.name;
    char where[48];
    snprintf(where, sizeof where, "tape #%lld", (long long)out->tape_pos);
    uint64_t mark = tg_error_mark();
    int rc = call_backward(out, g, grad_in);
    if (rc != 0)
        return prefix_error(mark, rc, name, where, "backward failed");
    for (int i = 0; i < out->n_inputs; i++)
        if (grad_in[i] && (rc = tg__check(name, grad_in[i], i + 1)) < 0)
            return prefix_error(mark, rc, name, where, "backward returned a bad gradient");
    return TG_OK;
}

TG_COLD static int not_composed_error(const char *name)
{
    return tg__fail(TG_ESTATE,
                    "%s: tg_jvp needs its tangent: give the tg_function a jvp, or write its "
                    "backward with tapegrad ops so that the double-VJP construction can use it",
                    name);
}

/* <J^T u, v> summed over the inputs that have a tangent; NULL with *rc 0
 * when none has a gradient. */
static tg_tensor *pair_with_tangents(int n, tg_tensor *const *grad_in,
                                     tg_tensor *const *tangent_in, int *rc)
{
    tg_tensor *s = NULL;
    for (int i = 0; i < n && *rc == 0; i++) {
        if (!grad_in[i] || !tangent_in[i])
            continue;
        tg_tensor *term = tg_sum(tg_mul(grad_in[i], tangent_in[i]));
        s = !term ? NULL : s ? tg_add(s, term) : term;
        if (!s)
            *rc = tg__latest_code();
    }
    return s;
}

/* J v for a function without a jvp: u -> J^T u (its backward on a dummy
 * cotangent u) is linear, so the gradient of <J^T u, v> with respect to u
 * is J v. Inputs with a tangent are marked as requiring grad while backward
 * runs, since it may skip the others. */
static int double_vjp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    const char *name = out->op->info.name;
    tg_tensor *u = tg__zeros_like(out);
    if (!u)
        return tg__latest_code();
    u->flags |= TG_REQUIRES_GRAD;
    uint16_t *flags = tg__tape_bytes(name, (size_t)out->n_inputs * sizeof *flags);
    tg_tensor *local[TG_MAX_INPUTS];
    tg_tensor **grad_in = flags ? tg__input_slots(name, out->n_inputs, local) : NULL;
    if (!grad_in)
        return tg__latest_code();
    bool differentiable = false;
    for (int i = 0; i < out->n_inputs; i++) {
        flags[i] = out->in[i]->flags;
        differentiable |= (flags[i] & TG_REQUIRES_GRAD) != 0;
        if (tangent_in[i])
            out->in[i]->flags |= TG_REQUIRES_GRAD;
    }
    int saved_mode = tg__grad_mode_set(true);
    int rc = function_backward(out, u, grad_in);
    for (int i = 0; i < out->n_inputs; i++)
        out->in[i]->flags = flags[i];
    tg_tensor *s = rc == 0 ? pair_with_tangents(out->n_inputs, grad_in, tangent_in, &rc) : NULL;
    if (s && !(s->flags & TG_REQUIRES_GRAD))
        rc = not_composed_error(name);
    else if (s)
        rc = tg_grad(&s, 1, &u, 1, tangent_out, differentiable && saved_mode == 0);
    tg__grad_mode_restore(saved_mode);
    return rc;
}

static int function_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_jvp_cb jvp = ((const user_op *)out->op)->jvp;
    if (!jvp)
        return double_vjp(out, tangent_in, tangent_out);
    uint64_t mark = tg_error_mark();
    int rc = jvp(out, out->in, tangent_in, tangent_out, out->attr.user.ud);
    return rc != 0 ? prefix_error(mark, rc, out->op->info.name, "jvp", "failed") : TG_OK;
}

static tg_tensor *checked_result(const char *name, uint64_t mark, tg_tensor *r, int k, int n,
                                 tg_tensor *const *inputs);

TG_COLD static int rerun_shape_error(const char *name, const tg_tensor *r, const tg_tensor *out)
{
    char got[96], want[96];
    return tg__fail(TG_ESHAPE,
                    "%s (rerun): forward gave %s %s, the recorded result is %s %s: a result "
                    "whose shape depends on the inputs' values cannot be replayed",
                    name, r->dtype == TG_F32 ? "f32" : "f64",
                    tg__dims_str(r->ndim, r->shape, got, sizeof got),
                    out->dtype == TG_F32 ? "f32" : "f64",
                    tg__dims_str(out->ndim, out->shape, want, sizeof want));
}

/* A user-defined result again: forward makes a new tensor (its ops' tensors
 * are tape scratch, which replay rewinds), copied into the recorded one.
 * The backward callback then sees the new out, inputs and whatever forward
 * left in ud, as after a fresh tg_apply. A result of tg_apply_multi runs
 * the whole forward and keeps its own output. */
static int function_rerun(tg_tensor *out)
{
    const user_op *op = (const user_op *)out->op;
    const char *name = out->op->info.name;
    void *ud = out->attr.user.ud;
    uint64_t mark = tg_error_mark();
    tg_tensor *r = NULL;
    int rc = 0;
    tg_no_grad_begin();
    if (op->multi) {
        tg_tensor **outputs = tg__tape_input_slots(name, op->multi->fn->n_outputs);
        rc = outputs ? op->multi->fn->forward(out->in, outputs, ud) : tg__latest_code();
        r = rc == 0 ? outputs[op->k] : NULL;
    } else {
        r = out->attr.user.fn->forward(out->in, ud);
    }
    tg_no_grad_end();
    if (rc != 0)
        return prefix_error(mark, rc, name, "rerun", "forward failed");
    r = checked_result(name, mark, r, op->multi ? op->k : -1, out->n_inputs, out->in);
    if (!r)
        return tg__latest_code();
    if (r->dtype != out->dtype || !tg__same_shape(r, out))
        return rerun_shape_error(name, r, out);
    memcpy(out->data, r->data, (size_t)out->numel * tg__dtype_size((tg_dtype)out->dtype));
    return TG_OK;
}

/* The row of the user-defined kind; each result's op is a copy that carries
 * the user's name. */
const tg_op tg__op_user = {
    .info = {TG_OP_USER, "tg_apply", TG_OP_VARIADIC, 0, {0}},
    .backward = function_backward,
    .jvp = function_jvp,
    .rerun = function_rerun,
};

/* What tg_apply and tg_apply_multi check alike: the name, the callbacks
 * (missing names the first that is), the inputs. */
static int check_function(const char *what, const char *name, bool callbacks, int n_inputs,
                          tg_tensor *const *inputs)
{
    if (!name || !callbacks)
        return tg__fail(TG_ENULL, "%s: the function%s is NULL", what,
                        !name ? "'s name" : "'s forward or backward");
    if (n_inputs < 1)
        return tg__fail(TG_EVALUE, "%s: %s has %d inputs; it needs at least 1", what, name,
                        n_inputs);
    if (!inputs)
        return tg__fail(TG_ENULL, "%s: the inputs array is NULL", name);
    for (int i = 0; i < n_inputs; i++) {
        int rc = tg__check(name, inputs[i], i + 1);
        if (rc < 0)
            return rc;
    }
    return TG_OK;
}

/* The node needs a tensor of its own: a forward that hands back an input, a
 * persistent tensor or one that takes part in a graph gets a copy. */
static tg_tensor *own_result(const char *name, tg_tensor *r, int n, tg_tensor *const *inputs)
{
    bool shared = (r->flags & (TG_PERSISTENT | TG_REQUIRES_GRAD)) || r->op;
    for (int i = 0; i < n; i++)
        shared |= r == inputs[i];
    if (!shared)
        return r;
    tg_tensor *copy = tg__tape_tensor(name, (tg_dtype)r->dtype, r->ndim, r->shape);
    if (copy)
        memcpy(copy->data, r->data, (size_t)r->numel * tg__dtype_size((tg_dtype)r->dtype));
    return copy;
}

/* Checks a result of forward (k: its index, -1 for tg_apply's one) and
 * gives it a tensor of its own. */
static tg_tensor *checked_result(const char *name, uint64_t mark, tg_tensor *r, int k, int n,
                                 tg_tensor *const *inputs)
{
    char where[40];
    snprintf(where, sizeof where, k < 0 ? "forward" : "forward, output %d", k);
    if (!r) {
        if (tg__failed_since(mark))
            prefix_error(mark, tg__latest_code(), name, where, "failed");
        else
            tg__fail(TG_ESTATE, "%s (%s): returned NULL without setting an error", name, where);
        return NULL;
    }
    if (tg__check(name, r, 0) < 0) {
        prefix_error(mark, tg__latest_code(), name, where, "bad result");
        return NULL;
    }
    return own_result(name, r, n, inputs);
}

static tg_tensor *run_forward(const tg_function *fn, tg_tensor *const *inputs, void *ud)
{
    uint64_t mark = tg_error_mark();
    tg_no_grad_begin(); /* the result is one node, not the ops inside forward */
    tg_tensor *r = fn->forward(inputs, ud);
    tg_no_grad_end();
    return checked_result(fn->name, mark, r, -1, fn->n_inputs, inputs);
}

/* Records r under a copy of the user row named name. */
static tg_tensor *record_user(const char *name, tg_tensor *r, tg_jvp_cb jvp,
                              const multi_results *multi, int k, int n,
                              tg_tensor *const *inputs)
{
    user_op *op = tg__tape_bytes(name, sizeof *op);
    if (!op)
        return NULL;
    op->op = tg__op_user;
    op->op.info.name = name;
    op->jvp = jvp;
    op->multi = multi;
    op->k = k;
    return tg__record(r, &op->op, n, inputs);
}

tg_tensor *tg_apply_jvp(const tg_function *fn, tg_jvp_cb jvp, tg_tensor *const *inputs, void *ud)
{
    if (!fn)
        return tg__fail(TG_ENULL, "tg_apply: the function is NULL"), NULL;
    if (check_function("tg_apply", fn->name, fn->forward && fn->backward, fn->n_inputs,
                       inputs) < 0)
        return NULL;
    tg_tensor *r = run_forward(fn, inputs, ud);
    if (!r)
        return NULL;
    r->attr.user.fn = fn;
    r->attr.user.ud = ud;
    return record_user(fn->name, r, jvp, NULL, 0, fn->n_inputs, inputs);
}

tg_tensor *tg_apply(const tg_function *fn, tg_tensor *const *inputs, void *ud)
{
    return tg_apply_jvp(fn, NULL, inputs, ud);
}

/* Runs fn's forward into m->outputs and gives each result its own node. */
static int apply_multi(const tg_function_multi *fn, tg_tensor *const *inputs, void *ud,
                       multi_results *m)
{
    uint64_t mark = tg_error_mark();
    tg_no_grad_begin();
    int rc = fn->forward(inputs, m->outputs, ud);
    tg_no_grad_end();
    if (rc != 0)
        return prefix_error(mark, rc, fn->name, "forward", "failed");
    for (int k = 0; k < fn->n_outputs; k++) {
        tg_tensor *r = checked_result(fn->name, mark, m->outputs[k], k, fn->n_inputs, inputs);
        if (!r)
            return tg__latest_code();
        r->attr.user.fn = NULL;
        r->attr.user.ud = ud;
        if (!(m->outputs[k] = record_user(fn->name, r, NULL, m, k, fn->n_inputs, inputs)))
            return tg__latest_code();
    }
    return TG_OK;
}

int tg_apply_multi(const tg_function_multi *fn, tg_tensor *const *inputs, void *ud,
                   tg_tensor **outputs)
{
    if (!fn || !outputs)
        return tg__fail(TG_ENULL, "tg_apply_multi: the %s is NULL", !fn ? "function" : "outputs array");
    int rc = check_function("tg_apply_multi", fn->name, fn->forward && fn->backward,
                            fn->n_inputs, inputs);
    if (rc == 0 && fn->n_outputs < 1)
        rc = tg__fail(TG_EVALUE, "tg_apply_multi: %s has %d outputs; it needs at least 1",
                      fn->name, fn->n_outputs);
    multi_results *m = rc == 0 ? tg__tape_bytes(fn->name, sizeof *m) : NULL;
    if (m) {
        m->fn = fn;
        m->outputs = tg__tape_input_slots(fn->name, fn->n_outputs);
    }
    rc = rc < 0 ? rc : !m || !m->outputs ? tg__latest_code() : apply_multi(fn, inputs, ud, m);
    for (int k = 0; k < fn->n_outputs; k++)
        outputs[k] = rc == 0 ? m->outputs[k] : NULL;
    return rc;
}
