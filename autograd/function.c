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

static int function_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const tg_function *fn = out->attr.user.fn;
    char where[48];
    snprintf(where, sizeof where, "tape #%lld", (long long)out->tape_pos);
    uint64_t mark = tg_error_mark();
    int rc = fn->backward(out, g, out->in, grad_in, out->attr.user.ud);
    if (rc != 0)
        return prefix_error(mark, rc, fn->name, where, "backward failed");
    for (int i = 0; i < fn->n_inputs; i++)
        if (grad_in[i] && (rc = tg__check(fn->name, grad_in[i], i + 1)) < 0)
            return prefix_error(mark, rc, fn->name, where, "backward returned a bad gradient");
    return TG_OK;
}

TG_COLD static int not_composed_error(const tg_function *fn)
{
    return tg__fail(TG_ESTATE,
                    "%s: tg_jvp needs its tangent: give the tg_function a jvp, or write its "
                    "backward with tapegrad ops so that the double-VJP construction can use it",
                    fn->name);
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
    const tg_function *fn = out->attr.user.fn;
    tg_tensor *u = tg__zeros_like(out);
    if (!u)
        return tg__latest_code();
    u->flags |= TG_REQUIRES_GRAD;
    uint16_t *flags = tg__tape_bytes(fn->name, (size_t)out->n_inputs * sizeof *flags);
    tg_tensor *local[TG_MAX_INPUTS];
    tg_tensor **grad_in = flags ? tg__input_slots(fn->name, out->n_inputs, local) : NULL;
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
        rc = not_composed_error(fn);
    else if (s)
        rc = tg_grad(&s, 1, &u, 1, tangent_out, differentiable && saved_mode == 0);
    tg__grad_mode_restore(saved_mode);
    return rc;
}

/* A user-defined result's op, on the tape beside it: the row's copy under
 * the user's name, and the tangent rule tg_apply_jvp gave (or NULL). */
typedef struct {
    tg_op op; /* first: out->op points here */
    tg_jvp_cb jvp;
} user_op;

static int function_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    const tg_function *fn = out->attr.user.fn;
    tg_jvp_cb jvp = ((const user_op *)out->op)->jvp;
    if (!jvp)
        return double_vjp(out, tangent_in, tangent_out);
    uint64_t mark = tg_error_mark();
    int rc = jvp(out, out->in, tangent_in, tangent_out, out->attr.user.ud);
    return rc != 0 ? prefix_error(mark, rc, fn->name, "jvp", "failed") : TG_OK;
}

/* The row of the user-defined kind; each result's op is a copy that carries
 * the user's name. */
const tg_op tg__op_user = {
    .info = {TG_OP_USER, "tg_apply", TG_OP_VARIADIC, 0, {0}},
    .backward = function_backward,
    .jvp = function_jvp,
};

static int check_function(const tg_function *fn, tg_tensor *const *inputs)
{
    if (!fn || !fn->name || !fn->forward || !fn->backward)
        return tg__fail(TG_ENULL, "tg_apply: the function%s is NULL",
                        !fn ? "" : !fn->name ? "'s name" : !fn->forward ? "'s forward"
                                                                         : "'s backward");
    if (fn->n_inputs < 1)
        return tg__fail(TG_EVALUE, "tg_apply: %s has %d inputs; it needs at least 1", fn->name,
                        fn->n_inputs);
    if (!inputs)
        return tg__fail(TG_ENULL, "%s: the inputs array is NULL", fn->name);
    for (int i = 0; i < fn->n_inputs; i++) {
        int rc = tg__check(fn->name, inputs[i], i + 1);
        if (rc < 0)
            return rc;
    }
    return TG_OK;
}

/* The node needs a tensor of its own: a forward that hands back an input, a
 * persistent tensor or one that takes part in a graph gets a copy. */
static tg_tensor *own_result(const tg_function *fn, tg_tensor *r, tg_tensor *const *inputs)
{
    bool shared = (r->flags & (TG_PERSISTENT | TG_REQUIRES_GRAD)) || r->op;
    for (int i = 0; i < fn->n_inputs; i++)
        shared |= r == inputs[i];
    if (!shared)
        return r;
    tg_tensor *copy = tg__tape_tensor(fn->name, (tg_dtype)r->dtype, r->ndim, r->shape);
    if (copy)
        memcpy(copy->data, r->data, (size_t)r->numel * tg__dtype_size((tg_dtype)r->dtype));
    return copy;
}

static tg_tensor *run_forward(const tg_function *fn, tg_tensor *const *inputs, void *ud)
{
    uint64_t mark = tg_error_mark();
    tg_no_grad_begin(); /* the result is one node, not the ops inside forward */
    tg_tensor *r = fn->forward(inputs, ud);
    tg_no_grad_end();
    if (!r) {
        if (tg__failed_since(mark))
            prefix_error(mark, tg__latest_code(), fn->name, "forward", "failed");
        else
            tg__fail(TG_ESTATE, "%s (forward): returned NULL without setting an error", fn->name);
        return NULL;
    }
    if (tg__check(fn->name, r, 0) < 0) {
        prefix_error(mark, tg__latest_code(), fn->name, "forward", "bad result");
        return NULL;
    }
    return own_result(fn, r, inputs);
}

tg_tensor *tg_apply_jvp(const tg_function *fn, tg_jvp_cb jvp, tg_tensor *const *inputs, void *ud)
{
    if (check_function(fn, inputs) < 0)
        return NULL;
    tg_tensor *r = run_forward(fn, inputs, ud);
    user_op *op = r ? tg__tape_bytes(fn->name, sizeof *op) : NULL;
    if (!op)
        return NULL;
    op->op = tg__op_user;
    op->op.info.name = fn->name;
    op->jvp = jvp;
    r->attr.user.fn = fn;
    r->attr.user.ud = ud;
    return tg__record(r, &op->op, fn->n_inputs, inputs);
}

tg_tensor *tg_apply(const tg_function *fn, tg_tensor *const *inputs, void *ud)
{
    return tg_apply_jvp(fn, NULL, inputs, ud);
}
