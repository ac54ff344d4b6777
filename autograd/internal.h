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
 *     constant with tape_pos == -1.
 */
#ifndef TG_INTERNAL_H
#define TG_INTERNAL_H

#include <stdarg.h>
#include <tapegrad/tensor.h>

#define TG_MAX_INPUTS 3
#define TG_MAGIC 0x74675f74u /* "tg_t": a live tensor */
#define TG_DEAD 0xdeadbeefu  /* written by tg_free */

/* flag bits */
#define TG_REQUIRES_GRAD 0x1u
#define TG_PERSISTENT 0x2u
#define TG_RELEASED 0x4u /* swept without TG_RETAIN_GRAPH: backward refused */

typedef struct tg_op tg_op;

/* An op's vector-Jacobian product: given out = op(inputs) and g = dL/dout,
 * stores dL/dinput_i in grad_in[i] for each input that requires grad (NULL
 * means zero). Rules are written with tapegrad ops on g, the inputs and out,
 * so a sweep recorded on the tape can itself be differentiated. Returns 0 or
 * a negative TG_E* code with the error set. */
typedef int (*tg_backward_fn)(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in);

struct tg_op {
    const char *name;        /* public function name, e.g. "tg_add" */
    int n_inputs;
    tg_backward_fn backward;
};

/* Op parameters kept on the result for its backward rule. */
typedef union {
    double f;
    struct { int32_t axis, keepdim, flag_a, flag_b; } i;
} tg_attr;

struct tg_tensor {
    uint32_t magic;
    uint8_t dtype;
    uint8_t ndim;
    uint16_t flags;
    int32_t n_inputs;
    uint64_t generation;
    int64_t numel;
    int64_t tape_pos;                 /* index on the tape, -1 if not recorded */
    int64_t shape[TG_MAX_DIMS];
    void *data;
    tg_tensor *grad;
    const tg_op *op;
    tg_tensor *in[TG_MAX_INPUTS];
    tg_attr attr;
};

/* ---- errors ---- */
int tg__fail(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Checks that t is a usable tensor argument number argno of fn; on failure
 * sets the error (keeping a pending one for NULL) and returns the code. */
int tg__check(const char *fn, const tg_tensor *t, int argno);
int tg__check_same_dtype(const char *fn, const tg_tensor *a, const tg_tensor *b);
int tg__normalize_axis(const char *fn, const tg_tensor *t, int axis, int *out);
void tg__clear_on_success(void);

/* ---- memory ---- */
void *tg__alloc(size_t size);
void *tg__realloc(void *ptr, size_t osize, size_t nsize);
void tg__free(void *ptr, size_t size);
size_t tg__dtype_size(tg_dtype dtype);

/* ---- tensors and the tape ---- */
uint64_t tg__tape_generation(void); /* 0 if this thread has no tape yet */
bool tg__recording(void);
void tg__init_header(tg_tensor *t, tg_dtype dtype, int ndim, const int64_t *shape, int64_t numel);
/* The recorded op results of this thread's tape, in creation order. */
tg_tensor **tg__tape_nodes(int64_t *len);
/* A new tape tensor with uninitialised data (NULL on failure, error set). */
tg_tensor *tg__tape_tensor(const char *fn, tg_dtype dtype, int ndim, const int64_t *shape);
/* A new tape tensor sharing src's data under another shape (a view). */
tg_tensor *tg__tape_view(const char *fn, tg_tensor *src, int ndim, const int64_t *shape);
/* Makes out the result of op over inputs: links them, and records out on the
 * tape if recording is on and any input requires grad. Returns out, or NULL
 * if the tape could not grow. */
tg_tensor *tg__record(tg_tensor *out, const tg_op *op, int n, tg_tensor *const *inputs);
/* The gradient buffer of a persistent tensor, allocated on first use. */
tg_tensor *tg__persistent_grad(tg_tensor *t);
/* Zero tensor / constant of t's dtype; a tape tensor. */
tg_tensor *tg__zeros_like(const tg_tensor *t);
tg_tensor *tg__scalar_like(const tg_tensor *t, double v);

int64_t tg__shape_numel(int ndim, const int64_t *shape);
bool tg__same_shape(const tg_tensor *a, const tg_tensor *b);
char *tg__dims_str(int ndim, const int64_t *shape, char *buf, size_t size);

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

#endif
