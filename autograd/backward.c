/*
 * backward.c -- the reverse sweep, for tg_backward and tg_grad.
 *
 * The tape lists recorded op results in creation order, a topological order,
 * so one backward pass over it in reverse visits every node after all of its
 * consumers: when a node is reached its gradient (summed in pending) is
 * complete. The walk is a plain loop over an array -- no recursion, no stack
 * growth -- so chains of millions of nodes differentiate.
 *
 * A TG_CREATE_GRAPH sweep runs the rules with recording on, so they append
 * nodes to the tape while it is walked: the walk starts at the outputs'
 * position and only goes down, and re-reads the node array every step since
 * growing the tape may move it.
 *
 * Where a leaf's gradient goes depends on the entry point. tg_backward adds
 * it to the leaf's grad (in place for a persistent tensor). tg_grad marks its
 * inputs TG_GRAD_TARGET and lets only those collect, in pending, which it
 * reads and clears at the end; no grad field is touched. A leaf with hooks
 * collects in pending too, so its hooks see its total gradient once: in
 * tg_backward as soon as the walk has passed the lowest tape position of an
 * op that takes it (no later rule can add to it), so that a hook can start
 * work on a finished gradient -- an allreduce across processes
 * (tapegrad/dist.h) -- while the walk goes on, as PyTorch's DDP does. The
 * leaf is flushed when the walk ends if that op received no gradient.
 */
#include <stdio.h>

#include <tapegrad/ops.h>

#include "internal.h"

/* Set while a sweep runs on this thread. A sweep started from inside one (a
 * hook or a user-defined op's backward calling tg_grad or tg_backward) would
 * walk the same tape and take the outer sweep's gradients in flight as its
 * own, so it is refused. Anomaly mode reads it too (internal.h). */
_Thread_local bool tg__sweeping;

static int enter_sweep(const char *fn)
{
    if (tg__sweeping)
        return tg__fail(TG_ESTATE,
                        "%s: called during another sweep (from a hook or a user-defined op's "
                        "backward); nested sweeps are not supported",
                        fn);
    tg__sweeping = true;
    return TG_OK;
}

typedef struct {
    const char *fn;    /* "tg_backward" or "tg_grad", for messages */
    bool create_graph; /* rules run recorded */
    bool collect;      /* tg_grad: only TG_GRAD_TARGET tensors keep a gradient */
    uint16_t released; /* TG_RELEASED, or 0 where the graph may be swept again */
    bool uses_known;   /* the hooked leaves' last_use are this sweep's */
    bool scalar;       /* nodes with partials are swept by them (scalar_sweep.c) */
    tg_scalar_sink sink;
    tg_tape_lists *lists;
    int64_t pos;       /* the walk's position; the outputs' before it starts */
} sweep;

/* Gradients meeting at one tensor are summed with this op, recorded like any
 * other when the sweep itself is recorded. */
static int accumulate_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    grad_in[0] = g;
    grad_in[1] = g;
    return TG_OK;
}

/* Both operands have the result's shape: their tangents add. */
static int accumulate_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    (void)out;
    tg_tensor *a = tangent_in[0], *b = tangent_in[1];
    *tangent_out = a && b ? tg_add(a, b) : a ? a : b;
    return *tangent_out ? TG_OK : tg__latest_code();
}

/* out = a + b, all three of one shape */
static void sum_kernel(tg_tensor *out, const tg_tensor *a, const tg_tensor *b)
{
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
}

static int accumulate_rerun(tg_tensor *out)
{
    sum_kernel(out, out->in[0], out->in[1]);
    return TG_OK;
}

/* Internal: the library records it, no public function makes it, so the
 * catalogue row has no sample to check (its rule is tg_add's). */
const tg_op tg__op_accumulate = {
    .info = {TG_OP_ACCUMULATE, "tg_backward (accumulate)", 2,
             TG_OP_ELEMENTWISE | TG_OP_INTERNAL, {0}},
    .backward = accumulate_backward,
    .jvp = accumulate_jvp,
    .rerun = accumulate_rerun,
};

static tg_tensor *add_same_shape(tg_tensor *a, tg_tensor *b)
{
    tg_tensor *out = tg__tape_tensor(tg__op_accumulate.info.name, (tg_dtype)a->dtype, a->ndim, a->shape);
    if (!out)
        return NULL;
    sum_kernel(out, a, b);
    tg_tensor *in[2] = {a, b};
    return tg__record(out, &tg__op_accumulate, 2, in);
}

/* Gradients of more than this many elements are added on tg_parallel_pass's
 * threads, in shares of at least this many; below it, waking the team costs
 * about what a second thread saves (tools/bench/bench_accumulate.c). */
#define ACCUMULATE_GRAIN ((int64_t)1 << 15)

typedef struct {
    tg_tensor *dst;
    const tg_tensor *src;
} add_job;

static void add_range(void *ctx, int64_t lo, int64_t hi)
{
    const add_job *job = ctx;
    if (job->dst->dtype == TG_F32) {
        float *d = job->dst->data;
        const float *s = job->src->data;
        for (int64_t i = lo; i < hi; i++)
            d[i] += s[i];
    } else {
        double *d = job->dst->data;
        const double *s = job->src->data;
        for (int64_t i = lo; i < hi; i++)
            d[i] += s[i];
    }
}

static void add_in_place(tg_tensor *dst, const tg_tensor *src)
{
    add_job job = {dst, src};
    tg_parallel_pass(0, dst->numel, ACCUMULATE_GRAIN, add_range, &job);
}

/* *slot = *slot + g, out of place so that a recorded sweep can
 * differentiate it. */
static int add_into(tg_tensor **slot, tg_tensor *g)
{
    tg_tensor *sum = add_same_shape(*slot, g);
    if (!sum)
        return tg__latest_code();
    *slot = sum;
    return TG_OK;
}

static inline int sum_into(tg_tensor **slot, tg_tensor *g)
{
    if (*slot)
        return add_into(slot, g);
    *slot = g;
    return TG_OK;
}

/* A rule (or hook, or seed) that yields a gradient of the wrong shape or
 * dtype is a bug in that op (or a user-defined one): say so. */
TG_COLD static int fits_error(const char *fn, const tg_tensor *x, const tg_tensor *g,
                              const char *from)
{
    char xs[96], gs[96];
    return tg__fail(TG_ESHAPE,
                    "%s: %s produced a %s gradient of shape %s for a tensor of shape %s and "
                    "dtype %s",
                    fn, from, tg_dtype_name((tg_dtype)g->dtype),
                    tg__dims_str(g->ndim, g->shape, gs, sizeof gs),
                    tg__dims_str(x->ndim, x->shape, xs, sizeof xs),
                    tg_dtype_name((tg_dtype)x->dtype));
}

static int check_fits(const char *fn, const tg_tensor *x, const tg_tensor *g, const char *from)
{
    if (tg__same_shape(x, g) && x->dtype == g->dtype)
        return TG_OK;
    return fits_error(fn, x, g, from);
}

/* Set while an unrecorded tg_backward sweep runs on this thread: the one
 * kind of sweep in which every leaf's gradient goes to its .grad as it
 * arrives (tg_grad collects, a recorded sweep adds out of place, a hooked
 * leaf waits for its hooks). */
static _Thread_local bool plain_backward;

tg_tensor *tg__grad_sink(tg_tensor *leaf)
{
    const unsigned needed = TG_PERSISTENT | TG_REQUIRES_GRAD;
    if (!plain_backward || leaf->op || (leaf->flags & needed) != needed || leaf->hooks ||
        tg__anomaly())
        return NULL;
    return tg__persistent_grad(leaf);
}

/* Adds a leaf's gradient to its grad. A persistent tensor's buffer outlives
 * the tape, so it takes the values in place even in a recorded sweep. */
static int deliver(tg_tensor *leaf, tg_tensor *g)
{
    if (!(leaf->flags & TG_PERSISTENT))
        return leaf->grad == leaf && !tg__leaf_grad(leaf) ? tg__latest_code()
                                                          : sum_into(&leaf->grad, g);
    tg_tensor *buf = tg__persistent_grad(leaf);
    if (!buf)
        return tg__latest_code();
    add_in_place(buf, g);
    return TG_OK;
}

/* Sets last_use of every hooked leaf taken by an op at sw->pos or below,
 * once per sweep, when the first one receives a gradient: sweeps without
 * hooked leaves pay nothing. Positions are walked downwards, so the lowest
 * is written last. A leaf taken only above sw->pos has no gradient yet, and
 * if it gets one later, it is deferred to the end of the walk. */
static void find_last_uses(sweep *sw)
{
    sw->uses_known = true;
    for (int64_t pos = sw->pos; pos >= 0; pos--) {
        tg_tensor *node = sw->lists->nodes[pos];
        for (int i = 0; i < node->n_inputs; i++) {
            tg_tensor *x = node->in[i];
            if (!x->op && x->hooks)
                x->last_use = pos;
        }
    }
}

/* Adds contribution g to x's gradient, from the op named by from. */
static int accumulate(sweep *sw, tg_tensor *x, tg_tensor *g, const char *from)
{
    int rc = check_fits(sw->fn, x, g, from);
    if (rc < 0)
        return rc;
    if (x->op || (x->flags & TG_GRAD_TARGET))
        return sum_into(&x->pending, g);
    if (sw->collect)
        return TG_OK; /* a leaf tg_grad was not asked about */
    if (!x->hooks)
        return deliver(x, g);
    if (!x->pending && (rc = tg__defer_push(sw->lists, x)) < 0)
        return rc;
    if (!sw->uses_known)
        find_last_uses(sw);
    return sum_into(&x->pending, g);
}

/* Checks array[index] of fn's arguments, naming it so in a message. */
static int check_entry(const char *fn, const tg_tensor *t, const char *array, int index)
{
    if (tg__valid(t))
        return TG_OK;
    char what[48];
    snprintf(what, sizeof what, "%s[%d]", array, index);
    return tg__invalid(fn, t, what);
}

static const char *describe(const tg_tensor *t, char *buf, size_t size)
{
    if (t->op)
        snprintf(buf, size, "%s (tape #%lld)", t->op->info.name, (long long)t->tape_pos);
    else
        snprintf(buf, size, "a leaf tensor");
    return buf;
}

/* Passes *g through t's hooks in registration order. */
static int run_hooks(const sweep *sw, tg_tensor *t, tg_tensor **g)
{
    char who[160], from[200];
    for (const tg_hook *h = t->hooks; h; h = h->next) {
        uint64_t mark = tg_error_mark(); /* did the hook report its failure? */
        tg_tensor *r = h->fn(t, *g, h->ud);
        if (!r && !tg__failed_since(mark))
            tg__fail(TG_ESTATE, "%s: a hook of %s returned NULL without setting an error",
                     sw->fn, describe(t, who, sizeof who));
        int rc = !r ? tg__latest_code()
                 : tg__valid(r) ? TG_OK
                 : tg__invalid(sw->fn, r, "the tensor a hook returned");
        if (rc == 0 && (!tg__same_shape(t, r) || t->dtype != r->dtype)) {
            snprintf(from, sizeof from, "a hook of %s", describe(t, who, sizeof who));
            rc = fits_error(sw->fn, t, r, from);
        }
        if (rc < 0)
            return rc;
        *g = r;
    }
    return TG_OK;
}

/* Runs a leaf's hooks on its total gradient and delivers the result. */
static int flush_leaf(const sweep *sw, tg_tensor *leaf)
{
    tg_tensor *g = leaf->pending;
    leaf->pending = NULL;
    int rc = run_hooks(sw, leaf, &g);
    return rc < 0 ? rc : deliver(leaf, g);
}

/* Flushes the hooked leaves among node's inputs that no op below takes. */
static int flush_finished_leaves(const sweep *sw, tg_tensor *node)
{
    for (int i = 0; i < node->n_inputs; i++) {
        tg_tensor *x = node->in[i];
        if (!x->op && x->hooks && x->pending && x->last_use == sw->pos) {
            int rc = flush_leaf(sw, x);
            if (rc < 0)
                return rc;
        }
    }
    return TG_OK;
}

/* Applies node's rule to its complete gradient g and hands the results to
 * its inputs. */
static int propagate(sweep *sw, tg_tensor *node, tg_tensor *g)
{
    tg_tensor *local[TG_MAX_INPUTS];
    tg_tensor **grad_in = tg__input_slots(node->op->info.name, node->n_inputs, local);
    if (!grad_in)
        return tg__latest_code();
    int rc = node->op->backward(node, g, grad_in);
    if (rc == 0 && tg__anomaly())
        rc = tg__anomaly_backward(node, grad_in);
    for (int i = 0; rc == 0 && i < node->n_inputs; i++) {
        tg_tensor *x = node->in[i];
        if (grad_in[i] && (x->flags & TG_REQUIRES_GRAD))
            rc = accumulate(sw, x, grad_in[i], node->op->info.name);
    }
    if (rc == 0 && sw->uses_known)
        rc = flush_finished_leaves(sw, node);
    node->flags |= sw->released;
    return rc;
}

/* Shows node's complete gradient *g to its hooks (which may replace it), to
 * tg_grad or to its retained grad. */
static int show_gradient(sweep *sw, tg_tensor *node, tg_tensor **g)
{
    int rc = node->hooks ? run_hooks(sw, node, g) : TG_OK;
    if (rc == 0 && (node->flags & TG_GRAD_TARGET))
        node->pending = *g; /* tg_grad's result; the walk goes on past it */
    else if (rc == 0 && (node->flags & TG_RETAIN_GRAD) && !sw->collect)
        rc = sum_into(&node->grad, *g);
    return rc;
}

/* The fast path's way to a gradient it cannot add as a double: a 0-d
 * tensor through accumulate. */
static int accumulate_value(void *ctx, tg_tensor *x, double c, const char *from)
{
    tg_tensor *g = tg__scalar_like(x, c);
    return g ? accumulate(ctx, x, g, from) : tg__latest_code();
}

/* Shows a fast node's gradient to its hooks, to tg_grad or to its retained
 * grad as a 0-d tensor, and takes back what they leave. */
static int show_scalar(sweep *sw, tg_tensor *node, double *adjoint)
{
    tg_tensor *g = tg__scalar_like(node, *adjoint);
    int rc = g ? show_gradient(sw, node, &g) : tg__latest_code();
    if (rc == 0)
        *adjoint = tg__load(g, 0);
    return rc;
}

/* A node with stored partials in a first-order sweep: its gradient stays a
 * double unless someone is shown it. */
static int visit_scalar(sweep *sw, tg_tensor *node)
{
    double adjoint = tg__scalar_take(node);
    node->flags |= sw->released; /* with the take's flag write; nothing below reads it */
    int rc = TG_OK;
    if (node->hooks || (node->flags & (TG_GRAD_TARGET | TG_RETAIN_GRAD)))
        rc = show_scalar(sw, node, &adjoint);
    if (rc == 0)
        rc = tg__scalar_propagate(&sw->sink, node, adjoint);
    if (rc == 0 && sw->uses_known)
        rc = flush_finished_leaves(sw, node);
    return rc;
}

static int visit(sweep *sw, tg_tensor *node)
{
    tg_tensor *g = node->pending;
    node->pending = NULL;
    int rc = show_gradient(sw, node, &g);
    return rc < 0 ? rc : propagate(sw, node, g);
}

static int released_error(const sweep *sw, const tg_tensor *node)
{
    return tg__fail(TG_ESTATE,
                    "%s: %s (tape #%lld) was already swept and its buffers released; pass "
                    "TG_RETAIN_GRAPH to sweep twice",
                    sw->fn, node->op->info.name, (long long)node->tape_pos);
}

static void drop_gradient(tg_tensor *node)
{
    node->pending = NULL;
    node->flags &= (uint16_t)~TG_ADJOINT;
}

/* Walks positions start..0; once rc is negative it only drops the partial
 * gradients, so that none is left behind. */
static int walk(sweep *sw, int64_t start, int rc)
{
    const bool scalar = sw->scalar;
    for (int64_t pos = start; pos >= 0; pos--) {
        tg_tensor *node = sw->lists->nodes[pos];
        if (!node->pending && !(node->flags & TG_ADJOINT))
            continue;
        sw->pos = pos; /* for the hooked leaves' last uses */
        if (rc < 0)
            drop_gradient(node);
        else if (node->flags & TG_RELEASED) {
            drop_gradient(node);
            rc = released_error(sw, node);
        } else if (scalar && (node->flags & TG_PARTIALS))
            rc = visit_scalar(sw, node);
        else
            rc = visit(sw, node);
    }
    return rc;
}

/* Flushes the hooked leaves still waiting when the walk ends (only drops
 * their gradients once rc is negative). */
static int flush_deferred(const sweep *sw, int rc)
{
    tg_tape_lists *l = sw->lists;
    for (int64_t k = 0; k < l->n_deferred; k++) {
        tg_tensor *leaf = l->deferred[k];
        if (leaf->pending && rc == 0)
            rc = flush_leaf(sw, leaf);
        leaf->pending = NULL;
    }
    l->n_deferred = 0;
    return rc;
}

static tg_tensor *ones_like(const char *fn, const tg_tensor *t)
{
    tg_tensor *o = tg__tape_tensor(fn, (tg_dtype)t->dtype, t->ndim, t->shape);
    for (int64_t i = 0; o && i < o->numel; i++)
        tg__store(o, i, 1.0);
    return o;
}

TG_COLD static int needs_seed_error(const sweep *sw, const tg_tensor *out)
{
    char os[96];
    return tg__fail(TG_ESHAPE,
                    "%s: tensor of shape %s has %lld elements; a seed gradient of that shape is "
                    "needed (%s_ex)",
                    sw->fn, tg__dims_str(out->ndim, out->shape, os, sizeof os),
                    (long long)out->numel, sw->fn);
}

TG_COLD static int seed_mismatch_error(const sweep *sw, const tg_tensor *out,
                                       const tg_tensor *seed)
{
    char os[96], ss[96];
    return tg__fail(TG_ESHAPE, "%s: seed gradient %s %s does not match output %s %s", sw->fn,
                    tg_dtype_name((tg_dtype)seed->dtype),
                    tg__dims_str(seed->ndim, seed->shape, ss, sizeof ss),
                    tg_dtype_name((tg_dtype)out->dtype),
                    tg__dims_str(out->ndim, out->shape, os, sizeof os));
}

/* Checks output k and its seed (NULL: ones, for one element only). */
static int check_output(const sweep *sw, tg_tensor *out, const tg_tensor *seed, int k)
{
    int rc = sw->collect ? check_entry(sw->fn, out, "outputs", k) : tg__check(sw->fn, out, 1);
    if (rc < 0)
        return rc;
    if (!(out->flags & TG_REQUIRES_GRAD) && !sw->collect)
        return tg__fail(TG_ESTATE,
                        "%s: the tensor does not require grad: no input of its expression was "
                        "created with requires_grad (tg_var, tg_param)",
                        sw->fn);
    if (out->flags & TG_RELEASED)
        return tg__fail(TG_ESTATE,
                        "%s: this graph was already swept and its buffers released; pass "
                        "TG_RETAIN_GRAPH to sweep it again",
                        sw->fn);
    if (!seed)
        return out->numel == 1 ? TG_OK : needs_seed_error(sw, out);
    rc = sw->collect ? check_entry(sw->fn, seed, "seeds", k) : tg__check(sw->fn, seed, 2);
    if (rc < 0)
        return rc;
    if (!tg__same_shape(out, seed) || out->dtype != seed->dtype)
        return seed_mismatch_error(sw, out, seed);
    return TG_OK;
}

/* Sends each output its seed; outputs that do not require grad (tg_grad
 * only) get nothing. */
static int seed_outputs(sweep *sw, tg_tensor *const *outs, tg_tensor *const *seeds,
                        int n_out)
{
    for (int k = 0; k < n_out; k++) {
        if (!(outs[k]->flags & TG_REQUIRES_GRAD))
            continue;
        if (sw->scalar && (outs[k]->flags & TG_PARTIALS) && !(seeds && seeds[k])) {
            /* the seed of a scalar output, as a double; an output listed twice gets two */
            bool seeded = (outs[k]->flags & TG_ADJOINT) != 0;
            outs[k]->scalar.adjoint = seeded ? outs[k]->scalar.adjoint + 1 : 1;
            outs[k]->flags |= TG_ADJOINT;
            continue;
        }
        tg_tensor *seed = seeds && seeds[k] ? seeds[k] : ones_like(sw->fn, outs[k]);
        int rc = seed ? accumulate(sw, outs[k], seed, "the seed") : tg__latest_code();
        if (rc < 0)
            return rc;
    }
    return TG_OK;
}

static int run_sweep(sweep *sw, tg_tensor *const *outs, tg_tensor *const *seeds, int n_out)
{
    int64_t start = -1;
    for (int k = 0; k < n_out; k++) {
        int rc = check_output(sw, outs[k], seeds ? seeds[k] : NULL, k);
        if (rc < 0)
            return rc;
        if (outs[k]->op && outs[k]->tape_pos > start)
            start = outs[k]->tape_pos;
    }
    int saved_mode = tg__grad_mode_set(sw->create_graph);
    sw->lists = tg__tape_lists(); /* NULL only if this thread's tape could not be made */
    if (!sw->lists) {
        tg__grad_mode_restore(saved_mode);
        return tg__fail(TG_ENOMEM, "%s: out of memory for this thread's tape", sw->fn);
    }
    sw->pos = start;
    int rc = seed_outputs(sw, outs, seeds, n_out);
    rc = walk(sw, start, rc);
    if (sw->lists->n_deferred)
        rc = flush_deferred(sw, rc);
    tg__grad_mode_restore(saved_mode);
    return rc;
}

/* Made in place: returned by value, the struct's copy cost a dozen
 * instructions a sweep (callgrind). */
static void sweep_init(sweep *sw, const char *fn, bool collect, unsigned flags)
{
    bool create = (flags & TG_CREATE_GRAPH) != 0;
    /* anomaly mode checks the tensors each rule returns: the rules run */
    bool scalar = !create && !tg__anomaly();
    bool retain = create || (flags & TG_RETAIN_GRAPH) != 0;
    *sw = (sweep){fn, create, collect, retain ? 0 : TG_RELEASED, false, scalar,
                  {collect, accumulate_value, sw}, NULL, -1};
}

int tg_backward_ex(tg_tensor *out, tg_tensor *seed, unsigned flags)
{
    sweep sw;
    sweep_init(&sw, "tg_backward", false, flags);
    int rc = enter_sweep(sw.fn);
    if (rc < 0)
        return rc;
    plain_backward = !sw.create_graph;
    rc = run_sweep(&sw, &out, &seed, 1);
    plain_backward = false;
    tg__sweeping = false;
    return rc;
}

int tg_backward(tg_tensor *loss) { return tg_backward_ex(loss, NULL, 0); }

/* ---- tg_grad ---- */

static int check_grad_args(tg_tensor *const *outputs, int n_out, tg_tensor *const *inputs,
                           int n_in, tg_tensor **grads_out)
{
    if (!outputs || !inputs || !grads_out)
        return tg__fail(TG_ENULL, "tg_grad: the %s array is NULL",
                        !outputs ? "outputs" : !inputs ? "inputs" : "grads_out");
    if (n_out < 1 || n_in < 1)
        return tg__fail(TG_EVALUE, "tg_grad: n_out %d and n_in %d must be at least 1", n_out,
                        n_in);
    for (int i = 0; i < n_in; i++) {
        int rc = check_entry("tg_grad", inputs[i], "inputs", i);
        if (rc < 0)
            return rc;
    }
    return TG_OK;
}

/* Reads the gradients collected in the inputs' pending (after a leaf's
 * hooks; a recorded input's ran in the walk) and clears every mark. An input
 * listed twice is finished by its first appearance. */
static int collect_results(const sweep *sw, tg_tensor *const *inputs, int n_in,
                           tg_tensor **grads_out, int rc)
{
    for (int i = 0; i < n_in; i++) {
        tg_tensor *x = inputs[i];
        bool first = (x->flags & TG_GRAD_TARGET) != 0;
        x->flags &= (uint16_t)~TG_GRAD_TARGET;
        if (rc == 0 && first && !x->op && x->hooks && x->pending)
            rc = run_hooks(sw, x, &x->pending);
        grads_out[i] = x->pending ? x->pending : rc == 0 ? tg__zeros_like(x) : NULL;
        if (!grads_out[i] && rc == 0)
            rc = tg__latest_code();
    }
    for (int i = 0; i < n_in; i++) {
        inputs[i]->pending = NULL;
        if (rc < 0)
            grads_out[i] = NULL;
    }
    return rc;
}

int tg_grad_ex(tg_tensor *const *outputs, tg_tensor *const *seeds, int n_out,
               tg_tensor *const *inputs, int n_in, tg_tensor **grads_out, unsigned flags)
{
    int rc = check_grad_args(outputs, n_out, inputs, n_in, grads_out);
    if (rc == 0)
        rc = enter_sweep("tg_grad");
    if (rc < 0)
        return rc;
    for (int i = 0; i < n_in; i++)
        inputs[i]->flags |= TG_GRAD_TARGET;
    sweep sw;
    sweep_init(&sw, "tg_grad", true, flags);
    rc = run_sweep(&sw, outputs, seeds, n_out);
    /* the hooks of leaf inputs run here, as part of the sweep */
    int saved_mode = tg__grad_mode_set(sw.create_graph);
    rc = collect_results(&sw, inputs, n_in, grads_out, rc);
    tg__grad_mode_restore(saved_mode);
    tg__sweeping = false;
    return rc;
}

int tg_grad(tg_tensor *const *outputs, int n_out, tg_tensor *const *inputs, int n_in,
            tg_tensor **grads_out, bool create_graph)
{
    return tg_grad_ex(outputs, NULL, n_out, inputs, n_in, grads_out,
                      create_graph ? TG_CREATE_GRAPH : 0);
}
