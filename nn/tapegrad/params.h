/*
 * tapegrad/params.h -- named parameters.
 *
 * A registry owns a set of persistent tensors under unique names ("0.weight",
 * "0.bias", ...), kept in a hash table for lookup by name and in insertion
 * order for iteration. Layers register their parameters here; optimizers keep
 * their per-parameter state under the same names; checkpoints save and load
 * by name.
 */
#ifndef TAPEGRAD_PARAMS_H
#define TAPEGRAD_PARAMS_H

#include <tapegrad/export.h>

#include <tapegrad/tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tg_params tg_params;

TG_API tg_params *tg_params_new(void);
/* Frees the registry and every tensor it owns. NULL is ignored. */
TG_API void tg_params_free(tg_params *params);

/* Adds a persistent tensor under name (copied; at most TG_PARAM_NAME_MAX - 1
 * bytes) and takes ownership of it, also on failure. Fails on a duplicate
 * name or a tape tensor. */
#define TG_PARAM_NAME_MAX 64
TG_API int tg_params_add(tg_params *params, const char *name, tg_tensor *tensor);

/* The tensor registered under name, or NULL (with an error naming it). */
TG_API tg_tensor *tg_params_get(const tg_params *params, const char *name);

/* Iteration in insertion order: index 0 .. tg_params_count - 1. */
TG_API int tg_params_count(const tg_params *params);
TG_API tg_tensor *tg_params_at(const tg_params *params, int index, const char **name);

TG_API int64_t tg_params_numel(const tg_params *params); /* total number of values */
TG_API void tg_params_zero_grad(tg_params *params);

#ifdef __cplusplus
}
#endif
#endif
