/* The next panel of a matrix brought into the cache while the panel before
 * is worked on (the exact l1,inf ball's strips and band gather of column
 * groups, bilevel_l11's column panels; the band gather asks for the rows a
 * few ahead of its own, in the same panel).
 *
 * A panel is a block of columns in every row; its rows lie a row stride
 * apart, beyond what the hardware prefetchers follow, so its first pass
 * would wait on memory.  Asked for a few rows at a time while the panel
 * before is read or written from the cache, its lines arrive in time.  Not
 * all at once: a burst of a thousand prefetches fills the queue of misses
 * and stalls the loop behind it.  Into L1 (and L2) where the job asks
 * (``into_l1``), as the exact ball's jobs do: its band gather took 1.0-1.15
 * times as long with L2 alone; its strips, with panels small enough that
 * the one read again and again and the next fit L1 together, gained too
 * (see their ``_next_panel``).  The write of bilevel_l11's panels, which
 * reads no more than a row of the panel before, asks as the CPU prefers
 * (skp_panels_into_l1 in _l1_simd.h: an AMD Zen 5 took 1.0-1.2 times as long
 * with L2 alone, an Intel Xeon 0.92-0.99).  Where the compiler has no
 * prefetch builtin, nothing is done.
 */
#ifndef SKPROJ_PREFETCH_H
#define SKPROJ_PREFETCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* (see skp_prefetch_next_rows) */
#if defined(__GNUC__) || defined(__clang__)
#define SKP_PREFETCH_OUT_OF_LINE static __attribute__((noinline, unused))
#else
#define SKP_PREFETCH_OUT_OF_LINE static
#endif

/* The lines of bytes [first, end) in rows [row, n_rows) of the matrix at
 * ``base``, rows ``stride`` bytes apart: the rows from ``row`` on are still
 * to be prefetched.  ``lines``: NULL (every line of the bytes), or the
 * offsets from a row's byte ``first`` of the ``n_lines`` lines wanted (the
 * lines of the columns to be read: bilevel_l11 reads no zeroed column). */
typedef struct {
    const char* base;
    ptrdiff_t stride;
    ptrdiff_t first;
    ptrdiff_t end;
    ptrdiff_t row;
    ptrdiff_t n_rows;
    const ptrdiff_t* lines;
    ptrdiff_t n_lines;
    int into_l1;    /* into L1 and L2, else into L2 only */
} skp_next_panel;

static inline void skp_prefetch_line(const char* address, int into_l1) {
#if defined(__GNUC__) || defined(__clang__)
    if (into_l1) __builtin_prefetch(address, 0, 3);
    else __builtin_prefetch(address, 0, 2);
#else
    (void) address;
    (void) into_l1;
#endif
}

/* The lines at offsets ``lines[0:n_lines]`` of ``n`` rows from ``row`` on
 * (rows ``row_stride`` bytes apart) prefetched (also the candidate gather's
 * rows ahead of its block, _bilevel_simd.h). */
static inline void skp_prefetch_lines(const char* row, ptrdiff_t row_stride, ptrdiff_t n,
                                      const ptrdiff_t* lines, ptrdiff_t n_lines, int into_l1) {
    ptrdiff_t r, k;
    for (r = 0; r < n; r++)
        for (k = 0; k < n_lines; k++)
            skp_prefetch_line(row + r * row_stride + lines[k], into_l1);
}

/* A job that prefetches nothing, every field set.  (skp_prefetch_next_rows
 * reads ``row`` before ``n_rows``: the exact ball's sampled-bracket path
 * once set n_rows alone, and where the stack left a negative ``row`` and a
 * stale ``lines`` there, it read ``lines`` at an unmapped address, a crash
 * of some hosts that valgrind's memcheck found.) */
static inline void skp_no_next_panel(skp_next_panel* job) {
    memset(job, 0, sizeof(*job));
}

/* The next ``n_rows`` rows of ``job`` prefetched (nothing once all are: a
 * job with n_rows 0 prefetches nothing).  Out of line: inlined in
 * bilevel_l11's write loop, whose rows call it, it took the registers the
 * loop kept its pointers in, and the loop reloaded them at every vector
 * (in cache, without a job: 100 x 1000 to 300 x 3000 float32 6-7 %
 * slower). */
SKP_PREFETCH_OUT_OF_LINE void skp_prefetch_next_rows(skp_next_panel* job, ptrdiff_t n_rows) {
    for (; n_rows > 0 && job->row < job->n_rows; n_rows--, job->row++) {
        const char* start = job->base + job->row * job->stride + job->first;
        ptrdiff_t offset;
        if (job->lines != NULL) {
            skp_prefetch_lines(start, 0, 1, job->lines, job->n_lines, job->into_l1);
            continue;
        }
        for (offset = -(ptrdiff_t) ((uintptr_t) start % 64); offset < job->end - job->first;
             offset += 64)
            skp_prefetch_line(start + offset, job->into_l1);
    }
}

#endif
