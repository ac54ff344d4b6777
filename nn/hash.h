/* hash.h -- uthash configured for the library: memory through tapegrad's
 * allocator, and an allocation failure reported instead of exit(). Include
 * this, never <uthash.h> directly. Not installed. */
#ifndef TG_NN_HASH_H
#define TG_NN_HASH_H

#include "nn_internal.h"

/* Set by uthash when growing a table fails; the caller checks and clears it. */
extern NN_HIDDEN _Thread_local bool tg__hash_oom;

#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (tg__hash_oom = true)
#define uthash_malloc(size) tg_mem_alloc(size)
#define uthash_free(ptr, size) tg_mem_free((ptr), (size))

#include <uthash.h>

#endif
