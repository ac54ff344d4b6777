/*
 * tapegrad/tensor.h -- tensors, the tape, the reverse sweep and errors.
 *
 * A tensor is a contiguous row-major array of TG_F32 or TG_F64 values with up
 * to TG_MAX_DIMS dimensions; a scalar is a 0-d tensor. Tensors come in two
 * lifetimes:
 *
 *   tape tensors        made by tg_scalar, tg_var, tg_tensor_new and every op.
 *                       They live in the calling thread's tape arena and die
 *                       together at tg_tape_reset(). Never tg_free them.
 *   persistent tensors  made by tg_param and tg_persistent. They survive resets
 *                       and are released with tg_free.
 *
 * Each op result whose inputs require gradients is recorded on the calling
 * thread's tape in creation order, which is a topological order by
 * construction; tg_backward sweeps it in reverse.
 *
 * Errors: a function that fails returns NULL, NaN or a negative TG_E* code;
 * nothing aborts. Like errno the report is sticky, but it keeps the first
 * failure: tg_last_error() names the function and the values at fault of the
 * first failure since the last tg_clear_error() or tg_tape_reset(), and a
 * nested expression reports its root cause. The rules are under "errors".
 */
#ifndef TAPEGRAD_TENSOR_H
#define TAPEGRAD_TENSOR_H

#include <tapegrad/export.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TG_MAX_DIMS 6
/* No op records more inputs than this (tg_where's three; a user-defined op
 * may take up to as many): arrays for tg_vjp and tg_function can be this long. */
#define TG_MAX_INPUTS 3

typedef enum { TG_F32, TG_F64 } tg_dtype;
typedef struct tg_tensor tg_tensor;

/* Status codes: 0 is success, every failure is negative. */
enum {
    TG_OK = 0,
    TG_ENULL = -1,     /* a required argument was NULL */
    TG_ESHAPE = -2,    /* shapes do not fit the operation */
    TG_EDTYPE = -3,    /* dtypes differ or are not supported */
    TG_EAXIS = -4,     /* axis out of range */
    TG_ESTALE = -5,    /* tensor from a tape generation that was reset */
    TG_ESTATE = -6,    /* call not valid in this state (e.g. graph released) */
    TG_ENOMEM = -7,    /* allocation failed */
    TG_EVALUE = -8,    /* argument value out of its domain */
    TG_EMISMATCH = -9, /* gradcheck: analytic and numeric gradients differ */
    TG_EANOMALY = -10, /* anomaly mode: an op or a backward rule produced NaN or inf */
    TG_EIO = -11,      /* a file could not be opened, read or written */
    TG_EFORMAT = -12   /* a file's contents are malformed or do not fit what was asked */
};

/* ---- construction --------------------------------------------------------- */

TG_API tg_tensor *tg_scalar(double v);          /* 0-d F64 constant on the tape */
TG_API tg_tensor *tg_var(double v);             /* 0-d F64 on the tape that requires grad */
TG_API tg_tensor *tg_scalar_of(tg_dtype dtype, double v); /* 0-d constant of any dtype */

/* A tape tensor of the given shape. values holds numel entries in row-major
 * order, or is NULL for zeros. */
TG_API tg_tensor *tg_tensor_new(tg_dtype dtype, int ndim, const int64_t *shape,
                         const double *values, bool requires_grad);
TG_API tg_tensor *tg_full(tg_dtype dtype, int ndim, const int64_t *shape, double value,
                   bool requires_grad);
/* A tape tensor whose values are not initialised, for a caller that writes
 * every element (through tg_data) before anything reads it. */
TG_API tg_tensor *tg_empty(tg_dtype dtype, int ndim, const int64_t *shape, bool requires_grad);

/* Persistent tensors: survive tg_tape_reset, released by tg_free. A parameter
 * requires grad; its gradient accumulates across sweeps until tg_zero_grad. */
TG_API tg_tensor *tg_param(tg_dtype dtype, int ndim, const int64_t *shape, const double *values);
TG_API tg_tensor *tg_persistent(tg_dtype dtype, int ndim, const int64_t *shape,
                         const double *values, bool requires_grad);
TG_API void tg_free(tg_tensor *t);              /* NULL and tape tensors are ignored */

/* ---- inspection ----------------------------------------------------------- */

TG_API tg_dtype tg_dtype_of(const tg_tensor *t);
TG_API int tg_ndim(const tg_tensor *t);
TG_API const int64_t *tg_shape(const tg_tensor *t);
TG_API int64_t tg_numel(const tg_tensor *t);
TG_API bool tg_requires_grad(const tg_tensor *t);
TG_API bool tg_is_persistent(const tg_tensor *t);
TG_API void *tg_data(const tg_tensor *t);       /* raw float* or double*, numel entries */

TG_API double tg_item(const tg_tensor *t);      /* value of a 1-element tensor; NaN on error */
TG_API double tg_get(const tg_tensor *t, int64_t flat_index);     /* NaN on error */
/* The same, checked: a tensor can hold NaN, so these return 0 or a negative
 * TG_E* code and store the value (NaN on failure) in *out. */
TG_API int tg_item_ex(const tg_tensor *t, double *out);
TG_API int tg_get_ex(const tg_tensor *t, int64_t flat_index, double *out);
TG_API int tg_set(tg_tensor *t, int64_t flat_index, double value); /* writes a value in place */
TG_API int tg_copy_from(tg_tensor *t, const double *values);       /* numel values */

/* The accumulated gradient, or NULL if none has arrived. */
TG_API tg_tensor *tg_grad_tensor(const tg_tensor *t);
TG_API double tg_grad_get(const tg_tensor *t, int64_t flat_index); /* 0 where no gradient arrived */
TG_API void tg_zero_grad(tg_tensor *t);

/* Writes "[2,3]" (or "[]" for a scalar) into buf; returns buf. */
TG_API char *tg_shape_str(const tg_tensor *t, char *buf, size_t size);
TG_API const char *tg_dtype_name(tg_dtype dtype);

/* The argument check of tapegrad's own functions, for functions built on
 * them: TG_OK when t is usable (a live tensor, persistent or of this
 * thread's current tape); otherwise sets the error, naming fn and argument
 * argno ("fn: argument 2 is NULL"), and returns its code. */
TG_API int tg_check_tensor(const char *fn, const tg_tensor *t, int argno);

/* ---- the tape and the reverse sweep ---------------------------------------- */

/* Sweeps the tape from loss back to the leaves, accumulating d loss / d x into
 * every tensor x that requires grad. loss must have one element. */
TG_API int tg_backward(tg_tensor *loss);

enum {
    TG_RETAIN_GRAPH = 1, /* keep the graph so it can be swept again */
    TG_CREATE_GRAPH = 2  /* record the sweep itself, so that the gradients it
                            produces can be differentiated again; implies
                            TG_RETAIN_GRAPH */
};

/* tg_backward with a seed gradient (same shape and dtype as out; NULL means
 * ones, allowed only for one element) and TG_RETAIN_GRAPH or TG_CREATE_GRAPH
 * in flags. With TG_CREATE_GRAPH the grad of a tape tensor is a recorded,
 * differentiable tensor; a persistent tensor's grad buffer receives the
 * values only (it outlives the tape): use tg_grad to differentiate those. */
TG_API int tg_backward_ex(tg_tensor *out, tg_tensor *seed, unsigned flags);

/* The functional sweep: grads_out[i] = d (sum_k outputs[k]) / d inputs[i],
 * each of inputs[i]'s shape and dtype. Nothing's grad is read or changed.
 * Every output must have one element (tg_grad_ex takes seeds otherwise);
 * an output that does not require grad contributes nothing, and an input no
 * output depends on gets zeros. The results are tape tensors (one may be a
 * seed itself, or share an input's data); with create_graph they are
 * recorded and can be differentiated again, to any order:
 *
 *     tg_tensor *x = tg_var(2), *y = tg_pow_scalar(x, 3), *dy, *d2y;
 *     tg_grad(&y, 1, &x, 1, &dy, true);      // 3x^2 = 12, recorded
 *     tg_grad(&dy, 1, &x, 1, &d2y, false);   // 6x = 12
 *
 * Without create_graph the swept part of the graph is released, as by
 * tg_backward, unless flags hold TG_RETAIN_GRAPH (tg_grad_ex). Like
 * tg_backward it may not be called while a sweep runs on the same thread
 * (from a hook or a user-defined op's backward): TG_ESTATE. */
TG_API int tg_grad(tg_tensor *const *outputs, int n_out, tg_tensor *const *inputs, int n_in,
            tg_tensor **grads_out, bool create_graph);
/* tg_grad with seeds[k] = d L / d outputs[k] (seeds may be NULL, or hold NULL
 * for ones on one-element outputs) and TG_RETAIN_GRAPH / TG_CREATE_GRAPH. */
TG_API int tg_grad_ex(tg_tensor *const *outputs, tg_tensor *const *seeds, int n_out,
               tg_tensor *const *inputs, int n_in, tg_tensor **grads_out, unsigned flags);

/* Frees every tensor of the calling thread's tape at once and starts a new
 * generation. Tensors of the old generation are detected if used again.
 * The memory is kept for the next graph, so a loop that builds the same graph
 * allocates nothing after its first iteration; what is kept follows the last
 * 16 graphs: memory beyond twice the largest of them (plus 1 MiB) is given
 * back (docs/tape.md). A reset takes constant time whatever came before. A
 * pending error is about the old graph, so it is cleared too. */
TG_API void tg_tape_reset(void);

/* Gives back to the allocator, now, every chunk of the calling thread's tape
 * that holds no tensor of the current generation, and shrinks the list of
 * recorded nodes to its length. Tensors of the current graph stay valid;
 * those of the generation before the last reset lose their memory, so using
 * one is no longer detected (keep none across a reset). */
TG_API void tg_tape_trim(void);

/* Returns all of the calling thread's tape memory to the allocator. Threads
 * other than the main one do this automatically when they exit. */
TG_API void tg_tape_destroy(void);

/* Number of op results recorded on the calling thread's tape since the last
 * reset, and the bytes its arena holds (in use, reserved). */
TG_API int64_t tg_tape_length(void);
TG_API void tg_tape_memory(size_t *in_use, size_t *reserved);

/* An optional limit, per thread, on the tensor data one graph may put on the
 * calling thread's tape (bytes in use since the last tg_tape_reset; 0, the
 * default, is none). An op whose result would cross it fails with TG_ENOMEM
 * naming the op, the result's shape and the limit, before allocating, so an
 * expression that broadcasts to gigabytes is refused at once. Parameters
 * (tg_param) are not counted. */
TG_API void tg_set_memory_limit(size_t bytes);
TG_API size_t tg_memory_limit(void);

/* Recording switch, per thread. tg_no_grad_begin/end nest. */
TG_API void tg_no_grad_begin(void);
TG_API void tg_no_grad_end(void);
TG_API bool tg_is_grad_enabled(void);

/* Runs the statement after it with recording off:
 *     TG_NO_GRAD { y = tg_mul(w, x); }
 * Blocks nest (on separate lines). Leaving one with break, goto or return
 * skips tg_no_grad_end. */
#define TG_NO_GRAD TG_NO_GRAD_AT_(TG_CAT_(tg_no_grad_once_, __LINE__))
#define TG_NO_GRAD_AT_(once) \
    for (int once = (tg_no_grad_begin(), 1); once; once = (tg_no_grad_end(), 0))
#define TG_CAT_(a, b) TG_CAT2_(a, b)
#define TG_CAT2_(a, b) a##b

/* A tape tensor sharing t's values (no copy) that is cut from the graph: it
 * does not require grad, so nothing flows back through it. It shares data
 * with t, so writing into one changes the other; a detached persistent
 * tensor is valid until tg_tape_reset and must not outlive its tg_free. */
TG_API tg_tensor *tg_detach(tg_tensor *t);

/* ---- errors -----------------------------------------------------------------
 *
 * Each thread keeps one error: a code (TG_OK while none is pending) and a
 * message ("" then).
 *   - The first failure since the last tg_clear_error(), tg_tape_reset() or
 *     tg_tape_destroy() sets both. While they are pending no later failure
 *     changes them, and no success clears them.
 *   - What each call returns is its own: NULL, NaN or the negative code of
 *     its own failure, also while an older failure holds the message.
 *   - A NULL tensor argument while an error is pending is taken to be what
 *     that failure returned: the call fails, leaves the message and returns
 *     the code of the thread's latest failure. With none pending it reports
 *     "<function>: argument N is NULL" (TG_ENULL).
 * So whatever order C evaluates arguments in, tg_sub(tg_mul(a, b), tg_var(1))
 * with a failing tg_mul reports tg_mul's message: tg_var's success clears
 * nothing and tg_sub's NULL argument overwrites nothing. (Of two failing
 * siblings, the one evaluated first is reported.) After handling a failure,
 * call tg_clear_error() before going on, or its message stands for the next
 * failure too and a NULL is blamed on it; tg_tape_reset() clears it for each
 * new graph. tg_item, tg_get and tg_grad_get return NaN on error, a value a
 * tensor can hold (tg_item_ex, tg_get_ex are checked); tg_requires_grad and
 * tg_is_persistent are false and tg_dtype_of is TG_F64 for an invalid
 * tensor, which tg_ndim(t) < 0 tells apart. Code built on tapegrad reports
 * its own failures with tg_set_error and tg_amend_error (function.h).
 */

TG_API const char *tg_last_error(void);         /* "" when no error is pending */
TG_API int tg_last_error_code(void);            /* TG_OK or a TG_E* code */
TG_API void tg_clear_error(void);

/* ---- memory --------------------------------------------------------------- */

/* Every allocation of the library goes through one function, as in Lua's
 * lua_Alloc: ptr == NULL allocates, nsize == 0 frees, otherwise reallocates.
 * Set it before any tensor exists; NULL restores the C library allocator.
 * That includes what the libraries tapegrad uses allocate on its behalf:
 * zlib's inflate state when a data set is read, and cJSON's trees when a
 * checkpoint is read or written -- for cJSON, whose allocator hooks are
 * process-wide, see tapegrad/checkpoint.h. Only OpenBLAS and the OpenMP
 * runtime keep their own allocations (thread pools, made once). */
typedef void *(*tg_alloc_fn)(void *ud, void *ptr, size_t osize, size_t nsize);
TG_API void tg_set_allocator(tg_alloc_fn fn, void *ud);
/* The function set by tg_set_allocator and its ud, or NULL (and *ud NULL)
 * while the C library allocator is in use. ud may be NULL. */
TG_API tg_alloc_fn tg_get_allocator(void **ud);

/* Memory from that allocator, for code built on tapegrad that should keep
 * the same contract: NULL when the allocator refuses; a size of 0 is
 * treated as 1; tg_mem_free takes the size that was allocated and ignores
 * NULL. */
TG_API void *tg_mem_alloc(size_t size);
TG_API void *tg_mem_realloc(void *ptr, size_t osize, size_t nsize);
TG_API void tg_mem_free(void *ptr, size_t size);

#ifdef __cplusplus
}
#endif
#endif
