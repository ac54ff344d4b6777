/*
 * internal.h -- what the engine and the ops share; not installed.
 *
 * Invariants:
 *   - data is contiguous row-major, numel elements of dtype;
 *   - generation is 0 for persistent tensors, else the tape generation that
 *     allocated the tensor; generations are unique across all threads, so a
 *     tensor used after its tape was reset, or on another thread, is caught;
 *   - op != NULL exactly for op results that were recorded (they require
 *     grad and sit at tape_pos on the tape); everything else is a leaf or a
 *     constant with tape_pos == -1. The exception: on a tape that captures a
 *     program (tg_capture), every op result is recorded, and one without
 *     TG_REQUIRES_GRAD is never reached by a sweep.
 */
#ifndef TG_INTERNAL_H
#define TG_INTERNAL_H

/* nn/ and tools/ are compiled with TG_PUBLIC_API_ONLY (CMakeLists.txt): they
 * use only the installed headers, as a program outside the library would. */
#ifdef TG_PUBLIC_API_ONLY
#error "autograd/internal.h is private to autograd/ and ops/: use the <tapegrad/...> headers"
#endif

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <tapegrad/catalogue.h>
#include <tapegrad/function.h>
#include <tapegrad/hooks.h>
#include <tapegrad/random.h>
#include <tapegrad/tensor.h>

/* The library is built with -fvisibility=hidden, which hides definitions
 * but not declarations: a variable declared without this is read through
 * the GOT, one more instruction on every op (callgrind: +0.3% on the
 * notes' neuron). Functions need nothing; the linker binds those calls. */
#if defined(__GNUC__)
#define TG_HIDDEN __attribute__((visibility("hidden")))
#else
#define TG_HIDDEN
#endif

#define TG_MAGIC 0x74675f74u /* "tg_t": a live tensor */
#define TG_DEAD 0xdeadbeefu  /* written by tg_free */

/* flag bits */
#define TG_REQUIRES_GRAD 0x1u
#define TG_PERSISTENT 0x2u
#define TG_RELEASED 0x4u /* swept without TG_RETAIN_GRAPH: backward refused */
#define TG_RETAIN_GRAD 0x8u /* a recorded result that keeps its gradient in grad */
#define TG_GRAD_TARGET 0x10u /* an input of the running tg_grad: collects in pending */
/* a 0-d F64 result whose local partials were stored when it was recorded
 * (scalar.partial): a first-order sweep needs no rule for it (scalar_sweep.c) */
#define TG_PARTIALS 0x20u
#define TG_ADJOINT 0x40u /* a TG_PARTIALS node whose scalar.adjoint holds a gradient */

typedef struct tg_op tg_op;
typedef union tg_attr tg_attr;

/* An op's vector-Jacobian product: given out = op(inputs) and g = dL/dout,
 * stores dL/dinput_i in grad_in[i] for each input that requires grad (NULL
 * means zero). Rules are written with tapegrad ops on g, the inputs and out,
 * so a sweep recorded on the tape can itself be differentiated. Returns 0 or
 * a negative TG_E* code with the error set. */
typedef int (*tg_backward_fn)(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in);

/* An op's tangent (JVP) rule, for forward mode: given out = op(inputs) and
 * tangent_in[i], the tangent of input i (NULL means zero), stores the
 * tangent of out in *tangent_out (NULL means zero). Written with tapegrad
 * ops, like backward rules, so that forward-over-reverse and
 * reverse-over-forward compose. Returns 0 or a negative TG_E* code. */
typedef int (*tg_jvp_fn)(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out);

/* An elementwise op's local partials at one point, for the scalar fast path:
 * given the F64 values x[0..arity-1] of its inputs, its result y and attr,
 * stores d y / d x[i] in partial[i]. Called when a 0-d F64 result is
 * recorded; a first-order sweep then adds partial[i] * adjoint to input i's
 * adjoint in a flat loop (scalar_sweep.c). It must agree with the op's VJP
 * (suite_catalogue checks every elementwise op against it). */
typedef void (*tg_partials_fn)(const double *x, double y, tg_attr attr, double *partial);

/* An elementwise op's value at one point, for the scalar fast path and the
 * flat form of a program: y = f(x[0..arity-1]; attr) from the F64 values of
 * its inputs, the bits its tensor kernel gives for 0-d F64 operands (both
 * are made from one formula, TG_UNARY_FORMULA / TG_BINARY_FORMULA in
 * ops/kernel.h; suite_catalogue checks the bits). Separate from partials,
 * not one entry for both: the partials stay the one place of each
 * derivative, and a node the sweep never reaches needs only its value. */
typedef double (*tg_value_fn)(const double *x, tg_attr attr);

/* An op's forward again, for tg_program replay (autograd/program.c):
 * recomputes out->data in place from the current data of its inputs
 * out->in[0 .. n_inputs-1] and from out->attr, with the shapes of the
 * capture, and refreshes whatever its backward rule reads besides (saved
 * indices, masks, statistics). Scratch memory, if it needs any, comes from
 * the tape arena (tg__tape_bytes), which replay rewinds after each run, so
 * a steady-state run allocates nothing. The local partials of a
 * TG_PARTIALS node are the program's to refresh, not the rerun's. Returns 0
 * or a negative TG_E* code with the error set. NULL only where replay
 * cannot be faithful (a result whose shape depends on its inputs' values):
 * tg_capture refuses a graph that uses such an op, naming it. */
typedef int (*tg_rerun_fn)(tg_tensor *out);

/* The forward kernels of the elementwise skeleton (ops/elementwise.c): an
 * op of one input computes y = f(x) from x and attr; an op of two computes
 * out = a (op) b walking a broadcast plan (ops/kernel.h). Kept in the op's
 * row so that the op's forward and its rerun call the same one. */
struct tg_bcast;
typedef void (*tg_unary_kernel)(tg_tensor *y, const tg_tensor *x, tg_attr attr);
typedef void (*tg_binary_kernel)(const struct tg_bcast *plan, tg_tensor *out, const tg_tensor *a,
                                 const tg_tensor *b);

/* An op: its catalogue row and its rule. Built-in ops are the constant
 * tg__op_<row> of ops/<op>.c (tapegrad/catalogue.h lists them); a
 * user-defined op's lives on the tape beside its result. */
struct tg_op {
    tg_op_info info;
    tg_backward_fn backward;
    tg_jvp_fn jvp; /* NULL until the op has a tangent rule */
    tg_partials_fn partials; /* every elementwise op of one or two inputs */
    tg_value_fn value; /* with partials: every op that has one has the other */
    tg_rerun_fn rerun;
    /* the kernel of an op made by tg__unary (unary) or tg__binary (binary) */
    union {
        tg_unary_kernel unary;
        tg_binary_kernel binary;
    } kernel;
};

/* The built-in rows, declared from the catalogue's list so that an op
 * missing its row fails to link. */
#define TG_OP_DECLARE_(kind, row) extern const tg_op tg__op_##row;
TG_OP_KINDS(TG_OP_DECLARE_)
#undef TG_OP_DECLARE_

/* Op parameters kept on the result for its backward rule. */
union tg_attr {
    /* first because it spans the whole union: (tg_attr){0} initializes only
     * the first member, and clang leaves the bytes past a shorter one as
     * they were (a mask kernel read flag_a from them) */
    struct { int32_t axis, keepdim, flag_a, flag_b; } i;
    double f;
    struct { double a, b; } f2; /* two constants (TG_OP_CONSTANT2); a is f */
    struct { const tg_function *fn; void *ud; } user; /* a user-defined op */
    const void *params; /* a block in the tape arena: conv and pool sizes */
    /* tg_dropout's probability and generator, which its rerun draws from */
    struct { double p; tg_rng *rng; } dropout;
};

/* A gradient hook; tape tensors keep theirs in the arena, persistent ones on
 * the heap (released by tg_free). */
typedef struct tg_hook {
    tg_hook_fn fn;
    void *ud;
    struct tg_hook *next;
} tg_hook;

struct tg_tensor {
    uint32_t magic;
    uint8_t dtype;
    uint8_t ndim;
    uint16_t flags;
    int32_t n_inputs;
    uint64_t generation;
    int64_t numel;
    int64_t tape_pos;                 /* index on the tape, -1 if not recorded */
    /* A 0-d tensor has no axes, so the scalar fast path keeps its state in
     * their place (scalar_sweep.c): a TG_PARTIALS node's local partials and
     * the adjoint summed so far in a sweep; a 0-d leaf's gradient while
     * grad points to the leaf (tg__leaf_grad). */
    union {
        int64_t shape[TG_MAX_DIMS];
        struct {
            double partial[TG_MAX_INPUTS];
            double adjoint;
        } scalar;
    };
    void *data;
    tg_tensor *grad;
    /* the gradient summed so far during a sweep; NULL outside one, except
     * that tg_grad collects its results here until it returns */
    tg_tensor *pending;
    tg_hook *hooks;                   /* run in registration order */
    /* a leaf with hooks, during tg_backward: the lowest tape position of an
     * op that takes it, where its gradient becomes complete (backward.c) */
    int64_t last_use;
    const tg_op *op;
    /* the inputs of a recorded result: in_local for up to TG_MAX_INPUTS, an
     * array in the tape arena for more (a user-defined op's, tg_apply) */
    tg_tensor **in;
    tg_tensor *in_local[TG_MAX_INPUTS];
    tg_attr attr;
    /* forward mode (forward.c): the tangent tg_jvp carried to this tensor,
     * NULL for zero; it counts only while tangent_epoch is this thread's
     * latest tg_jvp's, so tensors kept from an earlier call carry none;
     * tangent_epoch is set only with tangent */
    tg_tensor *tangent;
    uint64_t tangent_epoch;
};

/* Marks a function that builds an error message: kept out of line, so the
 * buffers it formats into cost the fast path of its caller nothing. */
#if defined(__GNUC__)
#define TG_COLD __attribute__((cold, noinline))
#else
#define TG_COLD
#endif
/* Keeps a function out of its caller, so that the caller's other way needs
 * no frame (a fast path that ends in a tail call). */
#if defined(__GNUC__)
#define TG_NOINLINE __attribute__((noinline))
#else
#define TG_NOINLINE
#endif

/* ---- errors ---- */
/* Records a failure and returns code. The message and code are set only
 * when no error is pending: the first failure stands (error.c). */
int tg__fail(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The generation of this thread's tape, 0 before it has one; kept by
 * tape.c so that the check below, run on every op argument, is inline. */
extern TG_HIDDEN _Thread_local uint64_t tg__live_generation;

/* A usable tensor: not NULL, alive, and persistent or of this thread's
 * current tape. */
static inline bool tg__valid(const tg_tensor *t)
{
    return t && t->magic == TG_MAGIC &&
           (t->generation == 0 || t->generation == tg__live_generation);
}

/* Sets the error for a tensor that is not valid, named by what ("argument
 * 2", "inputs[0]"), and returns its code. A NULL while an error is pending
 * is taken as that failure's product: the message stays and the latest
 * failure's code is returned. */
int tg__invalid(const char *fn, const tg_tensor *t, const char *what);
int tg__check_failed(const char *fn, const tg_tensor *t, int argno);

/* Checks that t is a usable tensor argument number argno of fn; on failure
 * sets the error (keeping a pending one for NULL) and returns the code. */
static inline int tg__check(const char *fn, const tg_tensor *t, int argno)
{
    return tg__valid(t) ? TG_OK : tg__check_failed(fn, t, argno);
}
/* Sets the error for operands of different dtypes and returns its code. */
int tg__dtypes_differ(const char *fn, const tg_tensor *a, const tg_tensor *b);
static inline int tg__check_same_dtype(const char *fn, const tg_tensor *a, const tg_tensor *b)
{
    return a->dtype == b->dtype ? TG_OK : tg__dtypes_differ(fn, a, b);
}
int tg__normalize_axis(const char *fn, const tg_tensor *t, int axis, int *out);
/* The code of this thread's latest failure since the error was cleared
 * (TG_OK if none): what a function returns for a failure it just saw, since
 * tg_last_error_code() keeps the first one's. */
int tg__latest_code(void);
/* Whether a failure was reported since tg_error_mark() returned mark (by a
 * user callback: tg_set_error, or a tapegrad call that failed), even while
 * an older error keeps the message. */
bool tg__failed_since(uint64_t mark);
/* The pending message if a failure since mark set it, else NULL. */
const char *tg__message_since(uint64_t mark);

/* ---- memory ---- */
void *tg__alloc(size_t size);
void *tg__realloc(void *ptr, size_t osize, size_t nsize);
void tg__free(void *ptr, size_t size);
static inline size_t tg__dtype_size(tg_dtype dtype)
{
    return dtype == TG_F32 ? sizeof(float) : sizeof(double);
}

static inline double tg__load(const tg_tensor *t, int64_t i)
{
    return t->dtype == TG_F32 ? (double)((const float *)t->data)[i]
                              : ((const double *)t->data)[i];
}

static inline void tg__store(tg_tensor *t, int64_t i, double v)
{
    if (t->dtype == TG_F32)
        ((float *)t->data)[i] = (float)v;
    else
        ((double *)t->data)[i] = v;
}

/* ---- tensors and the tape ---- */
bool tg__recording(void);
/* Turns recording on or off until tg__grad_mode_restore(returned value):
 * a TG_CREATE_GRAPH sweep records even inside a TG_NO_GRAD block. */
int tg__grad_mode_set(bool enabled);
void tg__grad_mode_restore(int saved);
/* size bytes from this thread's tape arena, freed at tg_tape_reset. */
void *tg__tape_bytes(const char *fn, size_t size);
/* What a sweep walks, at a fixed address inside this thread's tape: the
 * recorded op results (the array moves when recording grows it, so a sweep
 * that records must re-read it) and the leaves whose gradients wait for
 * their hooks until the sweep ends (one sweep at a time per thread). */
typedef struct {
    tg_tensor **nodes;
    int64_t len, cap;
    tg_tensor **deferred;
    int64_t n_deferred, cap_deferred;
} tg_tape_lists;
tg_tape_lists *tg__tape_lists(void); /* NULL before this thread's first tensor */
int tg__defer_push(tg_tape_lists *lists, tg_tensor *leaf);
void tg__init_header(tg_tensor *t, tg_dtype dtype, int ndim, const int64_t *shape, int64_t numel);
/* The recorded op results of this thread's tape, in creation order. */
tg_tensor **tg__tape_nodes(int64_t *len);
/* A new tape tensor with uninitialised data (NULL on failure, error set). */
tg_tensor *tg__tape_tensor(const char *fn, tg_dtype dtype, int ndim, const int64_t *shape);
/* tg__tape_tensor of a 0-d F64 tensor holding v, the scalar fast path's: no
 * shape to check, its value right after its header. */
tg_tensor *tg__tape_scalar(const char *fn, double v);

/* A new tape tensor sharing src's data under another shape (a view). */
tg_tensor *tg__tape_view(const char *fn, tg_tensor *src, int ndim, const int64_t *shape);
/* Makes out the result of op over inputs: links them, and records out on the
 * tape if recording is on and any input requires grad. Returns out, or NULL
 * if the tape could not grow. */
tg_tensor *tg__record(tg_tensor *out, const tg_op *op, int n, tg_tensor *const *inputs);
/* Room for one tensor per input of a node of n inputs, all NULL: local (of
 * TG_MAX_INPUTS entries) when it suffices, else an array in the tape arena
 * (NULL with the error set if that fails). Sweeps and rules use it for
 * their per-input gradients and tangents; inline, since every node of a
 * sweep asks. */
tg_tensor **tg__tape_input_slots(const char *fn, int n);
static inline tg_tensor **tg__input_slots(const char *fn, int n, tg_tensor **local)
{
    if (n > TG_MAX_INPUTS || !local)
        return tg__tape_input_slots(fn, n);
    for (int i = 0; i < TG_MAX_INPUTS; i++)
        local[i] = NULL;
    return local;
}
/* ---- tapes held by programs (tape.c, for program.c) ---- */
/* A tape detached from its thread: a program's captured graph, its arenas
 * and its node list, with a generation of its own. Its tensors are valid
 * only while it is attached. */
typedef struct tape tg_tape;
/* The thread's own tape while a program's is attached. */
typedef struct {
    tg_tape *tape;
    uint64_t generation;
} tg_tape_swap;
/* Puts a new tape in the thread's place (the user's saved in *saved) and
 * has it record every op result (tg__record), so that a graph can be
 * captured on it. Returns 0 or TG_ENOMEM, naming fn. */
int tg__tape_capture_begin(const char *fn, tg_tape_swap *saved);
/* Ends the capture: marks where the captured graph ends, hands back its
 * tape (NULL if the captured code destroyed it) and puts the user's in
 * place again. */
tg_tape *tg__tape_capture_end(const tg_tape_swap *saved);
/* Makes t the thread's tape until tg__tape_detach(saved). */
void tg__tape_attach(tg_tape *t, tg_tape_swap *saved);
void tg__tape_detach(const tg_tape_swap *saved);
/* Drops everything the attached tape got since its capture ended (scratch
 * of a run, nodes of a check): O(1), and it keeps the chunks. */
void tg__tape_rewind(void);
/* Turns the attached tape's recording of every op result on or off. */
void tg__tape_set_capture(bool on);
void tg__tape_free(tg_tape *t);

/* ---- the scalar fast path (scalar_sweep.c) ---- */
/* Whether n operands are all live 0-d F64 tensors: the elementwise ops then
 * take the fast path (ops/elementwise.c) and record their partials. */
static inline bool tg__scalar_operands(int n, tg_tensor *const *ts)
{
    for (int k = 0; k < n; k++)
        if (!tg__valid(ts[k]) || ts[k]->ndim != 0 || ts[k]->dtype != TG_F64)
            return false;
    return true;
}
/* op(x) and op(a, b) for operands that pass tg__scalar_operands, op an op
 * with value and partials entries (tape.c): the result's value from
 * op->value, recorded as tg__record would, with op's local partials stored
 * in it when it is recorded. NULL on failure, with the error set. */
tg_tensor *tg__scalar_unary(const tg_op *op, tg_tensor *x, tg_attr attr);
tg_tensor *tg__scalar_binary(const tg_op *op, tg_tensor *a, tg_tensor *b);
/* Whether node, a recorded result, is one the fast path makes: an op with
 * partials over 0-d F64 operands, with a 0-d F64 result. */
bool tg__scalar_shaped(const tg_tensor *node);
/* Recomputes the partials of node, a recorded result, from its inputs'
 * and its own current values when it is a fast-path node (a 0-d F64 result
 * of an op with partials over 0-d F64 operands); anything else is left
 * alone. What tg_op_rerun does after the op's rerun. */
void tg__scalar_refresh(tg_tensor *node);
/* A contribution the fast path cannot add to x's gradient as a double (x is
 * a node without partials, a tg_grad input, a leaf with hooks or of a
 * tensor shape): the sweep's general accumulation takes it as a tensor. */
typedef int (*tg_scalar_fallback)(void *sweep, tg_tensor *x, double c, const char *from);
typedef struct {
    bool collect;    /* tg_grad: leaves that are not its inputs get nothing */
    tg_scalar_fallback fallback;
    void *sweep;
} tg_scalar_sink;
/* The partials of an op that passes no gradient (a step, a comparison): its
 * results are swept by its rule, which returns none and builds nothing. */
void tg__partials_none(const double *x, double y, tg_attr attr, double *partial);
/* Stores op's partials in out, a recorded 0-d F64 result over n 0-d F64
 * inputs of values x, and marks it TG_PARTIALS. At a pole or an overflow the
 * rule's own arithmetic decides: g / x is 0 for g = 0 where x is so small
 * that 1 / x is inf, and 0 * inf would be NaN (bce's clamped log of 0 meets
 * exactly this), so a node whose partials are not all finite is left (or
 * made) one without. Inline: the fast path's recording runs it for every
 * node, with n known. */
static inline void tg__store_partials(tg_tensor *out, const tg_op *op, int n, const double *x)
{
    op->partials(x, *(const double *)out->data, out->attr, out->scalar.partial);
    for (int k = 0; k < n; k++)
        if (!isfinite(out->scalar.partial[k])) {
            out->flags &= (uint16_t)~TG_PARTIALS;
            return;
        }
    out->flags |= TG_PARTIALS;
}
/* A TG_PARTIALS node's complete gradient as a double (its adjoint plus any
 * tensor the general path delivered to pending); clears both. Inline, as is
 * tg__scalar_propagate: the sweep runs both on every fast node, and a call
 * into scalar_sweep.c per node cost more than their work (callgrind). */
static inline double tg__scalar_take(tg_tensor *node)
{
    /* without a sum, so that a lone gradient of -0 stays -0 as in the rules */
    bool adjoint = (node->flags & TG_ADJOINT) != 0;
    double g = adjoint ? node->scalar.adjoint : 0;
    if (node->pending)
        g = adjoint ? g + tg__load(node->pending, 0) : tg__load(node->pending, 0);
    node->flags &= (uint16_t)~TG_ADJOINT;
    node->pending = NULL;
    return g;
}
/* Adds c, from the op named by from, to the gradient of x, an input that
 * requires grad and has no partials: a plain 0-d F64 leaf's grad, or
 * through the sink's fallback. Returns 0 or a negative code. */
int tg__scalar_deliver(const tg_scalar_sink *sink, tg_tensor *x, double c, const char *from);
/* Adds adjoint * partial[i] to the gradient of each input i that requires
 * grad. Returns 0 or a negative code. */
static inline int tg__scalar_propagate(const tg_scalar_sink *sink, tg_tensor *node,
                                       double adjoint)
{
    const unsigned fast = TG_REQUIRES_GRAD | TG_PARTIALS;
    for (int i = 0; i < node->n_inputs; i++) {
        tg_tensor *x = node->in[i];
        double c = adjoint * node->scalar.partial[i];
        if ((x->flags & fast) == fast) {
            x->scalar.adjoint = (x->flags & TG_ADJOINT) ? x->scalar.adjoint + c : c;
            x->flags |= TG_ADJOINT;
        } else if (x->flags & TG_REQUIRES_GRAD) {
            int rc = tg__scalar_deliver(sink, x, c, node->op->info.name);
            if (rc < 0)
                return rc;
        }
    }
    return TG_OK;
}

/* ---- forward mode (forward.c) ---- */
/* True while tg_jvp runs f on this thread: every op result then gets its
 * tangent from its op's jvp rule. */
extern TG_HIDDEN _Thread_local bool tg__forward_active;
extern TG_HIDDEN _Thread_local uint64_t tg__forward_epoch;
/* t's tangent from the latest tg_jvp on this thread, NULL for zero. */
static inline tg_tensor *tg__tangent(const tg_tensor *t)
{
    return t->tangent && t->tangent_epoch == tg__forward_epoch ? t->tangent : NULL;
}
/* Gives out (the result of op over inputs, recorded or not) its tangent by
 * op's jvp rule; called by tg__record while forward mode is on. Returns out,
 * or NULL with the error set (no rule, or the rule failed). */
tg_tensor *tg__forward_node(tg_tensor *out, const tg_op *op, int n, tg_tensor *const *inputs);
/* Replays the tangent rules of the recorded nodes at tape positions lo..hi-1
 * with xs[i] carrying tangents[i] (a new epoch; recording off), so one
 * recorded run of f gives J v for many v without running f again. */
int tg__tangent_sweep(int64_t lo, int64_t hi, int n, tg_tensor *const *xs,
                      tg_tensor *const *tangents);
/* t broadcast to like's shape (t itself when the shapes agree): a tangent
 * rule's result must have its output's shape. */
tg_tensor *tg__expand_like(tg_tensor *t, const tg_tensor *like);

/* The gradient buffer of a persistent tensor, allocated on first use. */
tg_tensor *tg__persistent_grad(tg_tensor *t);
/* A 0-d F64 tape leaf whose gradient the scalar fast path delivered holds
 * it as a double, in scalar.adjoint, with grad pointing to the leaf itself:
 * no tensor is made per leaf and sweep unless someone asks for one (a
 * sweep of the neuron made four, 85 instructions each). Setting grad to
 * NULL drops it, as for any gradient. tg__leaf_grad makes it a tensor,
 * kept in grad (NULL with the error set if that fails, the double still
 * held); tg__grad_value reads element i of t's gradient either way, 0
 * where none arrived. */
tg_tensor *tg__leaf_grad(tg_tensor *t);
static inline double tg__grad_value(const tg_tensor *t, int64_t i)
{
    return t->grad == t ? t->scalar.adjoint : t->grad ? tg__load(t->grad, i) : 0.0;
}
/* Where a rule may add leaf's gradient itself (gemm with beta = 1), instead
 * of returning it for the sweep to add: leaf's .grad during an unrecorded
 * tg_backward, when leaf is a persistent leaf that requires grad and has no
 * hooks, and anomaly mode is off. NULL otherwise, and the rule returns the
 * gradient as usual. */
tg_tensor *tg__grad_sink(tg_tensor *leaf);
/* Zero tensor / constant of t's dtype; a tape tensor. */
tg_tensor *tg__zeros_like(const tg_tensor *t);
tg_tensor *tg__scalar_like(const tg_tensor *t, double v);

/* ---- anomaly mode ---- */
extern TG_HIDDEN atomic_bool tg__anomaly_flag;
/* True while a sweep runs on this thread (backward.c): the mode's forward
 * checks then stand aside, since the sweep checks each rule's results. */
extern TG_HIDDEN _Thread_local bool tg__sweeping;
static inline bool tg__anomaly(void)
{
    return atomic_load_explicit(&tg__anomaly_flag, memory_order_relaxed);
}
/* Fail with TG_EANOMALY if out (at tape position pos, -1 if not recorded)
 * or the gradients a rule produced for node hold a NaN or infinity. */
int tg__anomaly_forward(const char *name, const tg_tensor *out, int n, tg_tensor *const *inputs,
                        int64_t pos);
int tg__anomaly_backward(const tg_tensor *node, tg_tensor *const *grad_in);

int64_t tg__shape_numel(int ndim, const int64_t *shape);
/* Validates ndim and shape for a new tensor of fn; writes the element count
 * (below 2^59, so byte sizes fit in 64 bits) only when they are valid. */
int tg__check_shape(const char *fn, int ndim, const int64_t *shape, int64_t *numel);
static inline bool tg__same_shape(const tg_tensor *a, const tg_tensor *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return false;
    return true;
}
char *tg__dims_str(int ndim, const int64_t *shape, char *buf, size_t size);

#endif
