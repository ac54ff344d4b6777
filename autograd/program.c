/*
 * program.c -- tg_capture and tg_program_run: a graph recorded once and
 * replayed on new values (tapegrad/program.h, docs/program.md).
 *
 * A program owns a tape of its own (tape.c): tg_capture puts a new tape in
 * the thread's place, runs f on it with every op result recorded (even one
 * computed only from data that does not require grad, since replay must
 * recompute it), marks where the graph ends and puts the user's tape back.
 * Everything f made -- nodes, views, parameter blocks, input arrays, the
 * constants -- stays where it was made, so nothing is copied and every
 * captured pointer stays valid.
 *
 * A run attaches that tape, rewinds it to the mark (dropping the previous
 * run's scratch, O(1)), reruns every node in tape order (each op's rerun,
 * in place), refreshes the local partials of the scalar nodes and sweeps:
 *   - a graph of 0-d F64 nodes only is compiled at capture into flat arrays
 *     (per node its op's value and partials functions, attr, input and
 *     output value pointers; contribution targets): its forward is a loop
 *     of value and partials calls on doubles, no rerun, no kernel, no
 *     tensor touched, and its sweep one loop with no indirect call;
 *   - any other graph is swept by the general engine (tg_backward_ex or
 *     tg_grad_ex with TG_RETAIN_GRAPH) on the attached tape, whose
 *     temporaries land after the mark and are dropped at the next run.
 * Both give the gradients a fresh recording would, bit for bit: the flat
 * sweep adds the same products in the same order (its adjoints start at
 * -0.0, the identity of IEEE addition, where the engine takes the first
 * contribution as it is).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tapegrad/program.h>

#include "internal.h"

/* What the flat program needs of one node: y = value(x; attr) and the
 * partials at that point (the op's row: the same bits as its kernel and as
 * a fresh recording's partials), and where the sweep adds each input's
 * contribution. The ops with a value take one input or two; a unary
 * node's x[1] is its x[0], its partial[1] stays 0 and its target[1] is the
 * sink, as both targets are for a node the sweep does not reach (whose
 * partials are then tg__partials_none's: none), so that the sweep adds
 * two products per node without a branch. */
typedef struct {
    const double *x[2];
    tg_value_fn value;
    tg_partials_fn partials;
    double *y;           /* the node's data */
    tg_attr attr;
    double partial[2];
    double *target[2];
} flat_node;

/* The flat form of an all-scalar program. */
typedef struct {
    int64_t n;           /* nodes */
    flat_node *node;     /* n */
    double *adjoint;     /* n nodes, then a sink */
    /* the data of the wrt gradients the sweep reaches, which it adds into
     * (the others stay 0) */
    double **reached_grads;
    int n_reached;
} flat;

struct tg_program {
    tg_tape *tape;
    tg_fn f;
    void *ud;
    tg_tensor *out;
    int64_t n_nodes;
    int n_wrt;
    tg_tensor **wrt;          /* the caller's, copied */
    tg_tensor **grads;        /* persistent, one per wrt */
    tg_tensor **grads_out;    /* tg_grad_ex's results, on the program's tape */
    tg_tensor **inputs;       /* the persistent tensors the graph reads */
    int64_t n_inputs;
    tg_tensor **tape_leaves;  /* leaves f made that require grad: a fresh .grad each run */
    int64_t n_tape_leaves;
    tg_tensor **scalars;      /* nodes whose partials each run refreshes */
    int64_t n_scalars;
    flat *flat;               /* NULL: the general sweep */
    double value;
};

static void *zalloc(size_t size)
{
    void *p = tg__alloc(size ? size : 1);
    if (p)
        memset(p, 0, size ? size : 1);
    return p;
}

static void flat_free(flat *fl, int n_wrt)
{
    if (!fl)
        return;
    size_t n = (size_t)fl->n;
    tg__free(fl->node, (n ? n : 1) * sizeof *fl->node);
    tg__free(fl->adjoint, (n + 1) * sizeof *fl->adjoint);
    tg__free(fl->reached_grads, (size_t)(n_wrt ? n_wrt : 1) * sizeof *fl->reached_grads);
    tg__free(fl, sizeof *fl);
}

void tg_program_free(tg_program *p)
{
    if (!p)
        return;
    for (int i = 0; p->grads && i < p->n_wrt; i++)
        tg_free(p->grads[i]);
    size_t nw = (size_t)(p->n_wrt ? p->n_wrt : 1);
    tg__free(p->wrt, nw * sizeof *p->wrt);
    tg__free(p->grads, nw * sizeof *p->grads);
    tg__free(p->grads_out, nw * sizeof *p->grads_out);
    tg__free(p->inputs, (size_t)(p->n_inputs ? p->n_inputs : 1) * sizeof *p->inputs);
    tg__free(p->tape_leaves, (size_t)(p->n_tape_leaves ? p->n_tape_leaves : 1) * sizeof(tg_tensor *));
    tg__free(p->scalars, (size_t)(p->n_nodes ? p->n_nodes : 1) * sizeof *p->scalars);
    flat_free(p->flat, p->n_wrt);
    tg__tape_free(p->tape);
    tg__free(p, sizeof *p);
}

/* ---- capture: arguments, f, and what the graph reads ---- */

static int check_capture_args(tg_fn f, int n_wrt, tg_tensor *const *wrt, unsigned flags)
{
    if (!f)
        return tg__fail(TG_ENULL, "tg_capture: f is NULL");
    if (n_wrt < 0 || (n_wrt > 0 && !wrt))
        return tg__fail(TG_EVALUE, "tg_capture: n_wrt %d with %s wrt array", n_wrt,
                        wrt ? "a" : "a NULL");
    if (flags & ~(unsigned)TG_PROGRAM_NO_FLAT)
        return tg__fail(TG_EVALUE, "tg_capture: unknown flags 0x%x", flags);
    if (tg__forward_active)
        return tg__fail(TG_ESTATE, "tg_capture: called from inside tg_jvp's f; a program "
                                   "records reverse mode only");
    if (tg__sweeping)
        return tg__fail(TG_ESTATE, "tg_capture: called during a sweep (from a hook or a "
                                   "user-defined op's backward)");
    for (int i = 0; i < n_wrt; i++) {
        char what[32];
        snprintf(what, sizeof what, "wrt[%d]", i);
        if (!tg__valid(wrt[i]))
            return tg__invalid("tg_capture", wrt[i], what);
        if (!(wrt[i]->flags & TG_PERSISTENT) || !(wrt[i]->flags & TG_REQUIRES_GRAD))
            return tg__fail(TG_EVALUE, "tg_capture: %s must be a persistent tensor that "
                            "requires grad (tg_param); tape tensors die with their tape", what);
    }
    return TG_OK;
}

/* Runs f on the program's tape (attached, recording everything). */
static int run_f(tg_program *p, const char *fn, tg_tensor **out)
{
    uint64_t mark = tg_error_mark();
    uint64_t generation = tg__live_generation; /* the program's tape's */
    *out = p->f(p->n_wrt ? p->wrt : NULL, p->ud);
    tg_tape_lists *l = tg__tape_lists();
    if (tg__live_generation != generation)
        return tg__fail(TG_ESTATE, "%s: f reset or destroyed the tape it was recorded on", fn);
    if (!*out)
        return tg__failed_since(mark) ? tg__latest_code()
                                      : tg__fail(TG_ESTATE, "%s: f returned NULL", fn);
    if (!tg__valid(*out))
        return tg__invalid(fn, *out, "f's result");
    if (!(*out)->op || !l || (*out)->tape_pos >= l->len)
        return tg__fail(TG_EVALUE, "%s: f's result is not computed by any op (a leaf or a "
                        "persistent tensor): the graph has no output", fn);
    if ((*out)->numel != 1)
        return tg__fail(TG_ESHAPE, "%s: f's result has %lld elements; a program's output "
                        "has one", fn, (long long)(*out)->numel);
    return TG_OK;
}

/* Only the ops flagged TG_OP_VALUE_SHAPE lack a rerun (suite_rerun checks
 * every row). */
static int refuse_unreplayable(const tg_program *p, tg_tensor *const *nodes)
{
    for (int64_t k = 0; k < p->n_nodes; k++)
        if (!nodes[k]->op->rerun)
            return tg__fail(TG_EVALUE, "tg_capture: %s (node #%lld) cannot be replayed: its "
                            "result's shape depends on its inputs' values",
                            nodes[k]->op->info.name, (long long)k);
    return TG_OK;
}

/* The leaves a graph reads, each once: an open-addressing set of
 * addresses, doubled when half full, so that a leaf read a million times
 * (the chain's) costs a probe each time and the set stays its own size. */
typedef struct {
    tg_tensor **slots;
    size_t cap, n; /* cap a power of two, or 0 */
} leaf_set;

static size_t slot_of(const leaf_set *s, const tg_tensor *t)
{
    size_t h = (size_t)((uintptr_t)t >> 4) * (size_t)0x9e3779b97f4a7c15u;
    size_t i = h & (s->cap - 1);
    while (s->slots[i] && s->slots[i] != t)
        i = (i + 1) & (s->cap - 1);
    return i;
}

static int set_grow(leaf_set *s)
{
    leaf_set bigger = {zalloc((s->cap ? 2 * s->cap : 64) * sizeof(tg_tensor *)),
                       s->cap ? 2 * s->cap : 64, s->n};
    if (!bigger.slots)
        return tg__fail(TG_ENOMEM, "tg_capture: out of memory listing the graph's leaves");
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i])
            bigger.slots[slot_of(&bigger, s->slots[i])] = s->slots[i];
    tg__free(s->slots, s->cap * sizeof *s->slots);
    *s = bigger;
    return TG_OK;
}

static int set_add(leaf_set *s, tg_tensor *t)
{
    if (2 * (s->n + 1) > s->cap && set_grow(s) < 0)
        return tg__latest_code();
    size_t i = slot_of(s, t);
    s->n += !s->slots[i];
    s->slots[i] = t;
    return TG_OK;
}

/* The set's tensors that are persistent (want) or not, into a new array. */
static tg_tensor **set_take(const leaf_set *s, bool persistent, int64_t *n)
{
    *n = 0;
    for (size_t i = 0; i < s->cap; i++)
        *n += s->slots[i] && ((s->slots[i]->flags & TG_PERSISTENT) != 0) == persistent;
    tg_tensor **out = zalloc((size_t)(*n ? *n : 1) * sizeof *out);
    for (size_t i = 0, k = 0; out && i < s->cap; i++)
        if (s->slots[i] && ((s->slots[i]->flags & TG_PERSISTENT) != 0) == persistent)
            out[k++] = s->slots[i];
    return out;
}

/* One that stores partials (a step or a comparison passes no gradient). */
static bool scalar_node(const tg_tensor *node)
{
    return tg__scalar_shaped(node) && node->op->partials != tg__partials_none;
}

/* Lists the persistent tensors the graph reads, the leaves f made that
 * require grad, and the scalar nodes. */
static int list_leaves(tg_program *p, tg_tensor *const *nodes)
{
    p->scalars = zalloc((size_t)(p->n_nodes ? p->n_nodes : 1) * sizeof *p->scalars);
    if (!p->scalars)
        return tg__fail(TG_ENOMEM, "tg_capture: out of memory for %lld nodes",
                        (long long)p->n_nodes);
    leaf_set seen = {0};
    int rc = TG_OK;
    for (int64_t k = 0; rc == 0 && k < p->n_nodes; k++) {
        tg_tensor *node = nodes[k];
        if (scalar_node(node))
            p->scalars[p->n_scalars++] = node;
        for (int i = 0; rc == 0 && i < node->n_inputs; i++) {
            tg_tensor *x = node->in[i];
            if ((x->flags & TG_PERSISTENT) || (!x->op && (x->flags & TG_REQUIRES_GRAD)))
                rc = set_add(&seen, x);
        }
    }
    if (rc == 0) {
        p->inputs = set_take(&seen, true, &p->n_inputs);
        p->tape_leaves = set_take(&seen, false, &p->n_tape_leaves);
        if (!p->inputs || !p->tape_leaves)
            rc = tg__fail(TG_ENOMEM, "tg_capture: out of memory listing the graph's leaves");
    }
    tg__free(seen.slots, seen.cap * sizeof *seen.slots);
    return rc;
}

/* ---- the flat form of an all-scalar program ---- */

/* Whether the flat sweep gives what the engine's would: every node made by
 * the scalar fast path, none with hooks or a retained grad, every leaf that
 * requires grad persistent and without hooks (each run checks the hooks
 * again: they may be registered later). */
static bool flat_eligible(const tg_program *p, tg_tensor *const *nodes)
{
    for (int64_t k = 0; k < p->n_nodes; k++) {
        const tg_tensor *node = nodes[k];
        if (!tg__scalar_shaped(node) || node->hooks || (node->flags & TG_RETAIN_GRAD))
            return false;
        for (int i = 0; i < node->n_inputs; i++) {
            const tg_tensor *x = node->in[i];
            bool leaf = !x->op && (x->flags & TG_REQUIRES_GRAD);
            if (leaf && (!(x->flags & TG_PERSISTENT) || x->hooks))
                return false;
        }
    }
    return true;
}

static int wrt_index(const tg_program *p, const tg_tensor *x)
{
    for (int i = 0; i < p->n_wrt; i++)
        if (p->wrt[i] == x)
            return i;
    return -1;
}

/* Where the contribution of a node to its input x goes: x's adjoint slot,
 * a wrt gradient, a persistent leaf's .grad (tg_backward adds there in
 * place, one contribution at a time), or the sink for what gets nothing.
 * NULL when a .grad cannot be made. */
static double *flat_target(tg_program *p, flat *fl, tg_tensor *x, uint8_t *reached)
{
    double *sink = &fl->adjoint[fl->n];
    if (!(x->flags & TG_REQUIRES_GRAD))
        return sink;
    if (x->op) {
        reached[x->tape_pos] = 1;
        return &fl->adjoint[x->tape_pos];
    }
    if (p->n_wrt == 0) {
        tg_tensor *buf = tg__persistent_grad(x);
        return buf ? buf->data : NULL;
    }
    int i = wrt_index(p, x);
    if (i < 0)
        return sink; /* tg_grad: a leaf it was not asked about */
    double *grad = p->grads[i]->data;
    bool listed = false;
    for (int r = 0; r < fl->n_reached; r++)
        listed |= fl->reached_grads[r] == grad;
    if (!listed)
        fl->reached_grads[fl->n_reached++] = grad;
    return grad;
}

static flat *flat_alloc(int64_t n, int n_wrt)
{
    flat *fl = zalloc(sizeof *fl);
    if (!fl)
        return NULL;
    fl->n = n;
    fl->node = zalloc((size_t)(n ? n : 1) * sizeof *fl->node);
    fl->adjoint = zalloc(((size_t)n + 1) * sizeof *fl->adjoint);
    fl->reached_grads = zalloc((size_t)(n_wrt ? n_wrt : 1) * sizeof *fl->reached_grads);
    if (!fl->node || !fl->adjoint || !fl->reached_grads) {
        flat_free(fl, n_wrt);
        return NULL;
    }
    return fl;
}

/* Node k's forward (every node's, the ones after the output included, as
 * each run recomputes every node), as one the sweep does not reach. */
static void flat_node_compile(flat *fl, int64_t k, const tg_tensor *node)
{
    flat_node *f = &fl->node[k];
    double *sink = &fl->adjoint[fl->n];
    *f = (flat_node){.value = node->op->value, .partials = tg__partials_none, .y = node->data,
                     .attr = node->attr, .target = {sink, sink}};
    for (int i = 0; i < 2; i++)
        f->x[i] = node->in[i < node->n_inputs ? i : 0]->data;
}

/* Walks down from the output, as the sweep will: a node is reached when a
 * reached node above takes it, and only a reached node's inputs get
 * contributions (a fresh sweep never visits the others). */
static int flat_walk(tg_program *p, flat *fl, tg_tensor *const *nodes, uint8_t *reached)
{
    reached[p->out->tape_pos] = 1;
    for (int64_t k = p->out->tape_pos; k >= 0; k--) {
        tg_tensor *node = nodes[k];
        if (!reached[k] || node->op->partials == tg__partials_none)
            continue;
        fl->node[k].partials = node->op->partials;
        for (int i = 0; i < node->n_inputs; i++)
            if (!(fl->node[k].target[i] = flat_target(p, fl, node->in[i], reached)))
                return tg__latest_code();
    }
    return TG_OK;
}

static int flat_compile(tg_program *p, tg_tensor *const *nodes)
{
    flat *fl = flat_alloc(p->n_nodes, p->n_wrt);
    uint8_t *reached = zalloc((size_t)(p->n_nodes ? p->n_nodes : 1));
    if (!fl || !reached) {
        flat_free(fl, p->n_wrt);
        tg__free(reached, (size_t)(p->n_nodes ? p->n_nodes : 1));
        return tg__fail(TG_ENOMEM, "tg_capture: out of memory for the flat form of %lld nodes",
                        (long long)p->n_nodes);
    }
    p->flat = fl;
    for (int64_t k = 0; k < p->n_nodes; k++)
        flat_node_compile(fl, k, nodes[k]);
    int rc = flat_walk(p, fl, nodes, reached);
    tg__free(reached, (size_t)(p->n_nodes ? p->n_nodes : 1));
    return rc;
}

/* ---- capture ---- */

static int make_grads(tg_program *p)
{
    size_t nw = (size_t)(p->n_wrt ? p->n_wrt : 1);
    p->wrt = zalloc(nw * sizeof *p->wrt);
    p->grads = zalloc(nw * sizeof *p->grads);
    p->grads_out = zalloc(nw * sizeof *p->grads_out);
    if (!p->wrt || !p->grads || !p->grads_out)
        return tg__fail(TG_ENOMEM, "tg_capture: out of memory for %d gradients", p->n_wrt);
    return TG_OK;
}

static int copy_wrt(tg_program *p, tg_tensor *const *wrt)
{
    for (int i = 0; i < p->n_wrt; i++) {
        tg_tensor *x = wrt[i];
        p->wrt[i] = x;
        p->grads[i] = tg_persistent((tg_dtype)x->dtype, x->ndim, x->shape, NULL, false);
        if (!p->grads[i])
            return tg__latest_code();
    }
    return TG_OK;
}

/* f recorded on the program's tape, checked, and compiled where it can be. */
static int record(tg_program *p, unsigned flags)
{
    tg_tensor *out;
    int rc = run_f(p, "tg_capture", &out);
    if (rc < 0)
        return rc;
    p->out = out;
    int64_t len;
    tg_tensor **nodes = tg__tape_nodes(&len);
    p->n_nodes = len;
    if (p->n_wrt == 0 && !(out->flags & TG_REQUIRES_GRAD))
        return tg__fail(TG_ESTATE, "tg_capture: with no wrt the program is tg_backward, and "
                        "f's result does not require grad: no persistent tensor it reads was "
                        "created with requires_grad (tg_param)");
    if ((rc = refuse_unreplayable(p, nodes)) < 0 || (rc = list_leaves(p, nodes)) < 0)
        return rc;
    if (!(flags & TG_PROGRAM_NO_FLAT) && flat_eligible(p, nodes))
        return flat_compile(p, nodes);
    return TG_OK;
}

tg_program *tg_capture(tg_fn f, void *ud, int n_wrt, tg_tensor *const *wrt, unsigned flags)
{
    if (check_capture_args(f, n_wrt, wrt, flags) < 0)
        return NULL;
    tg_program *p = zalloc(sizeof *p);
    if (!p) {
        tg__fail(TG_ENOMEM, "tg_capture: out of memory for a program");
        return NULL;
    }
    p->f = f;
    p->ud = ud;
    p->n_wrt = n_wrt;
    p->value = NAN;
    int rc = make_grads(p);
    if (rc == 0)
        rc = copy_wrt(p, wrt);
    tg_tape_swap saved;
    if (rc == 0 && (rc = tg__tape_capture_begin("tg_capture", &saved)) == 0) {
        rc = record(p, flags);
        p->tape = tg__tape_capture_end(&saved);
    }
    if (rc < 0) {
        tg_program_free(p);
        return NULL;
    }
    return p;
}

/* ---- run ---- */

/* The persistent tensors the graph reads are still alive (a freed one is
 * caught while its memory was not reused), and, for the flat sweep, none
 * that requires grad has hooks now. */
static int check_inputs(const tg_program *p, bool *hooked)
{
    *hooked = false;
    for (int64_t i = 0; i < p->n_inputs; i++) {
        const tg_tensor *x = p->inputs[i];
        if (x->magic != TG_MAGIC)
            return tg__fail(TG_ESTALE, "tg_program_run: a persistent tensor the program reads "
                            "was freed after the capture");
        *hooked |= x->hooks != NULL && (x->flags & TG_REQUIRES_GRAD);
    }
    return TG_OK;
}

static int rerun(tg_tensor *node, bool anomaly)
{
    int rc = node->op->rerun(node);
    if (rc == 0 && anomaly)
        rc = tg__anomaly_forward(node->op->info.name, node, node->n_inputs, node->in,
                                 node->tape_pos);
    return rc;
}

/* The flat program's forward: each node's value again from doubles, and
 * its partials, into the flat nodes; each adjoint starts at -0.0 (the
 * identity of IEEE addition, as the sweep adds every contribution).
 * Returns whether all the partials are finite (else this run takes the
 * engine's sweep, as a fresh recording would keep such a node's rule). */
static bool flat_forward(const flat *fl)
{
    double check = 0; /* p - p is 0 for a finite p, NaN for an infinity or a NaN */
    double *adjoint = fl->adjoint;
    for (flat_node *node = fl->node, *end = node + fl->n; node < end; node++) {
        double x[2] = {*node->x[0], *node->x[1]};
        double y = node->value(x, node->attr);
        *node->y = y;
        node->partials(x, y, node->attr, node->partial);
        check += (node->partial[0] - node->partial[0]) + (node->partial[1] - node->partial[1]);
        *adjoint++ = -0.0;
    }
    return check == 0;
}

/* One loop, no call, no branch, no tensor: each node adds adjoint *
 * partial to the slot of each of its two inputs (the sink for what the
 * sweep would not visit, where the partial is 0). */
static void flat_sweep(const flat *fl, int64_t top)
{
    for (int r = 0; r < fl->n_reached; r++)
        *fl->reached_grads[r] = -0.0;
    fl->adjoint[top] = 1.0;
    const double *adjoint = fl->adjoint + top + 1;
    for (const flat_node *node = fl->node + top + 1; node-- > fl->node;) {
        double a = *--adjoint;
        *node->target[0] += a * node->partial[0];
        *node->target[1] += a * node->partial[1];
    }
}

/* The general forward: each node again, and the partials of the scalar
 * nodes, kept only where finite (tg__scalar_refresh). */
static int engine_forward(const tg_program *p, tg_tensor *const *nodes)
{
    bool anomaly = tg__anomaly();
    for (int64_t k = 0; k < p->n_nodes; k++) {
        int rc = rerun(nodes[k], anomaly);
        if (rc < 0)
            return rc;
        if (nodes[k]->flags & TG_RETAIN_GRAD)
            nodes[k]->grad = NULL; /* a fresh node's */
    }
    for (int64_t k = 0; k < p->n_scalars; k++)
        tg__scalar_refresh(p->scalars[k]);
    return TG_OK;
}

static void copy_grad(tg_tensor *dst, const tg_tensor *src)
{
    memcpy(dst->data, src->data, (size_t)dst->numel * tg__dtype_size((tg_dtype)dst->dtype));
}

/* The engine's sweep on the attached tape; its temporaries stay after the
 * mark until the next run rewinds. */
static int engine_sweep(tg_program *p)
{
    for (int64_t i = 0; i < p->n_tape_leaves; i++)
        p->tape_leaves[i]->grad = NULL; /* leaves f made: fresh each run */
    if (p->n_wrt == 0)
        return tg_backward_ex(p->out, NULL, TG_RETAIN_GRAPH);
    int rc = tg_grad_ex(&p->out, NULL, 1, p->wrt, p->n_wrt, p->grads_out, TG_RETAIN_GRAPH);
    for (int i = 0; rc == 0 && i < p->n_wrt; i++)
        copy_grad(p->grads[i], p->grads_out[i]);
    return rc;
}

/* The engine's forward and sweep, or its sweep alone after a flat forward
 * (whose values stand) that met a partial that is not finite. */
static int run_attached(tg_program *p, bool flat_done)
{
    int64_t len;
    tg_tensor **nodes = tg__tape_nodes(&len);
    int rc = flat_done ? TG_OK : engine_forward(p, nodes);
    if (rc < 0)
        return rc;
    if (flat_done) /* the flat forward left the scalar nodes' partials alone */
        for (int64_t k = 0; k < p->n_scalars; k++)
            tg__scalar_refresh(p->scalars[k]);
    return engine_sweep(p);
}

int tg_program_run(tg_program *p)
{
    if (!p)
        return tg__fail(TG_ENULL, "tg_program_run: the program is NULL");
    if (tg__sweeping || tg__forward_active)
        return tg__fail(TG_ESTATE, "tg_program_run: called during a sweep or inside tg_jvp's f");
    bool hooked;
    int rc = check_inputs(p, &hooked);
    if (rc < 0)
        return rc;
    /* the flat program touches no tape: its doubles are all it reads and writes */
    bool flat_done = p->flat && !hooked && !tg__anomaly();
    if (flat_done && flat_forward(p->flat)) {
        flat_sweep(p->flat, p->out->tape_pos);
        p->value = *(const double *)p->out->data;
        return TG_OK;
    }
    tg_tape_swap saved;
    tg__tape_attach(p->tape, &saved);
    tg__tape_rewind();
    rc = run_attached(p, flat_done);
    p->value = rc == 0 ? tg__load(p->out, 0) : NAN;
    tg__tape_detach(&saved);
    return rc;
}

/* ---- check ---- */

/* Whether an op's attr is plain bits that say what it computes (a scalar
 * constant, an axis); other ops keep pointers there (a parameter block in
 * the arena, a user op's function), which differ from run to run while
 * their shapes, compared anyway, say what matters. */
static bool attr_is_bits(const tg_op *op)
{
    return (op->info.flags & (TG_OP_ELEMENTWISE | TG_OP_CONSTANT | TG_OP_AXIS | TG_OP_AXES)) != 0;
}

/* A leaf a of the capture and b of the check are the same input: the same
 * persistent tensor, or constants of one shape, dtype, requires_grad and
 * values (a constant f built from data it read in C -- a value of tg_item,
 * the one-hot tg_cross_entropy_loss makes of its labels -- differs when
 * that data did; a check may take the time to compare them all). */
static bool same_leaf(const tg_tensor *a, const tg_tensor *b)
{
    if ((a->flags & TG_PERSISTENT) || (b->flags & TG_PERSISTENT))
        return a == b;
    if (b->op || a->dtype != b->dtype || !tg__same_shape(a, b) ||
        (a->flags & TG_REQUIRES_GRAD) != (b->flags & TG_REQUIRES_GRAD))
        return false;
    size_t bytes = (size_t)a->numel * tg__dtype_size((tg_dtype)a->dtype);
    return memcmp(a->data, b->data, bytes) == 0;
}

/* Why node b (at base + its captured position) is not node a, or NULL. */
static const char *node_differs(const tg_tensor *a, const tg_tensor *b, int64_t base)
{
    if (a->op != b->op)
        return "another op";
    if (a->dtype != b->dtype || !tg__same_shape(a, b))
        return "another shape or dtype";
    if (a->n_inputs != b->n_inputs)
        return "another number of inputs";
    if (attr_is_bits(a->op) && memcmp(&a->attr, &b->attr, sizeof a->attr) != 0)
        return "another constant parameter";
    for (int i = 0; i < a->n_inputs; i++) {
        const tg_tensor *x = a->in[i], *y = b->in[i];
        if (x->op ? !y->op || y->tape_pos - base != x->tape_pos : y->op || !same_leaf(x, y))
            return x->op ? "an input from another node" : "another leaf or constant as input";
    }
    return NULL;
}

TG_COLD static int differs_error(int64_t k, const tg_tensor *a, const tg_tensor *b, const char *why)
{
    char as[96], bs[96];
    return tg__fail(TG_ESTATE, "tg_program_check: node #%lld differs from the capture (%s): "
                    "captured %s %s %s, now %s %s %s", (long long)k, why, a->op->info.name,
                    tg_dtype_name((tg_dtype)a->dtype), tg__dims_str(a->ndim, a->shape, as, sizeof as),
                    b->op->info.name, tg_dtype_name((tg_dtype)b->dtype),
                    tg__dims_str(b->ndim, b->shape, bs, sizeof bs));
}

static int compare(const tg_program *p, const tg_tensor *out)
{
    int64_t len;
    tg_tensor **nodes = tg__tape_nodes(&len);
    int64_t base = p->n_nodes, now = len - base;
    for (int64_t k = 0; k < base && k < now; k++) {
        const char *why = node_differs(nodes[k], nodes[base + k], base);
        if (why)
            return differs_error(k, nodes[k], nodes[base + k], why);
    }
    if (now != base)
        return tg__fail(TG_ESTATE, "tg_program_check: f records %lld nodes now and recorded "
                        "%lld at the capture (the first %lld agree)", (long long)now,
                        (long long)base, (long long)(now < base ? now : base));
    if (out->tape_pos - base != p->out->tape_pos)
        return tg__fail(TG_ESTATE, "tg_program_check: f's result is node #%lld now and was "
                        "node #%lld at the capture", (long long)(out->tape_pos - base),
                        (long long)p->out->tape_pos);
    return TG_OK;
}

int tg_program_check(tg_program *p)
{
    if (!p)
        return tg__fail(TG_ENULL, "tg_program_check: the program is NULL");
    if (tg__sweeping || tg__forward_active)
        return tg__fail(TG_ESTATE, "tg_program_check: called during a sweep or inside tg_jvp's f");
    tg_tape_swap saved;
    tg__tape_attach(p->tape, &saved);
    tg__tape_rewind();
    tg__tape_set_capture(true);
    tg_tensor *out;
    int rc = run_f(p, "tg_program_check", &out);
    tg__tape_set_capture(false);
    if (rc == 0)
        rc = compare(p, out);
    tg__tape_rewind();
    tg__tape_detach(&saved);
    return rc;
}

/* ---- accessors ---- */

double tg_program_value(const tg_program *p) { return p ? p->value : NAN; }

const tg_tensor *tg_program_grad(const tg_program *p, int i)
{
    if (!p) {
        tg__fail(TG_ENULL, "tg_program_grad: the program is NULL");
        return NULL;
    }
    if (i < 0 || i >= p->n_wrt) {
        tg__fail(TG_EVALUE, "tg_program_grad: index %d out of range: the program has %d wrt "
                 "tensors%s", i, p->n_wrt, p->n_wrt ? "" : " (its gradients are in .grad)");
        return NULL;
    }
    return p->grads[i];
}

int64_t tg_program_length(const tg_program *p) { return p ? p->n_nodes : 0; }

bool tg_program_is_flat(const tg_program *p) { return p && p->flat; }
