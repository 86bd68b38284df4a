/*
 * malloc_count.c - an LD_PRELOAD library for test_hot_path.py: counts the
 * calls to malloc, calloc, realloc and the aligned allocators of a process
 * and writes the total to $MALLOC_COUNT_OUT when it exits. Each call is
 * passed on to the allocator the process would have used (glibc's or
 * jemalloc), found with dlsym(RTLD_NEXT).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_ulong calls;
static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static int (*next_posix_memalign)(void **, size_t, size_t);
static void *(*next_aligned_alloc)(size_t, size_t);

/* dlsym may itself call calloc before next_calloc is known: serve that
 * from a static area that is never freed. */
static _Alignas(16) unsigned char boot[4096];
static size_t boot_used;
static int resolving;

void *malloc(size_t n)
{
    if (next_malloc == NULL)
        next_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    atomic_fetch_add(&calls, 1);
    return next_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    if (next_calloc == NULL) {
        if (resolving) {
            size_t want = (n * size + 15) & ~(size_t)15;
            if (want > sizeof(boot) - boot_used)
                return NULL;
            void *p = boot + boot_used;
            boot_used += want;
            return p; /* static storage: already zero */
        }
        resolving = 1;
        next_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
        resolving = 0;
    }
    atomic_fetch_add(&calls, 1);
    return next_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    if (next_realloc == NULL)
        next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    atomic_fetch_add(&calls, 1);
    return next_realloc(p, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (next_posix_memalign == NULL)
        next_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    atomic_fetch_add(&calls, 1);
    return next_posix_memalign(out, align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    if (next_aligned_alloc == NULL)
        next_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    atomic_fetch_add(&calls, 1);
    return next_aligned_alloc(align, n);
}

__attribute__((destructor)) static void malloc_count_report(void)
{
    const char *path = getenv("MALLOC_COUNT_OUT");
    if (path == NULL)
        return;
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return;
    fprintf(f, "%lu\n", (unsigned long)atomic_load(&calls));
    fclose(f);
}
