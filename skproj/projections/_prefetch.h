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
 *
 * Also the lines a loop is about to write, brought into L1 for writing
 * (PREFETCHW: skp_prefetchw, skp_prefetch_for_write,
 * skp_prefetch_rows_for_write; also the exact ball's copy of short row
 * groups into the lanes layout, skp_small_transpose_norms256_f32), x86
 * only, by loops that run where the CPU has AVX-512F (so PREFETCHW too).
 */
#ifndef SKPROJ_PREFETCH_H
#define SKPROJ_PREFETCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* (see skp_prefetch_next_rows) */
#if defined(__GNUC__) || defined(__clang__)
#define SKP_PREFETCH_OUT_OF_LINE static __attribute__((noinline, unused))
#define SKP_PREFETCH_INLINE __attribute__((always_inline))
#else
#define SKP_PREFETCH_OUT_OF_LINE static
#define SKP_PREFETCH_INLINE
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

/* Loops that read a long run of memory one line after another (the l1
 * ball's scan and write, the norms of long rows, bilevel_l11's gather of a
 * row's candidates, the streamed row writes, the exact ball's step 1) ask
 * for the line ``ahead`` bytes further on into L1 (skp_prefetch_ahead),
 * ``ahead`` from skp_ahead_for or skp_ahead_streamed: the
 * hardware prefetchers alone kept such a loop, whose vector work took about
 * as long as the read, waiting on memory for most of the read's time, as if
 * the two added up.  Issue 14, an AMD Zen 5, a C harness on 10**7 float32
 * values out of cache, ms: the l1 ball's scan (counts, sums and gather)
 * 1.11-1.14 without, 1.10-1.18 at 1-2 KiB ahead, 1.01-1.03 at 4 KiB, 0.94
 * at 8 KiB, 0.90-0.91 at 16 KiB (its vector work alone, in L2, 0.80; a read
 * alone 0.50); its counts and sums alone 0.80-0.84 without, 0.53 at 16 KiB;
 * the l1 ball's write streamed 1.30-1.38 without, 1.11-1.14 at 16 KiB.
 * SKP_STREAM_AHEAD on AMD CPUs; elsewhere none, as before (not measured
 * there).  An AMD Zen 4 measured it even (2026-11-29, the l1 ball on 10**7
 * Gaussian values at 0.1-90 % kept, 16 KiB / none: 0.95-1.03).  Runs shorter than
 * SKP_AHEAD_MIN_BYTES ask for nothing: in L2 or L3 between calls, 1-12 MB
 * runs took 1.02-1.05 times as long with it.  A testing switch:
 * skp_set_stream_ahead. */
#define SKP_STREAM_AHEAD 16384
#define SKP_AHEAD_MIN_BYTES ((ptrdiff_t) 1 << 24)
#if defined(__GNUC__) || defined(__clang__)
static ptrdiff_t skp_stream_ahead __attribute__((unused)) = -1;   /* -1: not chosen yet */
#else
static ptrdiff_t skp_stream_ahead = -1;
#endif

static inline ptrdiff_t skp_stream_ahead_for_cpu(void) {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    return __builtin_cpu_is("amd") ? SKP_STREAM_AHEAD : 0;
#else
    return 0;
#endif
}

/* The bytes ahead a loop reading a run of ``bytes`` bytes asks for (0: none). */
static inline ptrdiff_t skp_ahead_for(ptrdiff_t bytes) {
    if (skp_stream_ahead < 0) skp_stream_ahead = skp_stream_ahead_for_cpu();
    return bytes >= SKP_AHEAD_MIN_BYTES ? skp_stream_ahead : 0;
}

/* The bytes ahead for a matrix of ``n_rows`` rows of ``n_cols`` values of
 * ``itemsize`` bytes, rows ``row_stride`` bytes apart, read row after row:
 * skp_ahead_for of the whole matrix where its rows lie one after the other
 * (one run), else 0. */
static inline ptrdiff_t skp_ahead_for_rows(ptrdiff_t n_rows, ptrdiff_t n_cols,
                                           ptrdiff_t row_stride, ptrdiff_t itemsize) {
    return n_rows == 1 || row_stride == n_cols * itemsize
        ? skp_ahead_for(n_rows * n_cols * itemsize) : 0;
}

/* The bytes ahead the writes of a result streamed past the caches (of
 * STREAM_BYTES and more) ask for of their input: read out of cache too. */
static inline ptrdiff_t skp_ahead_streamed(int stream) {
    return stream ? skp_ahead_for(SKP_AHEAD_MIN_BYTES) : 0;
}

/* Testing hook: the bytes ahead (0: none; -1: as the CPU prefers). */
static inline void skp_set_stream_ahead(ptrdiff_t bytes) {
    skp_stream_ahead = bytes < 0 ? skp_stream_ahead_for_cpu() : bytes;
}

static inline SKP_PREFETCH_INLINE void skp_prefetch_ahead(const void* at, ptrdiff_t ahead) {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch((const char*) at + ahead, 0, 3);
#else
    (void) at;
    (void) ahead;
#endif
}

/* The line SKP_WRITE_AHEAD bytes past ``at`` brought into L1 for writing
 * (PREFETCHW, which every CPU with AVX-512F has), by the AVX-512 loops that
 * write a contiguous run of an output with plain stores (the l1 ball's and
 * the simplex's write, skp_write_row512's rows, the exact ball's write in
 * cache, skp_small_clip512 in _l1inf_small.h): each line of an output in
 * L2 otherwise reached L1 by a read for ownership that the stores waited
 * on.  Issue 14, an Intel Xeon, single calls interleaved, with / without,
 * at half the norm: project_l1_ball on 100 x 1000, 300 x 784 and 64 x 100
 * float32 0.95-0.98 of the time (float64 0.96-1.0), bilevel_l1inf and
 * bilevel_l12 on their column groups 0.91-0.94 (float64 0.91-0.99);
 * beyond L2 (1000 x 1000, 1900 x 1000) and the exact ball 0.98-1.0.  Not
 * in the column panels' writes of bilevel_l11: a panel's rows are 512
 * bytes, so the line ahead is the next panel's, and 1000 x 1000 took 1.12
 * and 1.17 times as long (its in-cache rows, 0.99-1.02, are left as they
 * were too).  Inline assembly: the intrinsic needs -mprfchw to be more than
 * a plain prefetch. */
#define SKP_WRITE_AHEAD 512
static inline SKP_PREFETCH_INLINE void skp_prefetchw(const char* at) {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    __asm__ volatile("prefetchw %0" : : "m"(*at));
#else
    (void) at;
#endif
}

static inline SKP_PREFETCH_INLINE void skp_prefetch_for_write(const void* at) {
    skp_prefetchw((const char*) at + SKP_WRITE_AHEAD);
}

/* The lines of the ``bytes`` at ``at`` (a part of a row about to be written)
 * SKP_WRITE_ROWS_AHEAD rows further on (``stride`` bytes a row) brought into
 * L1 for writing, by the AVX-512 loops that write a part of each row, down
 * the rows: a panel of column groups, a pair of groups of columns
 * (_bilevel_simd.h).  Where a row's part ends far from the next row's, the
 * hardware prefetchers do not follow the stores, and each line waited on its
 * read for ownership.  Issue 14, an Intel Xeon, bilevel_l11, single calls
 * interleaved in one process, at 10, 50, 90 % of the l1,1 norm, times a copy,
 * without / with: float32 1000 x 1000 (panels of 128 columns) 2.80 / 2.33,
 * 2.66 / 2.20, 2.63 / 2.16; 500 x 2000 2.67 / 2.23, 2.69 / 2.35, 2.40 /
 * 1.93; 100 x 1000 (pairs of groups) 4.66 / 4.52, 3.95 / 3.71, 3.84 / 3.60;
 * 128 x 2000 3.43 / 3.17, 3.00 / 2.61, 3.23 / 2.78; float64 500 x 1000
 * 2.76 / 2.71, 2.39 / 2.22, 2.31 / 2.16; 1000 x 500 3.19 / 3.16, 2.59 /
 * 2.22, 3.07 / 2.92; 2, 4 or 8 rows ahead alike.  Not where the rows written
 * are whole and follow one another, which the hardware follows: float32 300
 * x 784 and 250 x 1000, float64 100 x 1000, written whole, 1.05-1.11 times
 * as long. */
#define SKP_WRITE_ROWS_AHEAD 4
static inline SKP_PREFETCH_INLINE void skp_prefetch_rows_for_write(
        const void* at, ptrdiff_t bytes, ptrdiff_t stride) {
    const uintptr_t first = (uintptr_t) at + SKP_WRITE_ROWS_AHEAD * stride;
    uintptr_t line;
    for (line = first & ~(uintptr_t) 63; line < first + bytes; line += 64)
        skp_prefetchw((const char*) line);
}

#endif
