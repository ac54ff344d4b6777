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
 * iteration.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "internal.h"

#define CHUNK_BYTES ((size_t)1 << 20)
#define DATA_ALIGN 64
#define HEADER_ALIGN 16
#define INLINE_DATA_MAX 64 /* small data sits right after its header */

typedef struct chunk {
    struct chunk *next;
    size_t cap, used;
    unsigned char *base;
} chunk;

typedef struct {
    chunk *head, *tail, *cur;
    size_t retired; /* bytes used in the chunks left behind this generation */
} arena;

typedef struct {
    arena arenas[2];
    int active;            /* arena of the current generation's headers */
    arena data;            /* every generation's tensor data */
    uint64_t generation;
    tg_tape_lists lists;   /* recorded op results; leaves waiting for hooks */
    int no_grad_depth;
} tape;

static atomic_uint_fast64_t next_generation = 1;
static _Thread_local tape *thread_tape;
static _Thread_local size_t memory_limit; /* tg_set_memory_limit; 0: none */
_Thread_local uint64_t tg__live_generation;
static pthread_key_t tape_key;
static pthread_once_t tape_key_once = PTHREAD_ONCE_INIT;

static void arena_free(arena *a)
{
    chunk *c = a->head;
    while (c) {
        chunk *next = c->next;
        tg__free(c, sizeof *c + c->cap + DATA_ALIGN);
        c = next;
    }
    a->head = a->tail = a->cur = NULL;
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
static void make_key(void) { pthread_key_create(&tape_key, destroy_thread_tape); }

static tape *get_tape(void)
{
    if (thread_tape)
        return thread_tape;
    tape *t = tg__alloc(sizeof *t);
    if (!t)
        return NULL;
    memset(t, 0, sizeof *t);
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
    c->used = 0;
    uintptr_t start = (uintptr_t)(c + 1);
    c->base = (unsigned char *)align_up(start, DATA_ALIGN);
    return c;
}

/* Walks to the next kept chunk that is big enough, so the same sequence of
 * requests lands in the same chunks every generation. */
static void *arena_alloc_next_chunk(arena *a, size_t size)
{
    chunk *c = a->cur ? a->cur->next : a->head;
    while (c && c->cap < size)
        c = c->next;
    if (!c) {
        c = chunk_new(size > CHUNK_BYTES ? align_up(size, DATA_ALIGN) : CHUNK_BYTES);
        if (!c)
            return NULL;
        if (a->tail)
            a->tail->next = c;
        else
            a->head = c;
        a->tail = c;
    }
    a->retired += a->cur ? a->cur->used : 0;
    a->cur = c;
    c->used = size;
    return c->base;
}

/* Bump allocation in the current chunk: the path every tensor takes. */
static inline void *arena_alloc(arena *a, size_t size, size_t align)
{
    chunk *c = a->cur;
    if (c) {
        size_t off = align_up(c->used, align);
        if (off + size <= c->cap) {
            c->used = off + size;
            return c->base + off;
        }
    }
    return arena_alloc_next_chunk(a, size);
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
    tg_tensor *t = tp ? arena_alloc(&tp->arenas[tp->active],
                                    sizeof *t + inline_bytes, HEADER_ALIGN)
                      : NULL;
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
    size_t in_use = 0;
    for (int k = 0; thread_tape && k < 2; k++) {
        const arena *a = k ? &thread_tape->data : &thread_tape->arenas[thread_tape->active];
        in_use += a->retired + (a->cur ? a->cur->used : 0);
    }
    if (!memory_limit || (bytes <= memory_limit && in_use <= memory_limit - bytes))
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
    void *p = tp ? arena_alloc(&tp->arenas[tp->active], size, HEADER_ALIGN) : NULL;
    if (!p)
        tg__fail(TG_ENOMEM, "%s: out of memory for %zu bytes on the tape", fn, size);
    return p;
}

tg_tensor *tg__record(tg_tensor *out, const tg_op *op, int n, tg_tensor *const *inputs)
{
    bool requires = false;
    for (int i = 0; i < n; i++)
        requires |= (inputs[i]->flags & TG_REQUIRES_GRAD) != 0;
    bool record = requires && tg__recording();
    if (tg__anomaly() &&
        tg__anomaly_forward(op->info.name, out, n, inputs, record ? thread_tape->lists.len : -1) < 0)
        return NULL;
    if (!record)
        return tg__forward_active ? tg__forward_node(out, op, n, inputs) : out;
    tape *tp = thread_tape;
    if (tp->lists.len == tp->lists.cap) {
        int64_t cap = tp->lists.cap ? 2 * tp->lists.cap : 1024;
        tg_tensor **nodes = tg__realloc(tp->lists.nodes, (size_t)tp->lists.cap * sizeof *nodes,
                                        (size_t)cap * sizeof *nodes);
        if (!nodes) {
            tg__fail(TG_ENOMEM, "%s: out of memory growing the tape to %lld nodes", op->info.name,
                     (long long)cap);
            return NULL;
        }
        tp->lists.nodes = nodes;
        tp->lists.cap = cap;
    }
    tg_tensor **in = n > TG_MAX_INPUTS ? tg__tape_input_slots(op->info.name, n) : out->in_local;
    if (!in)
        return NULL;
    out->in = in;
    out->op = op;
    out->n_inputs = n;
    for (int i = 0; i < n; i++)
        out->in[i] = inputs[i];
    out->flags |= TG_REQUIRES_GRAD;
    out->tape_pos = tp->lists.len;
    tp->lists.nodes[tp->lists.len++] = out;
    return tg__forward_active ? tg__forward_node(out, op, n, inputs) : out;
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

static size_t arena_capacity(const arena *a)
{
    size_t total = 0;
    for (const chunk *c = a->head; c; c = c->next)
        total += c->cap;
    return total;
}

/* Grows the arena about to be used to the capacity of the one just filled.
 * One chunk that large holds the same sequence of requests (the filled arena
 * lost space at its chunk ends; a single chunk loses none), so a loop that
 * rebuilds one graph stops allocating after its first iteration even though
 * the arenas alternate. Failure is harmless: allocation then happens lazily. */
static void arena_mirror(arena *a, const arena *model)
{
    size_t have = arena_capacity(a), want = arena_capacity(model);
    if (have >= want)
        return;
    chunk *c = chunk_new(align_up(want - have, DATA_ALIGN));
    if (!c)
        return;
    if (a->tail)
        a->tail->next = c;
    else
        a->head = c;
    a->tail = c;
}

void tg_tape_reset(void)
{
    tg_clear_error(); /* a failure's message is about this graph: it goes with it */
    tape *tp = thread_tape;
    if (!tp)
        return;
    tp->generation = tg__live_generation = atomic_fetch_add(&next_generation, 1);
    tp->active ^= 1;
    arena_mirror(&tp->arenas[tp->active], &tp->arenas[tp->active ^ 1]);
    tp->arenas[tp->active].cur = NULL;
    tp->arenas[tp->active].retired = 0;
    tp->data.cur = NULL;
    tp->data.retired = 0;
    tp->lists.len = 0;
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
    size_t used = 0, total = 0;
    for (int i = 0; thread_tape && i < 3; i++) {
        const arena *a = i < 2 ? &thread_tape->arenas[i] : &thread_tape->data;
        bool before_cur = a->cur != NULL;
        for (const chunk *c = a->head; c; c = c->next) {
            total += c->cap;
            if ((i == thread_tape->active || i == 2) && before_cur)
                used += c->used;
            if (c == a->cur)
                before_cur = false;
        }
    }
    if (in_use)
        *in_use = used;
    if (reserved)
        *reserved = total;
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
