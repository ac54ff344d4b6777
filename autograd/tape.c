/*
 * tape.c -- the per-thread tape: an arena for tape tensors and the list of
 * recorded op results in creation order.
 *
 * Headers (and the small things kept beside them) live in two arenas that
 * alternate between generations. A tensor kept across one tg_tape_reset
 * therefore still holds its old generation number (nothing was written over
 * it) and is reported as stale instead of aliasing a new tensor. Tensor data,
 * which is nearly all of the bytes, lives in one arena reused by every
 * generation: a stale tensor is refused by its header (tg__check) before its
 * data is read, so the data needs no second copy (with two, tg train of the
 * Fashion-MNIST CNN with batch norm on 3000 images peaked at 537 MB resident,
 * with one at 406 MB). Arena
 * chunks are kept across resets and reused in the same order, so a loop that
 * rebuilds the same graph stops calling the allocator after its first
 * iteration. Every arena counts its chunks' bytes, so a reset reads no chunk
 * whatever came before; what it keeps follows the graphs of the last
 * TAPE_WINDOW resets (the shrink policy, at tg_tape_reset below).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "internal.h"

#define CHUNK_BYTES ((size_t)1 << 20)
#define DATA_ALIGN 64
#define HEADER_ALIGN 16
#define INLINE_DATA_MAX 64 /* small data sits right after its header */
#define NODES_MIN 1024      /* the node list's first capacity */

typedef struct chunk {
    struct chunk *next;
    size_t cap;
    unsigned char *base;
} chunk;

/* The chunk in use is described here, not read from the chunk, so that
 * neither an allocation nor a reset reads chunk memory. */
typedef struct {
    chunk *head, *tail, *cur;
    uintptr_t base, free, end; /* cur's start, next free byte and end; 0 without cur */
    uintptr_t head_base, head_end; /* head's start and end (0 without), for arena_rewind */
    size_t capacity;           /* bytes of all its chunks */
    size_t retired;            /* bytes used in the chunks left behind this generation */
    size_t passed;             /* capacity of the chunks left behind this generation */
} arena;

/* What one generation needed: the span of each arena it reached (the chunks
 * it left behind, whole, and the used part of the last) and its node count.
 * One chunk of a span's size holds the same sequence of requests. */
typedef struct {
    size_t headers, data;
    int64_t nodes;
} footprint;

/* Graphs the shrink policy remembers, and how far the arenas may exceed the
 * largest of them before a reset gives the rest back. */
#define TAPE_WINDOW 16
#define SHRINK_FACTOR 2

typedef struct tape {
    arena arenas[2];
    arena *live;           /* of arenas, the one with this generation's headers */
    arena data;            /* every generation's tensor data */
    uint64_t generation;
    tg_tape_lists lists;   /* recorded op results; leaves waiting for hooks */
    int no_grad_depth;
    footprint recent[TAPE_WINDOW]; /* of the last resets, a ring */
    int recent_next;               /* the ring's oldest entry, replaced next */
    footprint keep;                /* the largest of recent, field by field */
    /* tg_capture: every op result is recorded, even one no input of which
     * requires grad, since replay must recompute what data flows into */
    bool capture_all;
    /* a program's tape: where its captured graph ends (tg__tape_rewind) */
    arena marks[2];
    int64_t mark_len;
} tape;

static atomic_uint_fast64_t next_generation = 1;
static _Thread_local tape *thread_tape;
static _Thread_local size_t memory_limit; /* tg_set_memory_limit; 0: none */
_Thread_local uint64_t tg__live_generation;
static pthread_key_t tape_key;
static pthread_once_t tape_key_once = PTHREAD_ONCE_INIT;

/* Frees the chunks after keep (all of them for keep NULL); keep becomes the
 * tail. */
static void arena_free_after(arena *a, chunk *keep)
{
    chunk *c = keep ? keep->next : a->head;
    while (c) {
        chunk *next = c->next;
        a->capacity -= c->cap;
        tg__free(c, sizeof *c + c->cap + DATA_ALIGN);
        c = next;
    }
    if (keep) {
        keep->next = NULL;
    } else {
        a->head = NULL;
        a->head_base = a->head_end = 0;
    }
    a->tail = keep;
}

static size_t arena_in_use(const arena *a) { return a->retired + (a->free - a->base); }

/* Starts the arena's next generation in its first chunk, made current here
 * from the arena's own copy of where it lies (a reset reads no chunk), so
 * that the generation's first request is a bump in it, not a walk from no
 * chunk (callgrind: about 40 instructions a reset). */
static void arena_rewind(arena *a)
{
    a->cur = a->head;
    a->base = a->free = a->head_base;
    a->end = a->head_end;
    a->retired = a->passed = 0;
}

static void arena_free(arena *a)
{
    arena_free_after(a, NULL);
    arena_rewind(a);
}

static void tape_free(tape *t)
{
    arena_free(&t->arenas[0]);
    arena_free(&t->arenas[1]);
    arena_free(&t->data);
    tg__free(t->lists.nodes, (size_t)t->lists.cap * sizeof *t->lists.nodes);
    tg__free(t->lists.deferred, (size_t)t->lists.cap_deferred * sizeof *t->lists.deferred);
    tg__free(t, sizeof *t);
}

static void destroy_thread_tape(void *p) { tape_free(p); }

/* The header arena of the generation before this one (kept for stale-tensor
 * detection), which the next reset makes live. */
static arena *idle_headers(tape *tp)
{
    return tp->live == &tp->arenas[0] ? &tp->arenas[1] : &tp->arenas[0];
}

static void make_key(void) { pthread_key_create(&tape_key, destroy_thread_tape); }

static tape *get_tape(void)
{
    if (thread_tape)
        return thread_tape;
    tape *t = tg__alloc(sizeof *t);
    if (!t)
        return NULL;
    memset(t, 0, sizeof *t);
    t->live = &t->arenas[0];
    t->generation = tg__live_generation = atomic_fetch_add(&next_generation, 1);
    pthread_once(&tape_key_once, make_key);
    pthread_setspecific(tape_key, t);
    thread_tape = t;
    return t;
}

static size_t align_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

static chunk *chunk_new(size_t cap)
{
    chunk *c = tg__alloc(sizeof *c + cap + DATA_ALIGN);
    if (!c)
        return NULL;
    c->next = NULL;
    c->cap = cap;
    uintptr_t start = (uintptr_t)(c + 1);
    c->base = (unsigned char *)align_up(start, DATA_ALIGN);
    return c;
}

static void arena_append(arena *a, chunk *c)
{
    if (a->tail) {
        a->tail->next = c;
    } else {
        a->head = c;
        a->head_base = (uintptr_t)c->base;
        a->head_end = a->head_base + c->cap;
    }
    a->tail = c;
    a->capacity += c->cap;
}

/* Walks to the next kept chunk that is big enough, so the same sequence of
 * requests lands in the same chunks every generation. */
static void *arena_alloc_next_chunk(arena *a, size_t size)
{
    size_t passed = a->cur ? a->cur->cap : 0;
    chunk *c = a->cur ? a->cur->next : a->head;
    while (c && c->cap < size) {
        passed += c->cap;
        c = c->next;
    }
    if (!c) {
        c = chunk_new(size > CHUNK_BYTES ? align_up(size, DATA_ALIGN) : CHUNK_BYTES);
        if (!c)
            return NULL;
        arena_append(a, c);
    }
    a->retired += a->free - a->base;
    a->passed += passed;
    a->cur = c;
    a->base = (uintptr_t)c->base;
    a->free = a->base + size;
    a->end = a->base + c->cap;
    return c->base;
}

/* Bump allocation in the current chunk, the path every tensor takes:
 * whether size bytes fit, and taking them. size is a multiple of the
 * arena's alignment (below). */
static inline bool arena_fits(const arena *a, size_t size) { return size <= a->end - a->free; }

static inline void *arena_take(arena *a, size_t size)
{
    void *p = (void *)a->free;
    a->free += size;
    return p;
}

/* Every request of an arena has the same alignment (HEADER_ALIGN in the
 * header arenas, DATA_ALIGN in the data arena) and its size is rounded up to
 * it, so free stays aligned (chunk bases are DATA_ALIGN-aligned) and a
 * constant size is rounded at compile time. */
static inline void *arena_alloc(arena *a, size_t size, size_t align)
{
    size = align_up(size, align);
    return arena_fits(a, size) ? arena_take(a, size) : arena_alloc_next_chunk(a, size);
}

bool tg__recording(void) { return !thread_tape || thread_tape->no_grad_depth == 0; }

int tg__grad_mode_set(bool enabled)
{
    tape *tp = get_tape();
    if (!tp)
        return 0;
    int saved = tp->no_grad_depth;
    tp->no_grad_depth = enabled ? 0 : saved + 1;
    return saved;
}

void tg__grad_mode_restore(int saved)
{
    if (thread_tape)
        thread_tape->no_grad_depth = saved;
}

int64_t tg__shape_numel(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    return n;
}

int tg__check_shape(const char *fn, int ndim, const int64_t *shape, int64_t *numel)
{
    if (ndim < 0 || ndim > TG_MAX_DIMS)
        return tg__fail(TG_ESHAPE, "%s: ndim %d out of range 0..%d", fn, ndim, TG_MAX_DIMS);
    if (ndim > 0 && !shape)
        return tg__fail(TG_ENULL, "%s: shape is NULL for ndim %d", fn, ndim);
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return tg__fail(TG_ESHAPE, "%s: dimension %d is negative (%lld)", fn, i,
                            (long long)shape[i]);
        if (__builtin_mul_overflow(n, shape[i], &n) || n > INT64_MAX / 16)
            return tg__fail(TG_ESHAPE, "%s: shape too large (dimension %d is %lld)", fn, i,
                            (long long)shape[i]);
    }
    *numel = n;
    return TG_OK;
}

_Static_assert(sizeof(tg_attr) == 2 * sizeof(void *), "tg__init_header clears attr as two pointers");

void tg__init_header(tg_tensor *t, tg_dtype dtype, int ndim, const int64_t *shape, int64_t numel)
{
    /* Field by field: every node pays for this, and GCC turns a zeroing of
     * the whole header (memset or a compound literal) into a slow rep stos.
     * A field added to struct tg_tensor must be set here. Axes past ndim are
     * never read. */
    t->magic = TG_MAGIC;
    t->dtype = (uint8_t)dtype;
    t->ndim = (uint8_t)ndim;
    t->flags = 0;
    t->n_inputs = 0;
    t->generation = 0;
    t->numel = numel;
    t->tape_pos = -1;
    for (int i = 0; i < ndim; i++)
        t->shape[i] = shape[i];
    t->data = NULL;
    t->grad = t->pending = NULL;
    t->hooks = NULL;
    /* last_use is read only where hooks are set, and written before */
    t->op = NULL;
    /* in and in_local are left alone: they are read only where op is set,
     * and tg__record sets them (callgrind: 5 instructions a tensor less) */
    t->attr.user.fn = NULL;
    t->attr.user.ud = NULL;
    /* tangent_epoch is read only where tangent is set (callgrind, 20,000
     * neuron iterations: 134.71M -> 133.49M instructions without it) */
    t->tangent = NULL;
}

/* A header for a tensor of numel elements (a checked shape) with
 * inline_bytes of data right after it. */
static tg_tensor *tape_header(const char *fn, tg_dtype dtype, int ndim, const int64_t *shape,
                              int64_t numel, size_t inline_bytes)
{
    if (dtype != TG_F32 && dtype != TG_F64) {
        tg__fail(TG_EDTYPE, "%s: unknown dtype %d", fn, (int)dtype);
        return NULL;
    }
    tape *tp = get_tape();
    tg_tensor *t = tp ? arena_alloc(tp->live, sizeof *t + inline_bytes, HEADER_ALIGN) : NULL;
    if (!t) {
        tg__fail(TG_ENOMEM, "%s: out of memory for a tensor", fn);
        return NULL;
    }
    tg__init_header(t, dtype, ndim, shape, numel);
    t->generation = tp->generation;
    return t;
}

void tg_set_memory_limit(size_t bytes) { memory_limit = bytes; }
size_t tg_memory_limit(void) { return memory_limit; }

/* Refuses a tensor whose data would take the current generation's tape past
 * the thread's limit, naming the op and the shape: an expression that
 * broadcasts to gigabytes fails at once instead of exhausting the machine. */
static int check_memory_limit(const char *fn, tg_dtype dtype, int ndim, const int64_t *shape,
                              size_t bytes)
{
    if (!memory_limit)
        return TG_OK;
    const tape *tp = thread_tape;
    size_t in_use = tp ? arena_in_use(tp->live) + arena_in_use(&tp->data) : 0;
    if (bytes <= memory_limit && in_use <= memory_limit - bytes)
        return TG_OK;
    char dims[160];
    return tg__fail(TG_ENOMEM, "%s: a %s result of shape %s needs %zu bytes; with the %zu the "
                    "tape holds that exceeds this thread's memory limit of %zu bytes "
                    "(tg_set_memory_limit)", fn, dtype == TG_F32 ? "F32" : "F64",
                    tg__dims_str(ndim, shape, dims, sizeof dims), bytes, in_use, memory_limit);
}

tg_tensor *tg__tape_tensor(const char *fn, tg_dtype dtype, int ndim, const int64_t *shape)
{
    int64_t numel;
    if (tg__check_shape(fn, ndim, shape, &numel) < 0)
        return NULL;
    size_t bytes = (size_t)numel * tg__dtype_size(dtype);
    if (check_memory_limit(fn, dtype, ndim, shape, bytes) < 0)
        return NULL;
    bool inline_data = bytes <= INLINE_DATA_MAX;
    tg_tensor *t = tape_header(fn, dtype, ndim, shape, numel, inline_data ? bytes : 0);
    if (!t)
        return NULL;
    if (inline_data) {
        t->data = t + 1;
        return t;
    }
    tape *tp = thread_tape;
    t->data = arena_alloc(&tp->data, bytes, DATA_ALIGN);
    if (!t->data) {
        t->magic = TG_DEAD;
        tg__fail(TG_ENOMEM, "%s: out of memory for %zu bytes of tensor data", fn, bytes);
        return NULL;
    }
    return t;
}

/* A 0-d F64 tensor holding v, its value right after its header, from tp:
 * what every scalar takes (tg_var, tg_scalar, the fast path's results). No
 * shape to check, no dtype to choose. NULL when the current chunk is full:
 * the caller then takes tg__tape_tensor's way, which moves to the next
 * chunk (and reports a failure), so that this one makes no call and needs
 * no stack frame. */
static inline tg_tensor *scalar_header(tape *tp, double v)
{
    size_t size = align_up(sizeof(tg_tensor) + sizeof v, HEADER_ALIGN);
    if (!arena_fits(tp->live, size))
        return NULL;
    tg_tensor *t = arena_take(tp->live, size);
    tg__init_header(t, TG_F64, 0, NULL, 1);
    t->generation = tp->generation;
    t->data = t + 1;
    *(double *)t->data = v;
    return t;
}

/* tg__tape_tensor's way to a scalar: it makes the thread's tape, accounts
 * for the memory limit, moves to the arena's next chunk and reports
 * failures. */
static TG_COLD tg_tensor *tape_scalar_general(const char *fn, double v)
{
    tg_tensor *t = tg__tape_tensor(fn, TG_F64, 0, NULL);
    if (t)
        *(double *)t->data = v;
    return t;
}

tg_tensor *tg__tape_scalar(const char *fn, double v)
{
    tape *tp = thread_tape;
    tg_tensor *t = tp && !memory_limit ? scalar_header(tp, v) : NULL;
    return t ? t : tape_scalar_general(fn, v);
}

tg_tensor *tg__tape_view(const char *fn, tg_tensor *src, int ndim, const int64_t *shape)
{
    int64_t numel;
    if (tg__check_shape(fn, ndim, shape, &numel) < 0)
        return NULL;
    tg_tensor *t = tape_header(fn, (tg_dtype)src->dtype, ndim, shape, numel, 0);
    if (!t)
        return NULL;
    t->data = src->data;
    return t;
}

void *tg__tape_bytes(const char *fn, size_t size)
{
    tape *tp = get_tape();
    /* at least a byte: an empty chunk's free space is [0, 0) */
    void *p = tp ? arena_alloc(tp->live, size ? size : 1, HEADER_ALIGN) : NULL;
    if (!p)
        tg__fail(TG_ENOMEM, "%s: out of memory for %zu bytes on the tape", fn, size);
    return p;
}

/* Doubles the node list (NODES_MIN for the first); 0 or TG_ENOMEM naming
 * fn. */
static TG_COLD int nodes_grow(tape *tp, const char *fn)
{
    int64_t cap = tp->lists.cap ? 2 * tp->lists.cap : NODES_MIN;
    tg_tensor **nodes = tg__realloc(tp->lists.nodes, (size_t)tp->lists.cap * sizeof *nodes,
                                    (size_t)cap * sizeof *nodes);
    if (!nodes)
        return tg__fail(TG_ENOMEM, "%s: out of memory growing the tape to %lld nodes", fn,
                        (long long)cap);
    tp->lists.nodes = nodes;
    tp->lists.cap = cap;
    return TG_OK;
}

/* Puts out on the tape as op's result over inputs; NULL if the tape could
 * not grow. */
static inline tg_tensor *append_node(tape *tp, tg_tensor *out, const tg_op *op, int n,
                                     tg_tensor *const *inputs)
{
    if (tp->lists.len == tp->lists.cap && nodes_grow(tp, op->info.name) < 0)
        return NULL;
    tg_tensor **in = n > TG_MAX_INPUTS ? tg__tape_input_slots(op->info.name, n) : out->in_local;
    if (!in)
        return NULL;
    out->in = in;
    out->op = op;
    out->n_inputs = n;
    for (int i = 0; i < n; i++)
        out->in[i] = inputs[i];
    out->tape_pos = tp->lists.len;
    tp->lists.nodes[tp->lists.len++] = out;
    return out;
}

static inline bool any_requires_grad(int n, tg_tensor *const *inputs)
{
    bool requires = false;
    for (int i = 0; i < n; i++)
        requires |= (inputs[i]->flags & TG_REQUIRES_GRAD) != 0;
    return requires;
}

/* A result that is not recorded as requiring grad (no input requires it,
 * or recording is off): a constant, except that while a program is
 * captured (tg_capture) one computed with recording on is recorded too,
 * since replay must recompute what data flows into. Kept apart from
 * tg__record's path, so that the capture costs that path nothing. */
static tg_tensor *record_unrequired(tg_tensor *out, const tg_op *op, int n,
                                    tg_tensor *const *inputs)
{
    tape *tp = thread_tape;
    bool capture = tp && tp->capture_all && tg__recording();
    if (tg__anomaly() &&
        tg__anomaly_forward(op->info.name, out, n, inputs, capture ? tp->lists.len : -1) < 0)
        return NULL;
    if (capture && !append_node(tp, out, op, n, inputs))
        return NULL;
    return tg__forward_active ? tg__forward_node(out, op, n, inputs) : out;
}

tg_tensor *tg__record(tg_tensor *out, const tg_op *op, int n, tg_tensor *const *inputs)
{
    if (!any_requires_grad(n, inputs) || !tg__recording())
        return record_unrequired(out, op, n, inputs);
    tape *tp = thread_tape;
    if (tg__anomaly() && tg__anomaly_forward(op->info.name, out, n, inputs, tp->lists.len) < 0)
        return NULL;
    if (!append_node(tp, out, op, n, inputs))
        return NULL;
    out->flags |= TG_REQUIRES_GRAD;
    return tg__forward_active ? tg__forward_node(out, op, n, inputs) : out;
}

/* The scalar fast path's recording (internal.h): op over n operands that
 * passed tg__scalar_operands, each arity's copy a straight line (the loops
 * unrolled): the tape fetched once, the result bump-allocated with only
 * what a 0-d tensor needs, its value and local partials computed, the node
 * appended. */

/* scalar_result the long way, tg__tape_scalar and tg__record, for what the
 * short way leaves out. */
static TG_COLD tg_tensor *scalar_result_general(const tg_op *op, int n, tg_tensor *const *inputs,
                                                tg_attr attr, double y)
{
    tg_tensor *out = tg__tape_scalar(op->info.name, y);
    if (!out)
        return NULL;
    out->attr = attr;
    return tg__record(out, op, n, inputs);
}

/* op's result over inputs, of value y, recorded as tg__record would. */
static inline tg_tensor *scalar_result(const tg_op *op, int n, tg_tensor *const *inputs,
                                       tg_attr attr, double y)
{
    /* one test for everything rare: no tape yet, a memory limit to account
     * for, a capture (every result recorded), forward mode (a tangent for
     * every result), anomaly mode (every result checked) */
    tape *tp = thread_tape;
    if (!tp || memory_limit || tp->capture_all || tg__forward_active || tg__anomaly())
        return scalar_result_general(op, n, inputs, attr, y);
    tg_tensor *out = scalar_header(tp, y);
    if (!out) /* the chunk is full */
        return scalar_result_general(op, n, inputs, attr, y);
    out->attr = attr;
    if (!any_requires_grad(n, inputs) || tp->no_grad_depth)
        return out;
    if (!append_node(tp, out, op, n, inputs))
        return NULL;
    out->flags = TG_REQUIRES_GRAD;
    return out;
}

static inline tg_tensor *scalar_op(const tg_op *op, int n, tg_tensor *const *inputs, tg_attr attr)
{
    double x[TG_MAX_INPUTS];
    for (int k = 0; k < n; k++)
        x[k] = *(const double *)inputs[k]->data;
    /* the kernel's bits, no plan */
    tg_tensor *out = scalar_result(op, n, inputs, attr, op->value(x, attr));
    /* failed, not recorded (nothing will sweep it), or no gradient to pass */
    if (!out || !out->op || op->partials == tg__partials_none)
        return out;
    tg__store_partials(out, op, n, x);
    return out;
}

tg_tensor *tg__scalar_unary(const tg_op *op, tg_tensor *x, tg_attr attr)
{
    return scalar_op(op, 1, &x, attr);
}

tg_tensor *tg__scalar_binary(const tg_op *op, tg_tensor *a, tg_tensor *b)
{
    tg_tensor *in[2] = {a, b};
    return scalar_op(op, 2, in, (tg_attr){0});
}

tg_tensor **tg__tape_input_slots(const char *fn, int n)
{
    tg_tensor **slots = tg__tape_bytes(fn, (size_t)n * sizeof *slots);
    for (int i = 0; slots && i < n; i++)
        slots[i] = NULL;
    return slots;
}

tg_tensor **tg__tape_nodes(int64_t *len)
{
    *len = thread_tape ? thread_tape->lists.len : 0;
    return thread_tape ? thread_tape->lists.nodes : NULL;
}

int tg__defer_push(tg_tape_lists *l, tg_tensor *leaf)
{
    if (l->n_deferred == l->cap_deferred) {
        int64_t cap = l->cap_deferred ? 2 * l->cap_deferred : 16;
        tg_tensor **grown = tg__realloc(l->deferred, (size_t)l->cap_deferred * sizeof *grown,
                                        (size_t)cap * sizeof *grown);
        if (!grown)
            return tg__fail(TG_ENOMEM, "tg_backward: out of memory for %lld hooked leaves",
                            (long long)cap);
        l->deferred = grown;
        l->cap_deferred = cap;
    }
    l->deferred[l->n_deferred++] = leaf;
    return TG_OK;
}

tg_tape_lists *tg__tape_lists(void) { return thread_tape ? &thread_tape->lists : NULL; }

static size_t arena_span(const arena *a) { return a->passed + (a->free - a->base); }

/* Frees the chunks after the one in use, or all of them while the current
 * generation has used none (a rewound arena starts in its first). */
static void arena_trim(arena *a)
{
    if (arena_span(a))
        arena_free_after(a, a->cur);
    else
        arena_free(a);
}

static void footprint_max(footprint *k, const footprint *f)
{
    k->headers = f->headers > k->headers ? f->headers : k->headers;
    k->data = f->data > k->data ? f->data : k->data;
    k->nodes = f->nodes > k->nodes ? f->nodes : k->nodes;
}

/* Puts the graph just finished into the window and keeps tp->keep its
 * largest, field by field. The window is scanned only when its largest
 * entry leaves it for a smaller one, never while graphs stay the same. */
static void remember_footprint(tape *tp, footprint f)
{
    footprint *slot = &tp->recent[tp->recent_next], old = *slot, *k = &tp->keep;
    tp->recent_next = (tp->recent_next + 1) % TAPE_WINDOW;
    /* the same graph as TAPE_WINDOW resets ago, as in a loop: nothing changes */
    if (f.headers == old.headers && f.data == old.data && f.nodes == old.nodes)
        return;
    *slot = f;
    bool largest_left = (f.headers < k->headers && old.headers == k->headers) ||
                        (f.data < k->data && old.data == k->data) ||
                        (f.nodes < k->nodes && old.nodes == k->nodes);
    if (!largest_left) {
        footprint_max(k, &f);
        return;
    }
    *k = (footprint){0};
    for (int i = 0; i < TAPE_WINDOW; i++)
        footprint_max(k, &tp->recent[i]);
}

/* arena_fit's growing or shrinking, apart from the test that every reset
 * runs, so that the test is inline in tg_tape_reset (callgrind: about 30
 * instructions a reset). */
static void arena_refit(arena *a, size_t need, size_t keep)
{
    size_t grow = 0;
    if (a->capacity < need) {
        grow = need - a->capacity;
    } else {
        arena_free_after(a, NULL);
        grow = keep ? (keep > CHUNK_BYTES ? keep : CHUNK_BYTES) : 0;
    }
    chunk *c = grow ? chunk_new(align_up(grow, DATA_ALIGN)) : NULL;
    if (c)
        arena_append(a, c);
}

/* Readies an arena for a new generation. It grows to need, the span of the
 * graph just built, so that building that graph again allocates nothing
 * even though the header arenas alternate (the filled arena lost space at
 * its chunk ends; a single chunk loses none). It shrinks when it holds more
 * than SHRINK_FACTOR times keep, the largest span of the last TAPE_WINDOW
 * graphs, plus a chunk: its chunks are replaced by one of keep bytes (at
 * least a chunk's). Neither reads a chunk unless it frees it. Failure to
 * allocate is harmless: allocation then happens lazily. */
static void arena_fit(arena *a, size_t need, size_t keep)
{
    if (a->capacity < need || a->capacity > SHRINK_FACTOR * keep + CHUNK_BYTES)
        arena_refit(a, need, keep);
    arena_rewind(a);
}

/* Reallocates the node list to the smallest capacity the growth in
 * tg__record would give for len nodes (freed for none). Failure is harmless:
 * the old list stays. */
static void nodes_shrink_to(tg_tape_lists *l, int64_t len)
{
    int64_t cap = 0;
    while (len > 0 && cap < len)
        cap = cap ? 2 * cap : NODES_MIN;
    if (cap == 0) {
        tg__free(l->nodes, (size_t)l->cap * sizeof *l->nodes);
        l->nodes = NULL;
        l->cap = 0;
        return;
    }
    tg_tensor **nodes = tg__realloc(l->nodes, (size_t)l->cap * sizeof *nodes,
                                    (size_t)cap * sizeof *nodes);
    if (nodes) {
        l->nodes = nodes;
        l->cap = cap;
    }
}

void tg_tape_reset(void)
{
    tg_clear_error(); /* a failure's message is about this graph: it goes with it */
    tape *tp = thread_tape;
    if (!tp)
        return;
    const arena *filled = tp->live;
    remember_footprint(tp, (footprint){arena_span(filled), arena_span(&tp->data), tp->lists.len});
    tp->generation = tg__live_generation = atomic_fetch_add(&next_generation, 1);
    tp->live = idle_headers(tp);
    arena_fit(tp->live, arena_span(filled), tp->keep.headers);
    arena_fit(&tp->data, 0, tp->keep.data);
    if (tp->lists.cap > SHRINK_FACTOR * tp->keep.nodes + NODES_MIN)
        nodes_shrink_to(&tp->lists, tp->keep.nodes);
    tp->lists.len = 0;
}

/* Frees the chunks after the last one that holds something of the current
 * generation; all of them if none does (a rewound arena's cur is its first
 * chunk, empty until a request). */
void tg_tape_trim(void)
{
    tape *tp = thread_tape;
    if (!tp)
        return;
    arena_free(idle_headers(tp));
    arena_trim(tp->live);
    arena_trim(&tp->data);
    nodes_shrink_to(&tp->lists, tp->lists.len);
}

void tg_tape_destroy(void)
{
    tg_clear_error();
    tape *tp = thread_tape;
    if (!tp)
        return;
    pthread_setspecific(tape_key, NULL);
    thread_tape = NULL;
    tg__live_generation = 0;
    tape_free(tp);
}

int64_t tg_tape_length(void) { return thread_tape ? thread_tape->lists.len : 0; }

void tg_tape_memory(size_t *in_use, size_t *reserved)
{
    const tape *tp = thread_tape;
    if (in_use)
        *in_use = tp ? arena_in_use(tp->live) + arena_in_use(&tp->data) : 0;
    if (reserved)
        *reserved = tp ? tp->arenas[0].capacity + tp->arenas[1].capacity + tp->data.capacity : 0;
}

void tg_no_grad_begin(void)
{
    tape *tp = get_tape();
    if (tp)
        tp->no_grad_depth++;
}

void tg_no_grad_end(void)
{
    if (thread_tape && thread_tape->no_grad_depth > 0)
        thread_tape->no_grad_depth--;
}

bool tg_is_grad_enabled(void) { return tg__recording(); }

/* ---- tapes held by programs (program.c) ---- */

int tg__tape_capture_begin(const char *fn, tg_tape_swap *saved)
{
    tape *t = tg__alloc(sizeof *t);
    if (!t)
        return tg__fail(TG_ENOMEM, "%s: out of memory for the program's tape", fn);
    memset(t, 0, sizeof *t);
    t->live = &t->arenas[0];
    t->generation = atomic_fetch_add(&next_generation, 1);
    t->capture_all = true;
    tg__tape_attach(t, saved);
    return TG_OK;
}

tg_tape *tg__tape_capture_end(const tg_tape_swap *saved)
{
    tape *t = thread_tape;
    if (!t) { /* f destroyed it (tg_tape_destroy); the capture fails */
        tg__tape_detach(saved);
        return NULL;
    }
    t->capture_all = false;
    t->marks[0] = *t->live;
    t->marks[1] = t->data;
    t->mark_len = t->lists.len;
    tg__tape_detach(saved);
    return t;
}

void tg__tape_attach(tg_tape *t, tg_tape_swap *saved)
{
    saved->tape = thread_tape;
    saved->generation = tg__live_generation;
    thread_tape = t;
    tg__live_generation = t->generation;
}

void tg__tape_detach(const tg_tape_swap *saved)
{
    thread_tape = saved->tape;
    tg__live_generation = saved->generation;
}

/* Only the chunk in use and the byte counts go back: the chunks after it
 * are kept, so the next run's requests land where the last run's did. */
static void arena_restore(arena *a, const arena *mark)
{
    a->cur = mark->cur;
    a->base = mark->base;
    a->free = mark->free;
    a->end = mark->end;
    a->retired = mark->retired;
    a->passed = mark->passed;
}

void tg__tape_rewind(void)
{
    tape *t = thread_tape;
    arena_restore(t->live, &t->marks[0]);
    arena_restore(&t->data, &t->marks[1]);
    t->lists.len = t->mark_len;
    t->lists.n_deferred = 0;
}

void tg__tape_set_capture(bool on) { thread_tape->capture_all = on; }

void tg__tape_free(tg_tape *t)
{
    if (t)
        tape_free(t);
}
