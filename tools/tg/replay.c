/*
 * replay.c -- the reverse sweep done again in the open.
 *
 * tg_backward keeps only the leaves' gradients. To show every step, the
 * sweep is replayed here with tg_vjp: nodes in reverse tape order, each one's
 * gradient (complete by then, as the tape is topologically ordered) turned
 * into contributions for its inputs, which are summed per tensor. Every
 * gradient stays in a map keyed by tensor so that it can be shown.
 */
#include <tapegrad/inspect.h>

#include "tg.h"

static tg_tensor *ones_like(tg_tensor *t)
{
    return tg_full(tg_dtype_of(t), tg_ndim(t), tg_shape(t), 1.0, false);
}

/* Passes node's gradient to its inputs and tells the observer. */
static int step(tensor_map *m, tg_tensor *node, const sweep_observer *obs)
{
    tg_tensor *upstream = tensor_map_get(m, node);
    if (!upstream)
        return TG_OK; /* the result does not depend on this node */
    if (obs)
        obs->node(obs->ctx, node, upstream);
    tg_tensor *grads[REPLAY_MAX_INPUTS];
    if (tg_op_num_inputs(node) > REPLAY_MAX_INPUTS)
        return tg_set_error(TG_EVALUE, "tg: %s has %d inputs; the replay takes %d", tg_op_name(node),
                            tg_op_num_inputs(node), REPLAY_MAX_INPUTS);
    int rc = tg_vjp(node, upstream, grads);
    for (int k = 0; rc == 0 && k < tg_op_num_inputs(node); k++) {
        if (!grads[k])
            continue;
        tg_tensor *x = tg_op_input(node, k), *previous = tensor_map_get(m, x);
        tg_tensor *total = previous ? tg_add(previous, grads[k]) : grads[k];
        rc = total ? tensor_map_put(m, x, total) : tg_last_error_code();
        if (rc == 0 && obs)
            obs->input(obs->ctx, node, k, grads[k], previous, total);
    }
    return rc;
}

int replay_sweep(tg_tensor *result, const sweep_observer *obs, tensor_map **grads)
{
    *grads = tensor_map_new();
    if (!*grads)
        return TG_ENOMEM;
    tg_tensor *seed = ones_like(result);
    int rc = seed ? tensor_map_put(*grads, result, seed) : tg_last_error_code();
    tg_no_grad_begin();
    for (int64_t pos = tg_tape_position(result); rc == 0 && pos >= 0; pos--)
        rc = step(*grads, tg_tape_node(pos), obs);
    tg_no_grad_end();
    return rc;
}
