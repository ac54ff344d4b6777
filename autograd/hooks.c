/* hooks.c -- gradient hooks, retained gradients and detaching. The sweep
 * that runs the hooks is in backward.c. */
#include "internal.h"

int tg_register_hook(tg_tensor *t, tg_hook_fn fn, void *ud)
{
    int rc = tg__check("tg_register_hook", t, 1);
    if (rc < 0)
        return rc;
    if (!fn)
        return tg__fail(TG_ENULL, "tg_register_hook: argument 2 (fn) is NULL");
    if (!(t->flags & TG_REQUIRES_GRAD))
        return tg__fail(TG_ESTATE, "tg_register_hook: the tensor does not require grad, so no "
                                   "gradient will ever reach the hook");
    bool persistent = (t->flags & TG_PERSISTENT) != 0;
    tg_hook *h = persistent ? tg__alloc(sizeof *h) : tg__tape_bytes("tg_register_hook", sizeof *h);
    if (!h)
        return tg__fail(TG_ENOMEM, "tg_register_hook: out of memory");
    *h = (tg_hook){fn, ud, NULL};
    tg_hook **tail = &t->hooks;
    while (*tail)
        tail = &(*tail)->next;
    *tail = h;
    return TG_OK;
}

void tg_remove_hooks(tg_tensor *t)
{
    if (tg__check("tg_remove_hooks", t, 1) < 0)
        return;
    while ((t->flags & TG_PERSISTENT) && t->hooks) {
        tg_hook *next = t->hooks->next;
        tg__free(t->hooks, sizeof *t->hooks);
        t->hooks = next;
    }
    t->hooks = NULL; /* a tape tensor's hooks go with the arena */
}

int tg_retain_grad(tg_tensor *t)
{
    int rc = tg__check("tg_retain_grad", t, 1);
    if (rc < 0)
        return rc;
    if (!(t->flags & TG_REQUIRES_GRAD))
        return tg__fail(TG_ESTATE, "tg_retain_grad: the tensor does not require grad, so it "
                                   "never has a gradient to keep");
    if (t->op)
        t->flags |= TG_RETAIN_GRAD;
    return TG_OK;
}

tg_tensor *tg_detach(tg_tensor *t)
{
    if (tg__check("tg_detach", t, 1) < 0)
        return NULL;
    return tg__tape_view("tg_detach", t, t->ndim, t->shape);
}
