/* nn_internal.h -- what nn's files share. nn is built on the public API
 * alone (CMakeLists.txt compiles it with TG_PUBLIC_API_ONLY), so these
 * helpers work on what tg_data, tg_dtype_of and tg_shape return. Not
 * installed. */
#ifndef TG_NN_INTERNAL_H
#define TG_NN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <tapegrad/function.h> /* tg_set_error */
#include <tapegrad/params.h>
#include <tapegrad/tensor.h>

/* The library is built with -fvisibility=hidden, which hides definitions
 * but not declarations: a variable declared without this is read through
 * the GOT (see TG_HIDDEN in autograd/internal.h). */
#if defined(__GNUC__)
#define NN_HIDDEN __attribute__((visibility("hidden")))
#else
#define NN_HIDDEN
#endif

static inline size_t nn_dtype_size(tg_dtype dtype)
{
    return dtype == TG_F32 ? sizeof(float) : sizeof(double);
}

/* Element i of data, an array of dtype: inline, for per-element loops over
 * what tg_data returned. */
static inline double nn_load(tg_dtype dtype, const void *data, int64_t i)
{
    return dtype == TG_F32 ? (double)((const float *)data)[i] : ((const double *)data)[i];
}

static inline void nn_store(tg_dtype dtype, void *data, int64_t i, double v)
{
    if (dtype == TG_F32)
        ((float *)data)[i] = (float)v;
    else
        ((double *)data)[i] = v;
}

/* For two tensors already checked to be usable. */
static inline bool nn_same_shape(const tg_tensor *a, const tg_tensor *b)
{
    int ndim = tg_ndim(a);
    return ndim == tg_ndim(b) &&
           memcmp(tg_shape(a), tg_shape(b), (size_t)ndim * sizeof(int64_t)) == 0;
}

/* The tensor registered under name, or NULL: not a failure, for lookups
 * that only ask (tg_params_get reports a miss as an error, which would
 * stand, the error being sticky). */
tg_tensor *tg__params_find(const tg_params *params, const char *name);

/* Blocks for the C libraries nn uses that free without a size (cJSON's
 * hooks, zlib's zfree): the size is kept in front of the block. */
void *tg__sized_alloc(size_t size);
void tg__sized_free(void *ptr);

#endif
