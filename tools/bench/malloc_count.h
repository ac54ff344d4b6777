/*
 * malloc_count.h -- counts every allocation of the process: defines malloc,
 * calloc, realloc and the aligned allocators (forwarding to glibc's), so
 * that the calls of every library -- OpenBLAS, libgomp, libc itself -- are
 * counted, not only tapegrad's; valgrind would miss OpenBLAS's AVX-512
 * paths, which it does not run. Include it in one file of a program;
 * malloc_count() reads the count. Not for the sanitizer builds, which
 * replace malloc themselves.
 */
#ifndef TG_MALLOC_COUNT_H
#define TG_MALLOC_COUNT_H

#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

static atomic_long allocations;

static long malloc_count(void) { return atomic_load(&allocations); }

void *malloc(size_t size)
{
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __libc_realloc(p, size);
}

void *aligned_alloc(size_t align, size_t size)
{
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __libc_memalign(align, size);
}

void *memalign(size_t align, size_t size)
{
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    *out = __libc_memalign(align, size);
    return *out || !size ? 0 : 12; /* ENOMEM */
}

void free(void *p) { __libc_free(p); }

#endif
