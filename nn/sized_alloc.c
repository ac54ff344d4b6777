/* sized_alloc.c -- tapegrad's allocator for libraries whose free function
 * takes no size (cJSON, zlib), which tg_alloc_fn needs. */
#include <stddef.h>

#include "nn_internal.h"

/* A header of max_align_t's size keeps the block as aligned as malloc's. */
typedef union {
    size_t size;
    max_align_t align;
} block_header;

void *tg__sized_alloc(size_t size)
{
    if (size > SIZE_MAX - sizeof(block_header))
        return NULL;
    block_header *h = tg_mem_alloc(sizeof *h + size);
    if (!h)
        return NULL;
    h->size = sizeof *h + size;
    return h + 1;
}

void tg__sized_free(void *ptr)
{
    if (!ptr)
        return;
    block_header *h = (block_header *)ptr - 1;
    tg_mem_free(h, h->size);
}
