/*
 * tapegrad/checkpoint.h -- saving and loading parameters as safetensors.
 *
 * A checkpoint is a safetensors file (the format of PyTorch and Hugging
 * Face): an 8-byte little-endian header length N, N bytes of JSON naming
 * every tensor's dtype, shape and byte range, then the raw little-endian
 * values. A file saved here loads with safetensors.numpy.load_file or
 * safetensors.torch.load_file, and one written there loads here if its
 * tensors are F32 or F64.
 *
 *     tg_checkpoint_save(params, "model.safetensors",
 *                        (const char *[]){"epoch", "7", NULL});
 *     tg_checkpoint_load(params, "model.safetensors");
 *
 * Saving is atomic: the file is written beside its destination under a
 * temporary name, synced, and renamed over it, so a crash or an error
 * leaves the previous checkpoint whole. Loading validates the whole file
 * against the model before it writes a single value, so a failed load leaves
 * every parameter as it was. See docs/checkpoint.md.
 *
 * Memory: the JSON header is built and parsed by cJSON. The first of these
 * calls made while tg_set_allocator has set an allocator installs cJSON's
 * allocator hooks (cJSON_InitHooks) so that cJSON allocates through it too;
 * those hooks are process-wide and stay installed. A program that also uses
 * cJSON itself then has its own cJSON allocations made by tapegrad's
 * allocator as well: it must not hold a cJSON object across that first call
 * (one made before it would be freed by the wrong function) and must not
 * call cJSON_InitHooks itself. With the C library's allocator, the default,
 * the hooks are left alone.
 */
#ifndef TAPEGRAD_CHECKPOINT_H
#define TAPEGRAD_CHECKPOINT_H

#include <tapegrad/export.h>

#include <stddef.h>

#include <tapegrad/params.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes every parameter of params, in registry order, to path. metadata is
 * NULL or a NULL-terminated list of key, value, key, value, ... strings kept
 * in the header's "__metadata__" (text only, as the format requires). Names
 * and metadata must be valid UTF-8. */
TG_API int tg_checkpoint_save(const tg_params *params, const char *path, const char *const *metadata);

/* Strict load: the file must hold exactly the model's parameters, each with
 * the model's shape. An F32 tensor loads into an F64 parameter and the other
 * way round, converting each value as a C cast does. */
TG_API int tg_checkpoint_load(tg_params *params, const char *path);

enum {
    TG_CHECKPOINT_ALLOW_EXTRA = 1,  /* ignore tensors the model lacks */
    TG_CHECKPOINT_ALLOW_MISSING = 2 /* keep parameters the file lacks as they are */
};

/* tg_checkpoint_load with TG_CHECKPOINT_* flags relaxing the name matching.
 * Every tensor in the file is validated all the same. */
TG_API int tg_checkpoint_load_ex(tg_params *params, const char *path, unsigned flags);

/* Copies the metadata value stored under key in the checkpoint at path into
 * value (size bytes, NUL-terminated, truncated if it does not fit) and
 * returns the value's full length in bytes, as snprintf does; size may be 0
 * to ask for the length. A missing key is an error. The file is validated as
 * for a load, except against a model. */
TG_API int tg_checkpoint_read_metadata(const char *path, const char *key, char *value, size_t size);

#ifdef __cplusplus
}
#endif
#endif
