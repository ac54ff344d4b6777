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

/* The row of the user-defined kind; each result's op is a copy that carries
 * the user's name. */
const tg_op tg__op_user = {
    .info = {TG_OP_USER, "tg_apply", TG_OP_VARIADIC, 0, {0}},
    .backward = function_backward,
};

static int check_function(const tg_function *fn, tg_tensor *const *inputs)
{
    if (!fn || !fn->name || !fn->forward || !fn->backward)
        return tg__fail(TG_ENULL, "tg_apply: the function%s is NULL",
                        !fn ? "" : !fn->name ? "'s name" : !fn->forward ? "'s forward"
                                                                         : "'s backward");
    if (fn->n_inputs < 1 || fn->n_inputs > TG_MAX_INPUTS)
        return tg__fail(TG_EVALUE, "tg_apply: %s has %d inputs; 1 to %d are supported", fn->name,
                        fn->n_inputs, TG_MAX_INPUTS);
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

tg_tensor *tg_apply(const tg_function *fn, tg_tensor *const *inputs, void *ud)
{
    if (check_function(fn, inputs) < 0)
        return NULL;
    tg_tensor *r = run_forward(fn, inputs, ud);
    tg_op *op = r ? tg__tape_bytes(fn->name, sizeof *op) : NULL;
    if (!op)
        return NULL;
    *op = tg__op_user;
    op->info.name = fn->name;
    r->attr.user.fn = fn;
    r->attr.user.ud = ud;
    return tg__record(r, op, fn->n_inputs, inputs);
}
