/* alloc.c -- the one allocation function every part of the library uses. */
#include <stdlib.h>

#include "internal.h"

static void *default_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, nsize);
}

static tg_alloc_fn alloc_fn = default_alloc;
static void *alloc_ud;

void tg_set_allocator(tg_alloc_fn fn, void *ud)
{
    alloc_fn = fn ? fn : default_alloc;
    alloc_ud = fn ? ud : NULL;
}

void *tg__alloc(size_t size) { return alloc_fn(alloc_ud, NULL, 0, size ? size : 1); }

void *tg__realloc(void *ptr, size_t osize, size_t nsize)
{
    return alloc_fn(alloc_ud, ptr, osize, nsize ? nsize : 1);
}

void tg__free(void *ptr, size_t size)
{
    if (ptr)
        alloc_fn(alloc_ud, ptr, size, 0);
}

/* The same for code outside the library's core (nn, a user's layers). */
void *tg_mem_alloc(size_t size) { return tg__alloc(size); }

void *tg_mem_realloc(void *ptr, size_t osize, size_t nsize)
{
    return tg__realloc(ptr, osize, nsize);
}

void tg_mem_free(void *ptr, size_t size) { tg__free(ptr, size); }

tg_alloc_fn tg_get_allocator(void **ud)
{
    bool custom = alloc_fn != default_alloc;
    if (ud)
        *ud = alloc_ud;
    return custom ? alloc_fn : NULL;
}
