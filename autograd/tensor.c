/* tensor.c -- constructing and inspecting tensors. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <tapegrad/ops.h>

#include "internal.h"

#define PERSISTENT_ALIGN 64


const char *tg_dtype_name(tg_dtype dtype)
{
    return dtype == TG_F32 ? "f32" : dtype == TG_F64 ? "f64" : "unknown dtype";
}

static void fill(tg_tensor *t, const double *values, double constant)
{
    for (int64_t i = 0; i < t->numel; i++)
        tg__store(t, i, values ? values[i] : constant);
}

static tg_tensor *finish(tg_tensor *t, bool requires_grad)
{
    if (t && requires_grad)
        t->flags |= TG_REQUIRES_GRAD;
    return t;
}

tg_tensor *tg_tensor_new(tg_dtype dtype, int ndim, const int64_t *shape, const double *values,
                         bool requires_grad)
{
    tg_tensor *t = tg__tape_tensor("tg_tensor_new", dtype, ndim, shape);
    if (t)
        fill(t, values, 0.0);
    return finish(t, requires_grad);
}

tg_tensor *tg_full(tg_dtype dtype, int ndim, const int64_t *shape, double value,
                   bool requires_grad)
{
    tg_tensor *t = tg__tape_tensor("tg_full", dtype, ndim, shape);
    if (t)
        fill(t, NULL, value);
    return finish(t, requires_grad);
}

tg_tensor *tg_empty(tg_dtype dtype, int ndim, const int64_t *shape, bool requires_grad)
{
    return finish(tg__tape_tensor("tg_empty", dtype, ndim, shape), requires_grad);
}

tg_tensor *tg_scalar_of(tg_dtype dtype, double v)
{
    if (dtype == TG_F64)
        return tg__tape_scalar("tg_scalar_of", v);
    tg_tensor *t = tg__tape_tensor("tg_scalar_of", dtype, 0, NULL);
    if (t)
        tg__store(t, 0, v);
    return t;
}

tg_tensor *tg_scalar(double v) { return tg_scalar_of(TG_F64, v); }

tg_tensor *tg_var(double v)
{
    return finish(tg__tape_scalar("tg_var", v), true);
}

tg_tensor *tg__zeros_like(const tg_tensor *t)
{
    tg_tensor *z = tg__tape_tensor("tg_zeros_like", (tg_dtype)t->dtype, t->ndim, t->shape);
    if (z)
        memset(z->data, 0, (size_t)z->numel * tg__dtype_size((tg_dtype)z->dtype));
    return z;
}

tg_tensor *tg__scalar_like(const tg_tensor *t, double v)
{
    if (t->dtype == TG_F64)
        return tg__tape_scalar("tg_scalar_like", v);
    tg_tensor *s = tg__tape_tensor("tg_scalar_like", (tg_dtype)t->dtype, 0, NULL);
    if (s)
        tg__store(s, 0, v);
    return s;
}

/* ---- persistent tensors ---- */

static size_t persistent_bytes(int64_t numel, tg_dtype dtype)
{
    return sizeof(tg_tensor) + PERSISTENT_ALIGN + (size_t)numel * tg__dtype_size(dtype);
}

static tg_tensor *persistent_new(const char *fn, tg_dtype dtype, int ndim, const int64_t *shape)
{
    /* the tape path's rules, without allocating on the tape */
    if (dtype != TG_F32 && dtype != TG_F64) {
        tg__fail(TG_EDTYPE, "%s: unknown dtype %d", fn, (int)dtype);
        return NULL;
    }
    int64_t numel;
    if (tg__check_shape(fn, ndim, shape, &numel) < 0)
        return NULL;
    tg_tensor *t = tg__alloc(persistent_bytes(numel, dtype));
    if (!t) {
        tg__fail(TG_ENOMEM, "%s: out of memory for %lld elements", fn, (long long)numel);
        return NULL;
    }
    tg__init_header(t, dtype, ndim, shape, numel);
    t->flags = TG_PERSISTENT;
    uintptr_t p = (uintptr_t)(t + 1);
    t->data = (void *)((p + PERSISTENT_ALIGN - 1) & ~(uintptr_t)(PERSISTENT_ALIGN - 1));
    return t;
}

tg_tensor *tg_persistent(tg_dtype dtype, int ndim, const int64_t *shape, const double *values,
                         bool requires_grad)
{
    tg_tensor *t = persistent_new("tg_persistent", dtype, ndim, shape);
    if (t)
        fill(t, values, 0.0);
    return finish(t, requires_grad);
}

tg_tensor *tg_param(tg_dtype dtype, int ndim, const int64_t *shape, const double *values)
{
    tg_tensor *t = persistent_new("tg_param", dtype, ndim, shape);
    if (t)
        fill(t, values, 0.0);
    return finish(t, true);
}

/* The gradient buffer of a persistent tensor, made on first use. */
tg_tensor *tg__persistent_grad(tg_tensor *t)
{
    if (!t->grad) {
        t->grad = persistent_new("tg_backward", (tg_dtype)t->dtype, t->ndim, t->shape);
        if (t->grad)
            fill(t->grad, NULL, 0.0);
    }
    return t->grad;
}

static void persistent_release(tg_tensor *t)
{
    t->magic = TG_DEAD;
    tg__free(t, persistent_bytes(t->numel, (tg_dtype)t->dtype));
}

void tg_free(tg_tensor *t)
{
    if (!t || t->magic != TG_MAGIC || !(t->flags & TG_PERSISTENT))
        return;
    tg_remove_hooks(t);
    if (t->grad)
        persistent_release(t->grad);
    persistent_release(t);
}

/* ---- inspection ---- */

tg_dtype tg_dtype_of(const tg_tensor *t)
{
    return tg__check("tg_dtype_of", t, 1) < 0 ? TG_F64 : (tg_dtype)t->dtype;
}

int tg_ndim(const tg_tensor *t) { return tg__check("tg_ndim", t, 1) < 0 ? -1 : t->ndim; }

const int64_t *tg_shape(const tg_tensor *t)
{
    return tg__check("tg_shape", t, 1) < 0 ? NULL : t->shape;
}

int64_t tg_numel(const tg_tensor *t) { return tg__check("tg_numel", t, 1) < 0 ? -1 : t->numel; }

bool tg_requires_grad(const tg_tensor *t)
{
    return tg__check("tg_requires_grad", t, 1) == 0 && (t->flags & TG_REQUIRES_GRAD);
}

bool tg_is_persistent(const tg_tensor *t)
{
    return tg__check("tg_is_persistent", t, 1) == 0 && (t->flags & TG_PERSISTENT);
}

void *tg_data(const tg_tensor *t) { return tg__check("tg_data", t, 1) < 0 ? NULL : t->data; }

/* The failures of check_index and check_item, out of line: their calls and
 * message buffers would give every tg_grad_get and tg_item a stack frame
 * (callgrind: about 10 instructions a call). */
TG_COLD static int index_failed(const char *fn, const tg_tensor *t, int64_t i)
{
    int rc = tg__check(fn, t, 1);
    if (rc < 0)
        return rc;
    char dims[96];
    return tg__fail(TG_EVALUE, "%s: index %lld out of range for shape %s (%lld elements)", fn,
                    (long long)i, tg__dims_str(t->ndim, t->shape, dims, sizeof dims),
                    (long long)t->numel);
}

TG_COLD static int item_failed(const char *fn, const tg_tensor *t)
{
    int rc = tg__check(fn, t, 1);
    if (rc < 0)
        return rc;
    char dims[96];
    return tg__fail(TG_ESHAPE, "%s: tensor of shape %s has %lld elements, not 1", fn,
                    tg__dims_str(t->ndim, t->shape, dims, sizeof dims), (long long)t->numel);
}

static inline int check_index(const char *fn, const tg_tensor *t, int64_t i)
{
    return tg__valid(t) && i >= 0 && i < t->numel ? TG_OK : index_failed(fn, t, i);
}

static inline int check_item(const char *fn, const tg_tensor *t)
{
    return tg__valid(t) && t->numel == 1 ? TG_OK : item_failed(fn, t);
}

double tg_item(const tg_tensor *t) { return check_item("tg_item", t) < 0 ? NAN : tg__load(t, 0); }

double tg_get(const tg_tensor *t, int64_t i)
{
    return check_index("tg_get", t, i) < 0 ? NAN : tg__load(t, i);
}

/* The checked forms: a tensor may hold NaN, so only the code tells. */
int tg_item_ex(const tg_tensor *t, double *out)
{
    if (!out)
        return tg__fail(TG_ENULL, "tg_item_ex: argument 2 (out) is NULL");
    int rc = check_item("tg_item_ex", t);
    *out = rc < 0 ? NAN : tg__load(t, 0);
    return rc;
}

int tg_get_ex(const tg_tensor *t, int64_t i, double *out)
{
    if (!out)
        return tg__fail(TG_ENULL, "tg_get_ex: argument 3 (out) is NULL");
    int rc = check_index("tg_get_ex", t, i);
    *out = rc < 0 ? NAN : tg__load(t, i);
    return rc;
}

int tg_set(tg_tensor *t, int64_t i, double v)
{
    int rc = check_index("tg_set", t, i);
    if (rc == 0)
        tg__store(t, i, v);
    return rc;
}

int tg_copy_from(tg_tensor *t, const double *values)
{
    int rc = tg__check("tg_copy_from", t, 1);
    if (rc == 0 && !values)
        rc = tg__fail(TG_ENULL, "tg_copy_from: argument 2 (values) is NULL");
    if (rc == 0)
        fill(t, values, 0.0);
    return rc;
}

tg_tensor *tg_grad_tensor(const tg_tensor *t)
{
    /* const to the caller: a gradient held as a double is made a tensor on
     * the first request (tg__leaf_grad), and the same one returned after */
    return tg__check("tg_grad_tensor", t, 1) < 0 ? NULL : tg__leaf_grad((tg_tensor *)t);
}

double tg_grad_get(const tg_tensor *t, int64_t i)
{
    if (check_index("tg_grad_get", t, i) < 0)
        return NAN;
    return tg__grad_value(t, i);
}

/* Gradients of more than this many elements are zeroed on tg_parallel_pass's
 * threads, in shares of at least this many (tools/bench/bench_accumulate.c). */
#define ZERO_GRAIN ((int64_t)1 << 15)

static void zero_range(void *ctx, int64_t lo, int64_t hi)
{
    tg_tensor *grad = ctx;
    size_t size = tg__dtype_size((tg_dtype)grad->dtype);
    memset((char *)grad->data + (size_t)lo * size, 0, (size_t)(hi - lo) * size);
}

void tg_zero_grad(tg_tensor *t)
{
    if (tg__check("tg_zero_grad", t, 1) < 0 || !t->grad)
        return;
    if (t->flags & TG_PERSISTENT)
        tg_parallel_pass(0, t->numel, ZERO_GRAIN, zero_range, t->grad);
    else
        t->grad = NULL;
}

char *tg__dims_str(int ndim, const int64_t *shape, char *buf, size_t size)
{
    size_t len = 0;
    len += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ndim && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, i ? ",%lld" : "%lld", (long long)shape[i]);
    if (len < size)
        snprintf(buf + len, size - len, "]");
    return buf;
}

char *tg_shape_str(const tg_tensor *t, char *buf, size_t size)
{
    if (!buf || size == 0)
        return buf;
    if (tg__check("tg_shape_str", t, 1) < 0) {
        snprintf(buf, size, "(invalid)");
        return buf;
    }
    return tg__dims_str(t->ndim, t->shape, buf, size);
}

int tg_check_tensor(const char *fn, const tg_tensor *t, int argno)
{
    return tg__check(fn, t, argno);
}
