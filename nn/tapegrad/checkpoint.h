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
 * leaves the previous checkpoint whole. A save stores each tensor's CRC-32
 * in the metadata ("tapegrad.crc32") and a load verifies it when present,
 * so bytes changed in place are found; files from other writers, which
 * have none, load as before. Loading validates the whole file
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
#include <stdint.h>

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

/* ---- reading a checkpoint once ----
 *
 * A handle holds a whole checkpoint in memory -- header, metadata and every
 * tensor's bytes -- read through one open and validated once (the CRC-32s a
 * tapegrad save stores included). Whatever is asked of it afterwards comes
 * from that one file, even if path is replaced or changed meanwhile; loading
 * a model whose shape the metadata describes is then
 *
 *     tg_checkpoint *ck = tg_checkpoint_open("model.safetensors");
 *     const char *layers = ck ? tg_checkpoint_metadata(ck, "layers") : NULL;
 *     ... build the model from layers ...
 *     int rc = ck ? tg_checkpoint_apply(ck, tg_model_params(model), 0) : -1;
 *     tg_checkpoint_close(ck);
 *
 * The handle needs the file's size in memory. It is read-only: threads may
 * share one. */
typedef struct tg_checkpoint tg_checkpoint;

/* Reads and validates the checkpoint at path; NULL with the error set on
 * failure. Released with tg_checkpoint_close. */
TG_API tg_checkpoint *tg_checkpoint_open(const char *path);
/* Releases ck; NULL is ignored. */
TG_API void tg_checkpoint_close(tg_checkpoint *ck);
/* The metadata value under key, valid until ck is closed, or NULL if the
 * file has no such key -- which sets no error, so optional keys can be
 * asked for. NULL arguments are errors (TG_ENULL). */
TG_API const char *tg_checkpoint_metadata(const tg_checkpoint *ck, const char *key);
/* The byte size of the file's data section (every tensor's values): a
 * bound on the parameters it can fill. 0 for NULL. */
TG_API uint64_t tg_checkpoint_data_size(const tg_checkpoint *ck);
/* Copies ck's tensors into params as tg_checkpoint_load_ex does: flags as
 * there, every check made before any value is written. ck is unchanged and
 * may be applied again. */
TG_API int tg_checkpoint_apply(const tg_checkpoint *ck, tg_params *params, unsigned flags);

/* Copies the metadata value stored under key in the checkpoint at path into
 * value (size bytes, NUL-terminated, truncated if it does not fit) and
 * returns the value's full length in bytes, as snprintf does; size may be 0
 * to ask for the length. A missing key is an error. The header is validated
 * as for a load; the data is not read (tg_checkpoint_open reads and checks
 * it), and each call opens the file again: to read several keys and the
 * weights of one file, use a handle. */
TG_API int tg_checkpoint_read_metadata(const char *path, const char *key, char *value, size_t size);

#ifdef __cplusplus
}
#endif
#endif
