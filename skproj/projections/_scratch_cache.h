/* Work memory of a kernel call, kept for the next call (compiled once, in
 * _scratch_cache.pyx, which every kernel calls: one cache for all of them).
 *
 * A projection of a large matrix allocates some megabytes of work memory
 * (the band's entries, per-group tables) and frees it on return.  glibc
 * hands such blocks back to the system (mmap, or a trim of the heap), so
 * the next call takes a page fault on every page it touches again: about a
 * tenth of the time of a 1000 x 10000 projection.  Blocks of at least
 * SKH_CACHE_MIN bytes are therefore kept on free (at most SKH_CACHE_SLOTS of
 * them, SKH_CACHE_LIMIT bytes in all) and reused by later requests that
 * fit them (up to twice the request); the rest goes to malloc/free as usual.
 * Each block carries its size in a 16-byte header.  A spin lock guards the
 * slots (held for a few loads and stores): threads may project at once.
 * Without GCC/Clang atomics, no block is kept.
 */
#ifndef SKPROJ_SCRATCH_CACHE_H
#define SKPROJ_SCRATCH_CACHE_H

#include <stdlib.h>
#include <string.h>

#define SKH_CACHE_SLOTS 16
#define SKH_CACHE_MIN ((size_t) 1 << 16)
#define SKH_CACHE_LIMIT ((size_t) 64 << 20)
#define SKH_HEADER 16

#if defined(__GNUC__) || defined(__clang__)
#define SKH_CACHE_ENABLED 1
static char skh_cache_lock_flag = 0;
static void* skh_cache_block[SKH_CACHE_SLOTS];
static size_t skh_cache_size[SKH_CACHE_SLOTS];
static size_t skh_cache_total = 0;
static inline void skh_cache_lock(void) {
    while (__atomic_test_and_set(&skh_cache_lock_flag, __ATOMIC_ACQUIRE)) { }
}
static inline void skh_cache_unlock(void) {
    __atomic_clear(&skh_cache_lock_flag, __ATOMIC_RELEASE);
}
#else
#define SKH_CACHE_ENABLED 0
#endif

/* A block of at least ``size`` bytes (NULL if memory runs out). */
static void* skh_malloc(size_t size) {
    char* block = NULL;
    size_t have = size;
#if SKH_CACHE_ENABLED
    if (size >= SKH_CACHE_MIN) {
        int best = -1, slot;
        skh_cache_lock();
        for (slot = 0; slot < SKH_CACHE_SLOTS; slot++)
            if (skh_cache_block[slot] != NULL && skh_cache_size[slot] >= size
                    && skh_cache_size[slot] / 2 <= size
                    && (best < 0 || skh_cache_size[slot] < skh_cache_size[best]))
                best = slot;
        if (best >= 0) {
            block = (char*) skh_cache_block[best];
            have = skh_cache_size[best];
            skh_cache_block[best] = NULL;
            skh_cache_total -= have;
        }
        skh_cache_unlock();
    }
#endif
    if (block == NULL) {
        block = (char*) malloc(size + SKH_HEADER);
        if (block == NULL)
            return NULL;
    }
    memcpy(block, &have, sizeof(size_t));
    return block + SKH_HEADER;
}

static void* skh_calloc(size_t count, size_t size) {
    void* block = skh_malloc(count * size);
    if (block != NULL)
        memset(block, 0, count * size);
    return block;
}

static void skh_free(void* pointer) {
    char* block;
    size_t size;
    if (pointer == NULL)
        return;
    block = (char*) pointer - SKH_HEADER;
    memcpy(&size, block, sizeof(size_t));
#if SKH_CACHE_ENABLED
    if (size >= SKH_CACHE_MIN) {
        int slot, kept = 0;
        skh_cache_lock();
        if (skh_cache_total + size <= SKH_CACHE_LIMIT)
            for (slot = 0; slot < SKH_CACHE_SLOTS; slot++)
                if (skh_cache_block[slot] == NULL) {
                    skh_cache_block[slot] = block;
                    skh_cache_size[slot] = size;
                    skh_cache_total += size;
                    kept = 1;
                    break;
                }
        skh_cache_unlock();
        if (kept)
            return;
    }
#endif
    free(block);
}

/* Free every kept block; the bytes they held. */
static size_t skh_cache_release(void) {
    size_t released = 0;
#if SKH_CACHE_ENABLED
    int slot;
    skh_cache_lock();
    for (slot = 0; slot < SKH_CACHE_SLOTS; slot++)
        if (skh_cache_block[slot] != NULL) {
            free(skh_cache_block[slot]);
            skh_cache_block[slot] = NULL;
            released += skh_cache_size[slot];
        }
    skh_cache_total = 0;
    skh_cache_unlock();
#endif
    return released;
}

#endif
