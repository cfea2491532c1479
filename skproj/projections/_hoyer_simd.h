/* AVX2 versions of the passes over the matrix of the group Hoyer projection
 * (see _hoyer.pyx), chosen at run time (skh_have_avx2), as in _l1_simd.h.
 *
 * The build may not assume any instruction set beyond the baseline (no
 * -march): gcc leaves the maxima of a contiguous group, the gathering of the
 * band and the write scalar (branches, or a max reduction it may not reorder
 * without -ffast-math), and float32 converted one element at a time.  Here
 * they run on whole vectors, compiled with a per-function target attribute;
 * elsewhere (other compilers or CPUs) skh_have_avx2() is 0 and the portable
 * loops of _hoyer.pyx run instead.
 *
 * Every loop computes what its portable counterpart computes, on the same
 * keys (float32 is converted to double exactly; its maxima are taken in
 * float, which orders as double does): the maxima, their first positions and
 * the band are identical; the sums above the band are the same terms added in
 * eight lanes instead of four (roundings of that order differ); the write is
 * the same expression, element by element.  No FMA (the target is "avx2"
 * only; the AVX-512 loops below are compiled with fp-contract=off, as
 * AVX-512F brings FMA), so no product is contracted into an addition.
 *
 * Band entries are gathered by left-packing (as in _l1_simd.h): the lanes kept
 * move to the front by a permutation read from a table indexed by the
 * comparison's bit mask, the whole vector is stored at the cursor, which then
 * advances by the number kept.  A store is made only when a whole vector fits
 * in the capacity; beyond it the entries are counted only (the caller reads
 * again with room for them all).
 */
#ifndef SKPROJ_HOYER_SIMD_H
#define SKPROJ_HOYER_SIMD_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "_cpu.h"

#if defined(__GNUC__) && defined(__x86_64__)   /* Py_ssize_t is int64_t there */

#include <immintrin.h>

#include "_float_bounds.h"
#include "_pack_simd.h"
#include "_widen_simd.h"

#define SKH_AVX2 __attribute__((target("avx2,popcnt")))
/* Maxima of a contiguous group are taken block by block: the first block
 * holding the group's largest key is then scanned for its first position. */
#define SKH_TOP_BLOCK 64

static int skh_avx2 = -1;
/* Whether the AVX-512 float32 passes run (the CPU has AVX-512F; tests may turn
 * them off with skh_set_avx512 to exercise the AVX2 ones). */
static int skh_avx512 = 0;

static inline int skh_have_avx2(void) {
    if (skh_avx2 < 0) {
        __builtin_cpu_init();
        skh_avx2 = SKP_CPU_HAS("avx2") && SKP_CPU_HAS("popcnt");
        skh_avx512 = skh_avx2 && SKP_CPU_HAS("avx512f");
    }
    return skh_avx2;
}

/* Turn the AVX-512 float32 passes on (where the CPU has them) or off; returns
 * whether they run. */
static inline int skh_set_avx512(int on) {
    const int avx2 = skh_have_avx2();   /* (first: see skp_set_avx512) */
    skh_avx512 = on && avx2 && SKP_CPU_HAS("avx512f");
    return skh_avx512;
}

SKH_AVX2 static inline __m256d skh_abs_pd(__m256d x) {
    return _mm256_andnot_pd(_mm256_set1_pd(-0.0), x);
}

/* Four keys of a float64 row at k, or of a float32 row (converted exactly). */
SKH_AVX2 static inline __m256d skh_keys_f64(const double* row, ptrdiff_t k) {
    return skh_abs_pd(_mm256_loadu_pd(row + k));
}
SKH_AVX2 static inline __m256d skh_keys_f32(const float* row, ptrdiff_t k) {
    return skh_abs_pd(_mm256_cvtps_pd(_mm_loadu_ps(row + k)));
}

SKH_AVX2 static inline double skh_hmax_pd(__m256d x) {
    __m128d m = _mm_max_pd(_mm256_castpd256_pd128(x), _mm256_extractf128_pd(x, 1));
    m = _mm_max_sd(m, _mm_unpackhi_pd(m, m));
    return _mm_cvtsd_f64(m);
}
/* The largest of eight floats (maxps: NaN lanes may drop out), as a double. */
SKH_AVX2 static inline double skh_hmax_ps(__m256 x) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    return (double) _mm_cvtss_f32(_mm_max_ss(m, _mm_shuffle_ps(m, m, 1)));
}
SKH_AVX2 static inline double skh_hsum_pd(__m256d x) {
    /* (x0 + x1) + (x2 + x3): a fixed order. */
    double lanes[4];
    _mm256_storeu_pd(lanes, x);
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

/* Counts in int64 lanes (0 <= c < 2^52) as doubles, exactly: c + 2^52 has
 * c's bits in its mantissa (AVX2 converts no int64). */
SKH_AVX2 static inline __m256d skh_counts_pd(__m256i counts) {
    __m256d magic = _mm256_set1_pd(4503599627370496.0);   /* 2^52 */
    return _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(
        counts, _mm256_castpd_si256(magic))), magic);
}

/* (key - hi)+ * unit, NaN kept (max_pd returns its second operand when one
 * is NaN): a NaN key makes the sums NaN, which the _top passes check once. */
SKH_AVX2 static inline __m256d skh_excess(__m256d key, __m256d hi, __m256d unit) {
    return _mm256_mul_pd(_mm256_max_pd(_mm256_setzero_pd(), _mm256_sub_pd(key, hi)), unit);
}

/* Left-pack the lanes of ``mask`` of x (doubles or int64) to dst. */
SKH_AVX2 static inline void skh_pack_store(double* dst, __m256d x, int mask) {
    _mm256_storeu_pd(dst, skp_packed4(x, mask));
}
SKH_AVX2 static inline void skh_pack_store_i64(int64_t* dst, __m256i x, int mask) {
    __m256i perm = _mm256_loadu_si256((const __m256i*) skp_pack4[mask]);
    _mm256_storeu_si256((__m256i*) dst, _mm256_permutevar8x32_epi32(x, perm));
}

/* The lanes of ``mask`` among lanes[0:n] pushed one by one at the cursor
 * ``count`` of a buffer of ``capacity`` keys (counting beyond it). */
static inline ptrdiff_t skh_push_lanes(double* keys, ptrdiff_t count, ptrdiff_t capacity,
                                       const double* lanes, int n, int mask) {
    int lane;
    for (lane = 0; lane < n; lane++)
        if (mask & (1 << lane)) {
            if (count < capacity) keys[count] = lanes[lane];
            count++;
        }
    return count;
}

/* One vector's band entries (lo < key < hi, ``mask``) at the cursor ``count``:
 * a whole vector stored while it fits, one by one at the end of the buffer.
 * The band is narrow: most vectors hold none (a branch predicted taken). */
SKH_AVX2 static inline ptrdiff_t skh_push_keys(double* keys, ptrdiff_t count,
                                              ptrdiff_t capacity, __m256d key, int mask) {
    double lanes[4];
    if (__builtin_expect(mask == 0, 1))
        return count;
    if (count + 4 <= capacity) {
        skh_pack_store(keys + count, key, mask);
        return count + _mm_popcnt_u32((unsigned) mask);
    }
    _mm256_storeu_pd(lanes, key);
    return skh_push_lanes(keys, count, capacity, lanes, 4, mask);
}

/* ------------------------------------------------------------ contiguous groups */

/* The end of a contiguous group's top: its keys |row[k]| iw[k] (iw NULL: unit
 * weights) from ``start`` (a tail shorter than a block) against the blocks'
 * best and its block, then the first position holding the top, looked for in
 * that block (the maximum is exact); *nan set by a NaN key of the tail. */
#define SKH_TOP_FINISH(SUFFIX, T)                                                      \
static inline void skh_top_finish_##SUFFIX(const T* row, ptrdiff_t n, const double* iw, \
        ptrdiff_t start, double best, ptrdiff_t best_start, double* top, ptrdiff_t* arg, \
        int* nan) {                                                                    \
    ptrdiff_t k, end;                                                                  \
    for (k = start; k < n; k++) {                                                      \
        double key = fabs((double) row[k]) * (iw ? iw[k] : 1.0);                       \
        *nan |= key != key;                                                            \
        if (key > best) {                                                              \
            best = key;                                                                \
            best_start = k;                                                            \
        }                                                                              \
    }                                                                                  \
    *top = best;                                                                       \
    *arg = 0;                                                                          \
    if (best_start >= 0) {                                                             \
        end = best_start + SKH_TOP_BLOCK < n ? best_start + SKH_TOP_BLOCK : n;         \
        for (k = best_start; k < end; k++)                                             \
            if (fabs((double) row[k]) * (iw ? iw[k] : 1.0) == best) {                  \
                *arg = k;                                                              \
                break;                                                                 \
            }                                                                          \
    }                                                                                  \
}
SKH_TOP_FINISH(f64, double)
SKH_TOP_FINISH(f32, float)

/* Largest key |row[k]| of a contiguous group (unit weights) and the first
 * position holding it; returns whether a NaN was seen (inf shows as the top). */
#define SKH_ROW_TOP(SUFFIX, T, BLOCK_MAX)                                              \
SKH_AVX2 static int skh_row_top_##SUFFIX(const T* row, ptrdiff_t n, double* top,     \
                                         ptrdiff_t* arg) {                           \
    double best = 0.0, block_top;                                                    \
    ptrdiff_t start, best_start = -1;                                                \
    int nan = 0;                                                                     \
    for (start = 0; start + SKH_TOP_BLOCK <= n; start += SKH_TOP_BLOCK) {            \
        block_top = BLOCK_MAX(row + start, &nan);                                    \
        if (block_top > best) {                                                      \
            best = block_top;                                                        \
            best_start = start;                                                      \
        }                                                                            \
    }                                                                                \
    skh_top_finish_##SUFFIX(row, n, NULL, start, best, best_start, top, arg, &nan);  \
    return nan;                                                                      \
}

/* Weighted contiguous groups (keys |row[k]| iw[k]), with AVX2: the results
 * of the portable loops of _hoyer.pyx (skproj_row_T, and _tops' rows), whose
 * operations they take in the same order, where those loops ran in scalars
 * (issue 14, an Intel Xeon, 1000 x 10000 row groups of weights uniform in
 * [0.5, 2], s = 0.5: the band read with the tops, float32 10.3 -> 6.4 copies
 * of the matrix, float64 5.1 -> 2.1; the call, with the vector write, 15-18
 * -> 9-11 and 6.4-7.0 -> 3.1-3.7). */

/* Bytes ahead of the weighted loops' reads asked for (as the passes', whose
 * reads the hardware prefetchers alone left waiting on memory). */
#define SKH_WEIGHTED_AHEAD 2048

/* Largest key and its first position (a NaN key reported, as _tops does):
 * the maxima of blocks of SKH_TOP_BLOCK keys, then the first position in the
 * first block that holds the largest (the maximum is exact). */
#define SKH_ROW_TOP_WEIGHTED(SUFFIX, T)                                                \
SKH_AVX2 static int skh_row_top_weighted_##SUFFIX(const T* row, ptrdiff_t n,           \
                                                  const double* iw, double* top,       \
                                                  ptrdiff_t* arg) {                    \
    __m256d bad = _mm256_setzero_pd();                                                 \
    double best = 0.0, lanes[4], block_top;                                            \
    ptrdiff_t start, k, best_start = -1;                                               \
    int lane, nan = 0;                                                                 \
    for (start = 0; start + SKH_TOP_BLOCK <= n; start += SKH_TOP_BLOCK) {              \
        __m256d m0 = _mm256_setzero_pd(), m1 = m0;                                     \
        for (k = start; k < start + SKH_TOP_BLOCK; k += 8) {                           \
            __m256d a, b;                                                              \
            _mm_prefetch((const char*) (row + k) + SKH_WEIGHTED_AHEAD, _MM_HINT_T0);   \
            a = _mm256_mul_pd(skh_keys_##SUFFIX(row, k), _mm256_loadu_pd(iw + k));     \
            b = _mm256_mul_pd(skh_keys_##SUFFIX(row, k + 4), _mm256_loadu_pd(iw + k + 4)); \
            bad = _mm256_or_pd(bad, _mm256_cmp_pd(a, b, _CMP_UNORD_Q));                \
            m0 = _mm256_max_pd(m0, a);                                                 \
            m1 = _mm256_max_pd(m1, b);                                                 \
        }                                                                              \
        _mm256_storeu_pd(lanes, _mm256_max_pd(m0, m1));                                \
        block_top = 0.0;                                                               \
        for (lane = 0; lane < 4; lane++)                                               \
            block_top = lanes[lane] > block_top ? lanes[lane] : block_top;             \
        if (block_top > best) {                                                        \
            best = block_top;                                                          \
            best_start = start;                                                        \
        }                                                                              \
    }                                                                                  \
    skh_top_finish_##SUFFIX(row, n, iw, start, best, best_start, top, arg, &nan);      \
    return nan | (_mm256_movemask_pd(bad) != 0);                                       \
}
SKH_ROW_TOP_WEIGHTED(f64, double)
SKH_ROW_TOP_WEIGHTED(f32, float)

/* The band read of a weighted contiguous group (skproj_row_T's; ``iw`` NULL:
 * the keys themselves, the sample's, whose sums at t it also gives): its keys a
 * chunk of SKH_WEIGHTED_CHUNK at a time into a buffer of doubles, the sums at
 * or above hi in four lanes (position k of a chunk in lane k % 4, the chunk's
 * last k % 4 in lane 0), its band entries (lo < key < hi, by the unsigned
 * comparison of bit patterns) to the stream. */
/* The lanes of four keys with lo < key < hi as the portable loops test it:
 * key_bits - lo_bits - 1 < span, unsigned, on the bit patterns (compared
 * signed after both sides are shifted by 2^63). */
SKH_AVX2 static inline int skh_band_mask(__m256d key, uint64_t lo_bits, uint64_t span) {
    const __m256i flip = _mm256_set1_epi64x((long long) 0x8000000000000000ULL);
    __m256i offset = _mm256_sub_epi64(_mm256_castpd_si256(key),
                                      _mm256_set1_epi64x((long long) (lo_bits + 1)));
    return _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(
        _mm256_set1_epi64x((long long) (span ^ 0x8000000000000000ULL)),
        _mm256_xor_si256(offset, flip))));
}

#define SKH_WEIGHTED_CHUNK 512
#define SKH_ROW_BAND_WEIGHTED(SUFFIX, T)                                               \
SKH_AVX2 static ptrdiff_t skh_row_band_weighted_##SUFFIX(const T* row, ptrdiff_t n,    \
        const double* iw, const double* v, double lo, double hi, double unit,          \
        ptrdiff_t group, double* sums, ptrdiff_t count, ptrdiff_t capacity,            \
        double* keys, double* vals, ptrdiff_t* groups) {                               \
    double buffer[SKH_WEIGHTED_CHUNK], lv[4] = {0, 0, 0, 0}, lp[4] = {0, 0, 0, 0};     \
    double lr[4] = {0, 0, 0, 0};                                                       \
    const __m256d vhi = _mm256_set1_pd(hi), vunit = _mm256_set1_pd(unit);              \
    const __m256d zero = _mm256_setzero_pd();                                          \
    uint64_t lo_bits, hi_bits, key_bits, span;                                         \
    ptrdiff_t start, length, j;                                                        \
    memcpy(&lo_bits, &lo, 8);                                                          \
    memcpy(&hi_bits, &hi, 8);                                                          \
    span = hi_bits > lo_bits ? hi_bits - lo_bits - 1 : 0;                              \
    for (start = 0; start < n; start += SKH_WEIGHTED_CHUNK) {                          \
        const double* vc = v + start;                                                  \
        __m256d sv = _mm256_loadu_pd(lv), sp = _mm256_loadu_pd(lp);                    \
        __m256d sr = _mm256_loadu_pd(lr);                                              \
        length = n - start < SKH_WEIGHTED_CHUNK ? n - start : SKH_WEIGHTED_CHUNK;      \
        for (j = 0; j + 4 <= length; j += 4) {                                         \
            __m256d key;                                                               \
            _mm_prefetch((const char*) (row + start + j) + SKH_WEIGHTED_AHEAD, _MM_HINT_T0); \
            key = skh_keys_##SUFFIX(row + start, j);                                   \
            if (iw) key = _mm256_mul_pd(key, _mm256_loadu_pd(iw + start + j));         \
            __m256d vj = _mm256_loadu_pd(vc + j);                                      \
            /* (d > 0 ? d : 0) * unit: maxpd's first operand where it is greater */   \
            __m256d d = _mm256_mul_pd(_mm256_max_pd(_mm256_sub_pd(key, vhi), zero), vunit); \
            __m256d vd = _mm256_mul_pd(vj, d);                                         \
            _mm256_storeu_pd(buffer + j, key);                                         \
            sv = _mm256_add_pd(sv, _mm256_and_pd(_mm256_cmp_pd(key, vhi, _CMP_GE_OQ), vj)); \
            sp = _mm256_add_pd(sp, vd);                                                \
            sr = _mm256_add_pd(sr, _mm256_mul_pd(vd, d));                              \
        }                                                                              \
        _mm256_storeu_pd(lv, sv);                                                      \
        _mm256_storeu_pd(lp, sp);                                                      \
        _mm256_storeu_pd(lr, sr);                                                      \
        for (; j < length; j++) {                                                      \
            double key = fabs((double) row[start + j]) * (iw ? iw[start + j] : 1.0);   \
            double d = key - hi;                                                       \
            d = (d > 0 ? d : 0.0) * unit;                                              \
            buffer[j] = key;                                                           \
            lv[0] += key >= hi ? vc[j] : 0.0;                                          \
            lp[0] += vc[j] * d;                                                        \
            lr[0] += vc[j] * d * d;                                                    \
        }                                                                              \
        /* The band entries four at a time, packed, while a whole vector       */ \
        /* fits (as the unit loops push them); one by one near the end.        */ \
        for (j = 0; j + 4 <= length && count + 4 <= capacity; j += 4) {                \
            __m256d key = _mm256_loadu_pd(buffer + j);                                 \
            int mask = skh_band_mask(key, lo_bits, span);                              \
            if (__builtin_expect(mask == 0, 1))                                        \
                continue;                                                              \
            skh_pack_store(keys + count, key, mask);                                   \
            skh_pack_store(vals + count, _mm256_loadu_pd(vc + j), mask);               \
            _mm256_storeu_si256((__m256i*) (groups + count), _mm256_set1_epi64x(group)); \
            count += _mm_popcnt_u32((unsigned) mask);                                  \
        }                                                                              \
        for (; j < length; j++) {                                                      \
            memcpy(&key_bits, &buffer[j], 8);                                          \
            if (key_bits - lo_bits - 1 < span) {                                       \
                if (count < capacity) {                                                \
                    keys[count] = buffer[j];                                           \
                    vals[count] = vc[j];                                               \
                    groups[count] = group;                                             \
                }                                                                      \
                count++;                                                               \
            }                                                                          \
        }                                                                              \
    }                                                                                  \
    sums[0] = (lv[0] + lv[1]) + (lv[2] + lv[3]);                                       \
    sums[1] = (lp[0] + lp[1]) + (lp[2] + lp[3]);                                       \
    sums[2] = (lr[0] + lr[1]) + (lr[2] + lr[3]);                                       \
    return count;                                                                      \
}
SKH_ROW_BAND_WEIGHTED(f64, double)
SKH_ROW_BAND_WEIGHTED(f32, float)

SKH_AVX2 static inline double skh_block_max_f64(const double* row, int* nan) {
    __m256d m0 = _mm256_setzero_pd(), m1 = m0, m2 = m0, m3 = m0, bad = m0;
    ptrdiff_t k;
    for (k = 0; k < SKH_TOP_BLOCK; k += 16) {   /* four independent maxima */
        __m256d a = skh_keys_f64(row, k), b = skh_keys_f64(row, k + 4);
        __m256d c = skh_keys_f64(row, k + 8), d = skh_keys_f64(row, k + 12);
        bad = _mm256_or_pd(bad, _mm256_cmp_pd(a, b, _CMP_UNORD_Q));
        bad = _mm256_or_pd(bad, _mm256_cmp_pd(c, d, _CMP_UNORD_Q));
        m0 = _mm256_max_pd(m0, a);
        m1 = _mm256_max_pd(m1, b);
        m2 = _mm256_max_pd(m2, c);
        m3 = _mm256_max_pd(m3, d);
    }
    *nan |= _mm256_movemask_pd(bad) != 0;
    return skh_hmax_pd(_mm256_max_pd(_mm256_max_pd(m0, m1), _mm256_max_pd(m2, m3)));
}

SKH_AVX2 static inline double skh_block_max_f32(const float* row, int* nan) {
    __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 m0 = _mm256_setzero_ps(), m1 = m0, bad = m0;
    ptrdiff_t k;
    for (k = 0; k < SKH_TOP_BLOCK; k += 16) {
        __m256 a = _mm256_andnot_ps(sign, _mm256_loadu_ps(row + k));
        __m256 b = _mm256_andnot_ps(sign, _mm256_loadu_ps(row + k + 8));
        bad = _mm256_or_ps(bad, _mm256_cmp_ps(a, b, _CMP_UNORD_Q));
        m0 = _mm256_max_ps(m0, a);
        m1 = _mm256_max_ps(m1, b);
    }
    *nan |= _mm256_movemask_ps(bad) != 0;
    return skh_hmax_ps(_mm256_max_ps(m0, m1));
}

SKH_ROW_TOP(f64, double, skh_block_max_f64)
SKH_ROW_TOP(f32, float, skh_block_max_f32)

/* The last entries of a contiguous group (fewer than a vector) from k on, as
 * the band reads take them: acc[0..2] += count of keys >= hi, sum d, sum d^2
 * (d = (key - hi)+ * unit), acc[3] = max(acc[3], key), *nan set by a NaN; the
 * band entries to keys[count..] (the new count is returned). */
#define SKH_ROW_BAND_TAIL(T)                                                           \
static inline ptrdiff_t skh_row_band_tail_##T(const T* row, ptrdiff_t k, ptrdiff_t n,      \
        double lo, double hi, double unit, double* acc, int* nan, double* keys,        \
        ptrdiff_t count, ptrdiff_t capacity) {                                         \
    for (; k < n; k++) {                                                               \
        double key = fabs((double) row[k]), d = key - hi;                              \
        d = (d > 0 ? d : 0.0) * unit;                                                  \
        acc[0] += key >= hi ? 1.0 : 0.0;                                               \
        acc[1] += d;                                                                   \
        acc[2] += d * d;                                                               \
        *nan |= key != key;                                                            \
        acc[3] = key > acc[3] ? key : acc[3];                                          \
        if (lo < key && key < hi) {                                                    \
            if (count < capacity) keys[count] = key;                                   \
            count++;                                                                   \
        }                                                                              \
    }                                                                                  \
    return count;                                                                      \
}

SKH_ROW_BAND_TAIL(double)
SKH_ROW_BAND_TAIL(float)

/* The band read of a contiguous group (unit weights): with d = (key - hi)+ *
 * unit, sums[0..2] = number of keys >= hi, sum d, sum d^2; the keys with
 * lo < key < hi go to keys[count..] (the new count is returned, counting
 * beyond capacity).  The _top version (WITH_TOP 1) also gives the group's
 * largest key in *top and sets *nan if it saw a NaN (the read fused with the
 * tops); the other ignores top and nan. */
#define SKH_ROW_BAND(NAME, T, KEYS, WITH_TOP)                                          \
SKH_AVX2 static ptrdiff_t NAME(const T* row, ptrdiff_t n, double lo, double hi,        \
        double unit, double* sums, ptrdiff_t count, ptrdiff_t capacity, double* keys,  \
        double* top, int* nan) {                                                       \
    __m256d vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi);                        \
    __m256d vunit = _mm256_set1_pd(unit);                                              \
    __m256d zero = _mm256_setzero_pd();                                                \
    __m256d sp0 = zero, sp1 = zero, sr0 = zero, sr1 = zero, m0 = zero, m1 = zero;      \
    __m256i sv0 = _mm256_setzero_si256(), sv1 = sv0;   /* counts of keys >= hi */      \
    ptrdiff_t k;                                                                       \
    double lv, lp, lr, best, acc[4] = {0.0, 0.0, 0.0, 0.0};                            \
    int tail_nan = 0;                                                                  \
    for (k = 0; k + 8 <= n; k += 8) {                                                  \
        __m256d a = KEYS(row, k), b = KEYS(row, k + 4);                                \
        __m256d da = skh_excess(a, vhi, vunit), db = skh_excess(b, vhi, vunit);        \
        __m256d ga = _mm256_cmp_pd(a, vhi, _CMP_GE_OQ);                                \
        __m256d gb = _mm256_cmp_pd(b, vhi, _CMP_GE_OQ);                                \
        /* lo < key < hi: above lo and not at or above hi (NaN: neither). */          \
        int ma = _mm256_movemask_pd(_mm256_andnot_pd(ga, _mm256_cmp_pd(a, vlo, _CMP_GT_OQ))); \
        int mb = _mm256_movemask_pd(_mm256_andnot_pd(gb, _mm256_cmp_pd(b, vlo, _CMP_GT_OQ))); \
        if (WITH_TOP) {                                                                \
            m0 = _mm256_max_pd(m0, a);                                                 \
            m1 = _mm256_max_pd(m1, b);                                                 \
        }                                                                              \
        sv0 = _mm256_sub_epi64(sv0, _mm256_castpd_si256(ga));                          \
        sv1 = _mm256_sub_epi64(sv1, _mm256_castpd_si256(gb));                          \
        sp0 = _mm256_add_pd(sp0, da);                                                  \
        sp1 = _mm256_add_pd(sp1, db);                                                  \
        sr0 = _mm256_add_pd(sr0, _mm256_mul_pd(da, da));                               \
        sr1 = _mm256_add_pd(sr1, _mm256_mul_pd(db, db));                               \
        count = skh_push_keys(keys, count, capacity, a, ma);                           \
        count = skh_push_keys(keys, count, capacity, b, mb);                           \
    }                                                                                  \
    count = skh_row_band_tail_##T(row, k, n, lo, hi, unit, acc, &tail_nan, keys, count, \
                                       capacity);                                      \
    lv = acc[0]; lp = acc[1]; lr = acc[2]; best = acc[3];                             \
    sums[0] = skh_hsum_pd(skh_counts_pd(_mm256_add_epi64(sv0, sv1))) + lv;             \
    sums[1] = skh_hsum_pd(_mm256_add_pd(sp0, sp1)) + lp;                               \
    sums[2] = skh_hsum_pd(_mm256_add_pd(sr0, sr1)) + lr;                               \
    if (WITH_TOP) {                                                                    \
        double vector_best = skh_hmax_pd(_mm256_max_pd(m0, m1));                       \
        *top = vector_best > best ? vector_best : best;                                \
        /* A NaN key made the sum of excesses NaN (skh_excess). */                    \
        *nan |= tail_nan | (sums[1] != sums[1]);                                       \
    }                                                                                  \
    return count;                                                                      \
}

SKH_ROW_BAND(skh_row_band_f64, double, skh_keys_f64, 0)
SKH_ROW_BAND(skh_row_band_top_f64, double, skh_keys_f64, 1)

/* Keys of a float32 row gathered at or above hi before their excesses are
 * summed (see SKH_ROW_BAND_F32). */
#define SKH_ABOVE_BLOCK 128

/* The excesses d = key - hi of ``n`` keys (floats, at or above hi) in
 * double, added to sp (d) and sr (d^2), four a vector, alternately to the
 * two accumulators of each; the last (< 4) masked. */
SKH_AVX2 static inline void skh_add_excesses(const float* above, ptrdiff_t n, __m256d vhi,
                                             __m256d* sp, __m256d* sr) {
    ptrdiff_t e = 0;
    for (; e + 8 <= n; e += 8) {
        __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(above + e)), vhi);
        __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(above + e + 4)), vhi);
        sp[0] = _mm256_add_pd(sp[0], d0);
        sp[1] = _mm256_add_pd(sp[1], d1);
        sr[0] = _mm256_add_pd(sr[0], _mm256_mul_pd(d0, d0));
        sr[1] = _mm256_add_pd(sr[1], _mm256_mul_pd(d1, d1));
    }
    for (; e < n; e += 4) {
        __m256d in = _mm256_castsi256_pd(_mm256_cmpgt_epi64(
            _mm256_set1_epi64x((long long) (n - e)), _mm256_setr_epi64x(0, 1, 2, 3)));
        __m256d d = _mm256_and_pd(in, _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(above + e)),
                                                    vhi));
        sp[0] = _mm256_add_pd(sp[0], d);
        sr[0] = _mm256_add_pd(sr[0], _mm256_mul_pd(d, d));
    }
}

/* skh_row_band(_top)_f32 (the same arguments and results): the keys compared
 * (lo < key < hi, key >= hi), counted and maximized in float, eight a vector,
 * against the floats that order every float as lo and hi do
 * (skp_float_below/above, _float_bounds.h), as the AVX-512 loop does; the
 * keys at or above hi (a NaN too, _CMP_NLT_UQ, which makes the sums NaN)
 * left-packed into a block of SKH_ABOVE_BLOCK, whose excesses d = key - hi
 * are then taken and summed in double (exact keys, the same terms), the unit
 * applied to the row's sums.  Only the keys at or above hi cost double arithmetic:
 * the loop that took every key in double did twice the float64 loop's work
 * per byte. */
#define SKH_ROW_BAND_F32(NAME, WITH_TOP)                                               \
SKH_AVX2 static ptrdiff_t NAME(const float* row, ptrdiff_t n, double lo, double hi,    \
        double unit, double* sums, ptrdiff_t count, ptrdiff_t capacity, double* keys,  \
        double* top, int* nan) {                                                       \
    const __m256 flo = _mm256_set1_ps(skp_float_below(lo));                            \
    const __m256 fhi = _mm256_set1_ps(skp_float_above(hi));                            \
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));       \
    const __m256d vhi = _mm256_set1_pd(hi);                                            \
    __m256d sp[2] = {_mm256_setzero_pd(), _mm256_setzero_pd()};                        \
    __m256d sr[2] = {_mm256_setzero_pd(), _mm256_setzero_pd()};                        \
    __m256 m = _mm256_setzero_ps();                                                    \
    float above[SKH_ABOVE_BLOCK + 8];                                                  \
    const ptrdiff_t bulk = n - n % 8;                                                  \
    ptrdiff_t k = 0, end, n_above = 0, a;                                              \
    double acc[4] = {0.0, 0.0, 0.0, 0.0}, best;                                        \
    int tail_nan = 0;                                                                  \
    while (k < bulk) {                                                                 \
        end = bulk - k < SKH_ABOVE_BLOCK ? bulk : k + SKH_ABOVE_BLOCK;                 \
        for (a = 0; k < end; k += 8) {                                                 \
            const __m256 key = _mm256_and_ps(_mm256_loadu_ps(row + k), magnitude);     \
            const __m256 ge = _mm256_cmp_ps(key, fhi, _CMP_NLT_UQ);                     \
            const int inside = _mm256_movemask_ps(                                     \
                _mm256_andnot_ps(ge, _mm256_cmp_ps(key, flo, _CMP_GT_OQ)));            \
            const int at_or_above = _mm256_movemask_ps(ge);                            \
            if (WITH_TOP) m = _mm256_max_ps(m, key);                                   \
            _mm256_storeu_ps(above + a, _mm256_permutevar8x32_ps(                      \
                key, _mm256_loadu_si256((const __m256i*) skp_pack8[at_or_above])));     \
            a += _mm_popcnt_u32((unsigned) at_or_above);                               \
            if (__builtin_expect(inside != 0, 0)) {                                    \
                count = skh_push_keys(keys, count, capacity,                           \
                                      skp_low_pd(key),                                 \
                                      inside & 15);                                    \
                count = skh_push_keys(keys, count, capacity,                           \
                                      skp_high_pd(key),                                \
                                      inside >> 4);                                    \
            }                                                                          \
        }                                                                              \
        skh_add_excesses(above, a, vhi, sp, sr);                                       \
        n_above += a;                                                                  \
    }                                                                                  \
    count = skh_row_band_tail_float(row, bulk, n, lo, hi, 1.0, acc, &tail_nan, keys,   \
                                    count, capacity);                                  \
    best = acc[3];                                                                     \
    sums[0] = (double) n_above + acc[0];                                               \
    sums[1] = (skh_hsum_pd(_mm256_add_pd(sp[0], sp[1])) + acc[1]) * unit;              \
    sums[2] = ((skh_hsum_pd(_mm256_add_pd(sr[0], sr[1])) + acc[2]) * unit) * unit;     \
    if (WITH_TOP) {                                                                    \
        const double vector_best = skh_hmax_ps(m);                                     \
        *top = vector_best > best ? vector_best : best;                                \
        /* A NaN key made the sum of excesses NaN. */                                 \
        *nan |= tail_nan | (sums[1] != sums[1]);                                       \
    }                                                                                  \
    return count;                                                                      \
}

SKH_ROW_BAND_F32(skh_row_band_f32, 0)
SKH_ROW_BAND_F32(skh_row_band_top_f32, 1)

/* ------------------------------------------------------------ column groups */

/* One row i of a matrix whose groups are its columns (contiguous): keys
 * |row[g]| * iw; top[g], arg[g] updated (first position of the largest key);
 * returns whether a NaN was seen. */
#define SKH_COLUMNS_TOP(SUFFIX, T)                                                     \
SKH_AVX2 static int skh_columns_top_##SUFFIX(const T* row, ptrdiff_t n, double iw,     \
        ptrdiff_t i, double* top, int64_t* arg) {                                      \
    __m256d viw = _mm256_set1_pd(iw), bad = _mm256_setzero_pd();                       \
    __m256i vi = _mm256_set1_epi64x((int64_t) i);                                      \
    ptrdiff_t g;                                                                       \
    int nan = 0;                                                                       \
    for (g = 0; g + 4 <= n; g += 4) {                                                  \
        __m256d key = _mm256_mul_pd(skh_keys_##SUFFIX(row, g), viw);                   \
        __m256d old = _mm256_loadu_pd(top + g);                                        \
        __m256d better = _mm256_cmp_pd(key, old, _CMP_GT_OQ);                          \
        bad = _mm256_or_pd(bad, _mm256_cmp_pd(key, key, _CMP_UNORD_Q));                \
        _mm256_storeu_pd(top + g, _mm256_blendv_pd(old, key, better));                 \
        _mm256_storeu_si256((__m256i*) (arg + g), _mm256_castpd_si256(_mm256_blendv_pd( \
            _mm256_castsi256_pd(_mm256_loadu_si256((const __m256i*) (arg + g))),       \
            _mm256_castsi256_pd(vi), better)));                                        \
    }                                                                                  \
    for (; g < n; g++) {                                                               \
        double key = fabs((double) row[g]) * iw;                                       \
        nan |= key != key;                                                             \
        if (key > top[g]) {                                                            \
            top[g] = key;                                                              \
            arg[g] = i;                                                                \
        }                                                                              \
    }                                                                                  \
    return nan | (_mm256_movemask_pd(bad) != 0);                                       \
}

SKH_COLUMNS_TOP(f64, double)
SKH_COLUMNS_TOP(f32, float)

/* The same without the positions (unit weights: they are found later, for
 * the few groups that need them) for n_rows <= 8 rows ``stride`` apart at
 * once, so that top[] is read and written once per block of rows. */
#define SKH_COLUMNS_MAX(SUFFIX, T)                                                     \
SKH_AVX2 static int skh_columns_max_##SUFFIX(const T* rows, ptrdiff_t stride,          \
        ptrdiff_t n_rows, ptrdiff_t n, double* top) {                                  \
    __m256d bad = _mm256_setzero_pd();                                                 \
    ptrdiff_t g, r;                                                                    \
    int nan = 0;                                                                       \
    for (g = 0; g + 4 <= n; g += 4) {                                                  \
        __m256d m = _mm256_loadu_pd(top + g);                                          \
        for (r = 0; r < n_rows; r++) {                                                 \
            __m256d key = skh_keys_##SUFFIX(rows + r * stride, g);                     \
            bad = _mm256_or_pd(bad, _mm256_cmp_pd(key, key, _CMP_UNORD_Q));            \
            m = _mm256_max_pd(m, key);                                                 \
        }                                                                              \
        _mm256_storeu_pd(top + g, m);                                                  \
    }                                                                                  \
    for (; g < n; g++)                                                                 \
        for (r = 0; r < n_rows; r++) {                                                 \
            double key = fabs((double) rows[r * stride + g]);                          \
            nan |= key != key;                                                         \
            top[g] = key > top[g] ? key : top[g];                                      \
        }                                                                              \
    return nan | (_mm256_movemask_pd(bad) != 0);                                       \
}

SKH_COLUMNS_MAX(f64, double)
SKH_COLUMNS_MAX(f32, float)

/* The band read of row i of a matrix whose groups are its columns: keys
 * |row[g]| * iw, weight vi; above hi, sum_v[g] += vi, sum_p[g] += vi d,
 * sum_r[g] += vi d^2 with d = (key - hi) * unit[g]; the keys with
 * lo < key < hi and their groups (first_group + g) go to keys/groups[count..]
 * (the new count is returned, counting beyond capacity). */
#define SKH_COLUMNS_BAND(SUFFIX, T)                                                    \
SKH_AVX2 static ptrdiff_t skh_columns_band_##SUFFIX(const T* row, ptrdiff_t n,         \
        double iw, double vi, double lo, double hi, const double* unit,                \
        double* sum_v, double* sum_p, double* sum_r, ptrdiff_t count,                  \
        ptrdiff_t capacity, double* keys, int64_t* groups, ptrdiff_t first_group) {    \
    __m256d viw = _mm256_set1_pd(iw), vvi = _mm256_set1_pd(vi);                        \
    __m256d vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi);                        \
    __m256d zero = _mm256_setzero_pd();                                                \
    __m256i index = _mm256_add_epi64(_mm256_setr_epi64x(0, 1, 2, 3),                   \
                                     _mm256_set1_epi64x(first_group));                 \
    ptrdiff_t g;                                                                       \
    for (g = 0; g + 4 <= n; g += 4) {                                                  \
        __m256d key = _mm256_mul_pd(skh_keys_##SUFFIX(row, g), viw);                   \
        __m256d d = _mm256_mul_pd(_mm256_max_pd(_mm256_sub_pd(key, vhi), zero),        \
                                  _mm256_loadu_pd(unit + g));                          \
        __m256d vd = _mm256_mul_pd(vvi, d);                                            \
        int mask = _mm256_movemask_pd(_mm256_and_pd(                                   \
            _mm256_cmp_pd(key, vlo, _CMP_GT_OQ), _mm256_cmp_pd(key, vhi, _CMP_LT_OQ))); \
        _mm256_storeu_pd(sum_v + g, _mm256_add_pd(_mm256_loadu_pd(sum_v + g),          \
            _mm256_and_pd(_mm256_cmp_pd(key, vhi, _CMP_GE_OQ), vvi)));                 \
        _mm256_storeu_pd(sum_p + g, _mm256_add_pd(_mm256_loadu_pd(sum_p + g), vd));    \
        _mm256_storeu_pd(sum_r + g, _mm256_add_pd(_mm256_loadu_pd(sum_r + g),          \
                                                  _mm256_mul_pd(vd, d)));              \
        /* Stored without a branch (whether a vector holds band entries is    */ \
        /* unpredictable), one by one at the end of the buffer.               */ \
        if (count + 4 <= capacity) {                                                   \
            skh_pack_store(keys + count, key, mask);                                   \
            skh_pack_store_i64(groups + count,                                         \
                               _mm256_add_epi64(index, _mm256_set1_epi64x(g)), mask);  \
            count += _mm_popcnt_u32((unsigned) mask);                                  \
        } else {                                                                       \
            for (int lane = 0; lane < 4; lane++)                                       \
                if (mask & (1 << lane)) {                                              \
                    if (count < capacity) {                                            \
                        keys[count] = fabs((double) row[g + lane]) * iw;               \
                        groups[count] = first_group + g + lane;                        \
                    }                                                                  \
                    count++;                                                           \
                }                                                                      \
        }                                                                              \
    }                                                                                  \
    for (; g < n; g++) {                                                               \
        double key = fabs((double) row[g]) * iw, d = key - hi;                         \
        d = (d > 0 ? d : 0.0) * unit[g];                                               \
        sum_v[g] += key >= hi ? vi : 0.0;                                              \
        sum_p[g] += vi * d;                                                            \
        sum_r[g] += vi * d * d;                                                        \
        if (lo < key && key < hi) {                                                    \
            if (count < capacity) {                                                    \
                keys[count] = key;                                                     \
                groups[count] = first_group + g;                                       \
            }                                                                          \
            count++;                                                                   \
        }                                                                              \
    }                                                                                  \
    return count;                                                                      \
}

SKH_COLUMNS_BAND(f64, double)
SKH_COLUMNS_BAND(f32, float)

/* The band entries of ``lanes`` adjacent column groups of one row (``mask``)
 * one by one at the end of the buffer (counting beyond capacity), their key
 * |row[lane]| iw, weight v and group first_group + lane. */
#define SKH_PUSH_WEIGHTED_LANES(SUFFIX, T)                                             \
static inline ptrdiff_t skh_push_weighted_lanes_##SUFFIX(const T* row, int lanes, int mask, \
        double iw, double v, ptrdiff_t first_group, ptrdiff_t count, ptrdiff_t capacity, \
        double* keys, double* vals, int64_t* groups) {                                 \
    for (int lane = 0; lane < lanes; lane++)                                           \
        if (mask & (1 << lane)) {                                                      \
            if (count < capacity) {                                                    \
                keys[count] = fabs((double) row[lane]) * iw;                           \
                vals[count] = v;                                                       \
                groups[count] = first_group + lane;                                    \
            }                                                                          \
            count++;                                                                   \
        }                                                                              \
    return count;                                                                      \
}
SKH_PUSH_WEIGHTED_LANES(f64, double)
SKH_PUSH_WEIGHTED_LANES(f32, float)

/* Weighted column groups, n_rows <= 8 rows ``stride`` apart at once (row r's
 * keys |rows[r][g]| iw[r], weight v[r]): the results of skh_columns_top and
 * skh_columns_band on each row in turn, each group's top, position and sums
 * kept in registers over the block's rows (the terms added in row order, from
 * the sums before the block), so that the arrays of the groups are read and
 * written once a block rather than once a row (issue 14, an Intel Xeon, 1000 x
 * 10000, weights uniform in [0.5, 2], s = 0.5: the band read with the tops,
 * float32 6.5 -> 2.6 copies of the matrix, float64 2.7 -> 1.7).  The band
 * entries come group by group (the band is sorted by group afterwards: the
 * same order within each group), their v with them. */
#define SKH_COLUMNS_TOP_WEIGHTED(SUFFIX, T)                                            \
SKH_AVX2 static int skh_columns_top_weighted_##SUFFIX(const T* rows, ptrdiff_t stride, \
        ptrdiff_t n_rows, ptrdiff_t n, const double* iw, ptrdiff_t first_row,          \
        double* top, int64_t* arg) {                                                   \
    __m256d bad = _mm256_setzero_pd();                                                 \
    ptrdiff_t g, r;                                                                    \
    int nan = 0;                                                                       \
    for (g = 0; g + 4 <= n; g += 4) {                                                  \
        __m256d m = _mm256_loadu_pd(top + g);                                          \
        __m256d where = _mm256_castsi256_pd(_mm256_loadu_si256((const __m256i*) (arg + g))); \
        for (r = 0; r < n_rows; r++) {                                                 \
            __m256d key = _mm256_mul_pd(skh_keys_##SUFFIX(rows + r * stride, g),       \
                                        _mm256_set1_pd(iw[r]));                        \
            __m256d better = _mm256_cmp_pd(key, m, _CMP_GT_OQ);                        \
            bad = _mm256_or_pd(bad, _mm256_cmp_pd(key, key, _CMP_UNORD_Q));            \
            m = _mm256_blendv_pd(m, key, better);                                      \
            where = _mm256_blendv_pd(where, _mm256_castsi256_pd(                       \
                _mm256_set1_epi64x((int64_t) (first_row + r))), better);               \
        }                                                                              \
        _mm256_storeu_pd(top + g, m);                                                  \
        _mm256_storeu_si256((__m256i*) (arg + g), _mm256_castpd_si256(where));         \
    }                                                                                  \
    for (r = 0; r < n_rows; r++)                                                       \
        nan |= skh_columns_top_##SUFFIX(rows + r * stride + g, n - g, iw[r],           \
                                        first_row + r, top + g, arg + g);              \
    return nan | (_mm256_movemask_pd(bad) != 0);                                       \
}
SKH_COLUMNS_TOP_WEIGHTED(f64, double)
SKH_COLUMNS_TOP_WEIGHTED(f32, float)

#define SKH_COLUMNS_BAND_WEIGHTED(SUFFIX, T)                                           \
SKH_AVX2 static ptrdiff_t skh_columns_band_weighted_##SUFFIX(const T* rows,            \
        ptrdiff_t stride, ptrdiff_t n_rows, ptrdiff_t n, const double* iw,             \
        const double* v, double lo, double hi, const double* unit, double* sum_v,      \
        double* sum_p, double* sum_r, ptrdiff_t count, ptrdiff_t capacity,             \
        double* keys, double* vals, int64_t* groups, ptrdiff_t first_group) {          \
    __m256d vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi);                        \
    __m256d zero = _mm256_setzero_pd();                                                \
    __m256i index = _mm256_add_epi64(_mm256_setr_epi64x(0, 1, 2, 3),                   \
                                     _mm256_set1_epi64x(first_group));                 \
    ptrdiff_t g, r, first;                                                             \
    for (g = 0; g + 4 <= n; g += 4) {                                                  \
        __m256d sv = _mm256_loadu_pd(sum_v + g), sp = _mm256_loadu_pd(sum_p + g);      \
        __m256d sr = _mm256_loadu_pd(sum_r + g), vunit = _mm256_loadu_pd(unit + g);    \
        for (r = 0; r < n_rows; r++) {                                                 \
            __m256d vvi = _mm256_set1_pd(v[r]);                                        \
            __m256d key = _mm256_mul_pd(skh_keys_##SUFFIX(rows + r * stride, g),       \
                                        _mm256_set1_pd(iw[r]));                        \
            __m256d d = _mm256_mul_pd(_mm256_max_pd(_mm256_sub_pd(key, vhi), zero), vunit); \
            __m256d vd = _mm256_mul_pd(vvi, d);                                        \
            int mask = _mm256_movemask_pd(_mm256_and_pd(                               \
                _mm256_cmp_pd(key, vlo, _CMP_GT_OQ), _mm256_cmp_pd(key, vhi, _CMP_LT_OQ))); \
            sv = _mm256_add_pd(sv, _mm256_and_pd(_mm256_cmp_pd(key, vhi, _CMP_GE_OQ), vvi)); \
            sp = _mm256_add_pd(sp, vd);                                                \
            sr = _mm256_add_pd(sr, _mm256_mul_pd(vd, d));                              \
            if (__builtin_expect(mask != 0, 0)) {                                      \
                if (count + 4 <= capacity) {                                           \
                    skh_pack_store(keys + count, key, mask);                           \
                    _mm256_storeu_pd(vals + count, vvi);                               \
                    skh_pack_store_i64(groups + count,                                 \
                                       _mm256_add_epi64(index, _mm256_set1_epi64x(g)), mask); \
                    count += _mm_popcnt_u32((unsigned) mask);                          \
                } else {                                                               \
                    count = skh_push_weighted_lanes_##SUFFIX(                          \
                        rows + r * stride + g, 4, mask, iw[r], v[r], first_group + g,  \
                        count, capacity, keys, vals, groups);                          \
                }                                                                      \
            }                                                                          \
        }                                                                              \
        _mm256_storeu_pd(sum_v + g, sv);                                               \
        _mm256_storeu_pd(sum_p + g, sp);                                               \
        _mm256_storeu_pd(sum_r + g, sr);                                               \
    }                                                                                  \
    for (r = 0; r < n_rows; r++) {  /* the last groups, fewer than four */             \
        first = count;                                                                 \
        count = skh_columns_band_##SUFFIX(rows + r * stride + g, n - g, iw[r], v[r], lo, \
                                          hi, unit + g, sum_v + g, sum_p + g,          \
                                          sum_r + g, count, capacity, keys, groups,    \
                                          first_group + g);                            \
        for (; first < count && first < capacity; first++)                             \
            vals[first] = v[r];                                                        \
    }                                                                                  \
    return count;                                                                      \
}
SKH_COLUMNS_BAND_WEIGHTED(f64, double)
SKH_COLUMNS_BAND_WEIGHTED(f32, float)

/* Four band entries (doubles; a float32 vector's low or high half, exactly)
 * under ``mask``, groups first_group + lane, at the cursor ``count``: a whole
 * vector stored while it fits, one by one at the end of the buffer. */
SKH_AVX2 static inline ptrdiff_t skh_push_groups4(double* keys, int64_t* groups,
                                                 ptrdiff_t count, ptrdiff_t capacity,
                                                 __m256d key, int mask, ptrdiff_t first_group) {
    double lanes[4];
    int lane;
    if (count + 4 <= capacity) {
        skh_pack_store(keys + count, key, mask);
        skh_pack_store_i64(groups + count, _mm256_add_epi64(
            _mm256_setr_epi64x(0, 1, 2, 3), _mm256_set1_epi64x(first_group)), mask);
        return count + _mm_popcnt_u32((unsigned) mask);
    }
    _mm256_storeu_pd(lanes, key);
    for (lane = 0; lane < 4; lane++)
        if (mask & (1 << lane)) {
            if (count < capacity) {
                keys[count] = lanes[lane];
                groups[count] = first_group + lane;
            }
            count++;
        }
    return count;
}

#define SKH_MAX_BLOCK_ROWS 8  /* rows of a block of column groups (COLUMN_BLOCK) */

/* The same for n_rows <= 8 rows ``stride`` apart at once, unit weights (the
 * caller sets the entries' v to 1): the sums of four groups stay in
 * registers over the rows (each group's terms are added in row order, as
 * above); the band entries come group by group (the band is sorted by group
 * afterwards).  The _top version (WITH_TOP 1) also updates each group's
 * largest key top[g] and sets *nan if it saw a NaN (the read fused with the
 * tops); the other ignores top and nan. */
#define SKH_COLUMNS_BAND_BLOCK(NAME, SUFFIX, T, WITH_TOP)                              \
SKH_AVX2 static ptrdiff_t NAME(const T* rows,                                          \
        ptrdiff_t stride, ptrdiff_t n_rows, ptrdiff_t n, double lo, double hi,         \
        const double* unit, double* sum_v, double* sum_p, double* sum_r,               \
        ptrdiff_t count, ptrdiff_t capacity, double* keys, int64_t* groups,            \
        double* top, int* nan) {                                                       \
    __m256d vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi);                        \
    __m256d zero = _mm256_setzero_pd();                                                \
    __m256d bad = zero;                                                                \
    ptrdiff_t g, r;                                                                    \
    for (g = 0; g + 4 <= n; g += 4) {                                                  \
        __m256d sv = _mm256_loadu_pd(sum_v + g), sp = _mm256_loadu_pd(sum_p + g);      \
        __m256d sr = _mm256_loadu_pd(sum_r + g), vunit = _mm256_loadu_pd(unit + g);    \
        __m256d m = WITH_TOP ? _mm256_loadu_pd(top + g) : zero;                        \
        __m256i n_above = _mm256_setzero_si256();      /* keys >= hi in the block */   \
        for (r = 0; r < n_rows; r++) {                                                 \
            __m256d key = skh_keys_##SUFFIX(rows + r * stride, g);                     \
            __m256d d = skh_excess(key, vhi, vunit);                                   \
            __m256d above = _mm256_cmp_pd(key, vhi, _CMP_GE_OQ);                       \
            int mask = _mm256_movemask_pd(_mm256_andnot_pd(                            \
                above, _mm256_cmp_pd(key, vlo, _CMP_GT_OQ)));                          \
            if (WITH_TOP)                                                              \
                m = _mm256_max_pd(m, key);                                             \
            n_above = _mm256_sub_epi64(n_above, _mm256_castpd_si256(above));           \
            sp = _mm256_add_pd(sp, d);                                                 \
            sr = _mm256_add_pd(sr, _mm256_mul_pd(d, d));                               \
            if (__builtin_expect(mask != 0, 0))                                        \
                count = skh_push_groups4(keys, groups, count, capacity, key, mask, g);  \
        }                                                                              \
        _mm256_storeu_pd(sum_v + g, _mm256_add_pd(sv, skh_counts_pd(n_above)));        \
        _mm256_storeu_pd(sum_p + g, sp);                                               \
        _mm256_storeu_pd(sum_r + g, sr);                                               \
        if (WITH_TOP) {                                                                \
            _mm256_storeu_pd(top + g, m);                                              \
            /* A NaN key made the sum of excesses NaN (skh_excess). */                \
            bad = _mm256_or_pd(bad, _mm256_cmp_pd(sp, sp, _CMP_UNORD_Q));              \
        }                                                                              \
    }                                                                                  \
    for (r = 0; r < n_rows; r++) {  /* the last groups, fewer than four */             \
        if (WITH_TOP)                                                                  \
            for (ptrdiff_t last = g; last < n; last++) {                               \
                double key = fabs((double) rows[r * stride + last]);                   \
                *nan |= key != key;                                                    \
                top[last] = key > top[last] ? key : top[last];                         \
            }                                                                          \
        count = skh_columns_band_##SUFFIX(rows + r * stride + g, n - g, 1.0, 1.0, lo,  \
                                          hi, unit + g, sum_v + g, sum_p + g,          \
                                          sum_r + g, count, capacity, keys, groups, g); \
    }                                                                                  \
    if (WITH_TOP)                                                                      \
        *nan |= _mm256_movemask_pd(bad) != 0;                                          \
    return count;                                                                      \
}

SKH_COLUMNS_BAND_BLOCK(skh_columns_band_block_f64, f64, double, 0)
SKH_COLUMNS_BAND_BLOCK(skh_columns_band_block4_f32, f32, float, 0)
SKH_COLUMNS_BAND_BLOCK(skh_columns_band_block_top_f64, f64, double, 1)
SKH_COLUMNS_BAND_BLOCK(skh_columns_band_block_top4_f32, f32, float, 1)

/* skh_columns_band_block(_top)_f32 (the same arguments and results): eight
 * groups a vector, their keys compared (lo < key < hi, key >= hi), counted and
 * maximized in float against the floats that order every float as lo and hi do
 * (skp_float_below/above, _float_bounds.h), as the AVX-512 loop does; the
 * excesses d = (key - hi)+ in double (exact keys; a NaN key makes them NaN),
 * each group's d and d^2 summed over the block's rows in registers, then added
 * to sum_p, sum_r times unit[g] and its square; the last groups (fewer than
 * eight) by the four-group loop.  The four-group loop takes every key in
 * double: per byte, twice the float64 loop's work.  (Pushing every vector's
 * band entries without a branch, as the AVX-512 loop does where the band is
 * dense: 300 x 784 at s = 0.5 / 0.8 / 0.95, perf shares of the band read over
 * the write's, 2.7-3.0 / 2.0-2.2 / 1.4-1.5 with the branch, 2.5-2.8 /
 * 2.5-2.8 / 2.5-2.9 without; the four-group loop 3.0-3.1 / 2.3-2.4 /
 * 1.7-1.8.)  This loop is bound by its instructions, not by memory: in cache
 * it takes as long per entry as the float64 one, twice as long per byte (a C
 * harness, 0.41 ns an entry on 100 x 1000 and 300 x 784 for both).  Summing
 * d^2 by FMA saved 6 % of it (and needs the FMA extension): not done. */
#define SKH_COLUMNS_BAND_BLOCK_F32(NAME, FOUR_NAME, WITH_TOP)                          \
SKH_AVX2 static ptrdiff_t NAME(const float* rows, ptrdiff_t stride, ptrdiff_t n_rows,  \
        ptrdiff_t n, double lo, double hi, const double* unit, double* sum_v,          \
        double* sum_p, double* sum_r, ptrdiff_t count, ptrdiff_t capacity,             \
        double* keys, int64_t* groups, double* top, int* nan) {                        \
    const __m256 flo = _mm256_set1_ps(skp_float_below(lo));                            \
    const __m256 fhi = _mm256_set1_ps(skp_float_above(hi));                            \
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));       \
    const __m256d vhi = _mm256_set1_pd(hi), zero = _mm256_setzero_pd();                \
    __m256d bad = zero;                                                                \
    ptrdiff_t g, r;                                                                    \
    for (g = 0; g + 8 <= n; g += 8) {                                                  \
        __m256d sp0 = zero, sp1 = zero, sr0 = zero, sr1 = zero, u0, u1;                \
        __m256 m = _mm256_setzero_ps();                                                \
        __m256i n_above = _mm256_setzero_si256();                                      \
        for (r = 0; r < n_rows; r++) {                                                 \
            const __m256 key = _mm256_and_ps(_mm256_loadu_ps(rows + r * stride + g),   \
                                             magnitude);                               \
            const __m256 ge = _mm256_cmp_ps(key, fhi, _CMP_NLT_UQ);                     \
            const int inside = _mm256_movemask_ps(                                     \
                _mm256_andnot_ps(ge, _mm256_cmp_ps(key, flo, _CMP_GT_OQ)));            \
            const __m256d low = skp_low_pd(key);                                       \
            const __m256d high = skp_high_pd(key);                                     \
            const __m256d d_low = _mm256_max_pd(zero, _mm256_sub_pd(low, vhi));        \
            const __m256d d_high = _mm256_max_pd(zero, _mm256_sub_pd(high, vhi));      \
            if (WITH_TOP) m = _mm256_max_ps(m, key);                                   \
            n_above = _mm256_sub_epi32(n_above, _mm256_castps_si256(ge));              \
            sp0 = _mm256_add_pd(sp0, d_low);                                           \
            sp1 = _mm256_add_pd(sp1, d_high);                                          \
            sr0 = _mm256_add_pd(sr0, _mm256_mul_pd(d_low, d_low));                     \
            sr1 = _mm256_add_pd(sr1, _mm256_mul_pd(d_high, d_high));                   \
            if (__builtin_expect(inside != 0, 0)) {                                    \
                count = skh_push_groups4(keys, groups, count, capacity, low,           \
                                         inside & 15, g);                              \
                count = skh_push_groups4(keys, groups, count, capacity, high,          \
                                         inside >> 4, g + 4);                          \
            }                                                                          \
        }                                                                              \
        u0 = _mm256_loadu_pd(unit + g);                                                \
        u1 = _mm256_loadu_pd(unit + g + 4);                                            \
        _mm256_storeu_pd(sum_v + g, _mm256_add_pd(_mm256_loadu_pd(sum_v + g),          \
            _mm256_cvtepi32_pd(_mm256_castsi256_si128(n_above))));                     \
        _mm256_storeu_pd(sum_v + g + 4, _mm256_add_pd(_mm256_loadu_pd(sum_v + g + 4),  \
            _mm256_cvtepi32_pd(_mm256_extracti128_si256(n_above, 1))));                \
        _mm256_storeu_pd(sum_p + g, _mm256_add_pd(_mm256_loadu_pd(sum_p + g),          \
                                                  _mm256_mul_pd(sp0, u0)));            \
        _mm256_storeu_pd(sum_p + g + 4, _mm256_add_pd(_mm256_loadu_pd(sum_p + g + 4),  \
                                                      _mm256_mul_pd(sp1, u1)));        \
        _mm256_storeu_pd(sum_r + g, _mm256_add_pd(_mm256_loadu_pd(sum_r + g),          \
            _mm256_mul_pd(_mm256_mul_pd(sr0, u0), u0)));                               \
        _mm256_storeu_pd(sum_r + g + 4, _mm256_add_pd(_mm256_loadu_pd(sum_r + g + 4),  \
            _mm256_mul_pd(_mm256_mul_pd(sr1, u1), u1)));                               \
        if (WITH_TOP) {                                                                \
            _mm256_storeu_pd(top + g, _mm256_max_pd(_mm256_loadu_pd(top + g),          \
                skp_low_pd(m)));                                                       \
            _mm256_storeu_pd(top + g + 4, _mm256_max_pd(_mm256_loadu_pd(top + g + 4),  \
                skp_high_pd(m)));                                                      \
            /* A NaN key made the sum of excesses NaN. */                             \
            bad = _mm256_or_pd(bad, _mm256_cmp_pd(sp0, sp1, _CMP_UNORD_Q));            \
        }                                                                              \
    }                                                                                  \
    if (WITH_TOP)                                                                      \
        *nan |= _mm256_movemask_pd(bad) != 0;                                          \
    if (g < n) {  /* the last groups, fewer than 8: the four-group loop (groups from 0) */ \
        double tail_keys[8 * SKH_MAX_BLOCK_ROWS];                                      \
        int64_t tail_groups[8 * SKH_MAX_BLOCK_ROWS];                                   \
        ptrdiff_t e, n_tail = FOUR_NAME(rows + g, stride, n_rows, n - g, lo, hi,       \
                                        unit + g, sum_v + g, sum_p + g, sum_r + g, 0,  \
                                        8 * SKH_MAX_BLOCK_ROWS, tail_keys, tail_groups, \
                                        WITH_TOP ? top + g : NULL, nan);               \
        for (e = 0; e < n_tail; e++, count++)                                          \
            if (count < capacity) {                                                    \
                keys[count] = tail_keys[e];                                            \
                groups[count] = tail_groups[e] + g;                                    \
            }                                                                          \
    }                                                                                  \
    return count;                                                                      \
}

SKH_COLUMNS_BAND_BLOCK_F32(skh_columns_band_block_f32, skh_columns_band_block4_f32, 0)
SKH_COLUMNS_BAND_BLOCK_F32(skh_columns_band_block_top_f32, skh_columns_band_block_top4_f32, 1)

/* ------------------------------------------------------------ write */

/* dst[k] = sign(src[k]) (|src[k]| - t[k])+ scale[k] for k < n, contiguous, with
 * t and scale either one value (step 0) or arrays (step 1): a contiguous group
 * of unit weights (one t and scale), of weights (a t per position: t w[k], one
 * scale) or a row of column groups (one t, a scale per group).  Computed in
 * double and rounded once, as the portable loop does. */
SKH_AVX2 static inline __m256d skh_shrink(__m256d y, __m256d t, __m256d scale) {
    __m256d sign = _mm256_set1_pd(-0.0);
    __m256d excess = _mm256_sub_pd(_mm256_andnot_pd(sign, y), t);
    __m256d magnitude = _mm256_mul_pd(_mm256_max_pd(excess, _mm256_setzero_pd()), scale);
    return _mm256_or_pd(magnitude, _mm256_and_pd(sign, y));
}

/* The same on one value (the loops' ends, and the portable loop's expression). */
static inline double skh_write1_f64(double value, double t, double scale) {
    double excess = fabs(value) - t;
    return copysign((excess > 0 ? excess : 0.0) * scale, value);
}

SKH_AVX2 static void skh_write_f64(const double* src, double* dst, ptrdiff_t n,
                                   const double* t, int t_step, const double* scale,
                                   int scale_step) {
    __m256d vt = _mm256_set1_pd(t[0]), vs = _mm256_set1_pd(scale[0]);
    ptrdiff_t k = 0;
    for (; k + 4 <= n; k += 4)
        _mm256_storeu_pd(dst + k, skh_shrink(_mm256_loadu_pd(src + k),
                                             t_step ? _mm256_loadu_pd(t + k) : vt,
                                             scale_step ? _mm256_loadu_pd(scale + k) : vs));
    for (; k < n; k++)
        dst[k] = skh_write1_f64(src[k], t[k * t_step], scale[k * scale_step]);
}

SKH_AVX2 static void skh_write_f32(const float* src, float* dst, ptrdiff_t n,
                                   const double* t, int t_step, const double* scale,
                                   int scale_step) {
    __m256d vt = _mm256_set1_pd(t[0]), vs = _mm256_set1_pd(scale[0]);
    ptrdiff_t k;
    for (k = 0; k + 8 <= n; k += 8) {
        __m256 y = _mm256_loadu_ps(src + k);
        __m256d low = skh_shrink(skp_low_pd(y),
                                 t_step ? _mm256_loadu_pd(t + k) : vt,
                                 scale_step ? _mm256_loadu_pd(scale + k) : vs);
        __m256d high = skh_shrink(skp_high_pd(y),
                                  t_step ? _mm256_loadu_pd(t + k + 4) : vt,
                                  scale_step ? _mm256_loadu_pd(scale + k + 4) : vs);
        _mm256_storeu_ps(dst + k, _mm256_set_m128(_mm256_cvtpd_ps(high),
                                                  _mm256_cvtpd_ps(low)));
    }
    for (; k < n; k++)
        dst[k] = (float) skh_write1_f64((double) src[k], t[k * t_step], scale[k * scale_step]);
}

/* ------------------------------------------------------------ AVX-512, float32 */

/* Where the CPU has AVX-512F, the float32 passes of the projection (the band
 * read fused with the tops, the band read, the write) compare, take maxima
 * and count on 16 floats a vector, and compute in double on 8 lanes a vector:
 * the AVX2 loops convert every float to double and work on 4 lanes, twice the
 * instructions per byte of the float64 loops.  They compute what the AVX2
 * loops compute:
 *  - lo < key < hi and key >= hi on floats against the floats that order
 *    every float as lo and hi do (skp_float_below/above, _float_bounds.h):
 *    the band and the counts are identical;
 *  - the maxima in float (which orders as double);
 *  - d = key - hi in double (exact: key converted exactly), summed (d and d^2)
 *    in double, each lane a group's (columns) or a share of the row's terms;
 *    the unit is applied to a block's sums (8 rows of column groups, or the
 *    whole row) rather than to each term: only roundings of that order differ;
 *  - the write: the same expression in double as skh_shrink, rounded once.
 * A NaN key counts as at or above hi (_CMP_NLT_UQ), so that it makes the sums
 * NaN, as in the AVX2 loops (the _top passes report it). */
#define SKH_AVX512 __attribute__((target("avx512f,avx2,popcnt"), optimize("fp-contract=off")))

SKH_AVX512 static inline __m512 skh_abs16(const float* p) {
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_loadu_si512((const void*) p),
                                                _mm512_set1_epi32(0x7fffffff)));
}

/* skh_columns_top_weighted_* and skh_columns_band_weighted_* with AVX-512F:
 * eight groups a vector, each lane a group's own operations, so the same
 * results (the band entries come eight groups a row rather than four, the
 * same order within each group once sorted by group); the last groups
 * (fewer than eight) by the AVX2 loops.  (Issue 14, an Intel Xeon, float32
 * 1000 x 10000 and 10000 x 1000 Gaussian, weights uniform in [0.5, 2], s =
 * 0.5: the band read with the tops 4.3-4.7 -> 3.2-3.4 copies of the matrix.) */
SKH_AVX512 static inline __m512d skh_keys8_f64(const double* p) {
    return _mm512_abs_pd(_mm512_loadu_pd(p));
}
SKH_AVX512 static inline __m512d skh_keys8_f32(const float* p) {
    return _mm512_abs_pd(_mm512_cvtps_pd(_mm256_loadu_ps(p)));
}
#define SKH_COLUMNS_TOP_WEIGHTED512(SUFFIX, T)                                         \
SKH_AVX512 static int skh_columns_top_weighted512_##SUFFIX(const T* rows,              \
        ptrdiff_t stride, ptrdiff_t n_rows, ptrdiff_t n, const double* iw,             \
        ptrdiff_t first_row, double* top, int64_t* arg) {                              \
    __mmask8 bad = 0;                                                                  \
    ptrdiff_t g, r;                                                                    \
    for (g = 0; g + 8 <= n; g += 8) {                                                  \
        __m512d m = _mm512_loadu_pd(top + g);                                          \
        __m512i where = _mm512_loadu_si512((const void*) (arg + g));                   \
        for (r = 0; r < n_rows; r++) {                                                 \
            __m512d key = _mm512_mul_pd(skh_keys8_##SUFFIX(rows + r * stride + g),     \
                                        _mm512_set1_pd(iw[r]));                        \
            __mmask8 better = _mm512_cmp_pd_mask(key, m, _CMP_GT_OQ);                  \
            bad |= _mm512_cmp_pd_mask(key, key, _CMP_UNORD_Q);                         \
            m = _mm512_mask_mov_pd(m, better, key);                                    \
            where = _mm512_mask_mov_epi64(where, better,                               \
                                          _mm512_set1_epi64((int64_t) (first_row + r))); \
        }                                                                              \
        _mm512_storeu_pd(top + g, m);                                                  \
        _mm512_storeu_si512((void*) (arg + g), where);                                 \
    }                                                                                  \
    return skh_columns_top_weighted_##SUFFIX(rows + g, stride, n_rows, n - g, iw,      \
                                             first_row, top + g, arg + g) | (bad != 0); \
}
SKH_COLUMNS_TOP_WEIGHTED512(f64, double)
SKH_COLUMNS_TOP_WEIGHTED512(f32, float)

#define SKH_COLUMNS_BAND_WEIGHTED512(SUFFIX, T)                                        \
SKH_AVX512 static ptrdiff_t skh_columns_band_weighted512_##SUFFIX(const T* rows,       \
        ptrdiff_t stride, ptrdiff_t n_rows, ptrdiff_t n, const double* iw,             \
        const double* v, double lo, double hi, const double* unit, double* sum_v,      \
        double* sum_p, double* sum_r, ptrdiff_t count, ptrdiff_t capacity,             \
        double* keys, double* vals, int64_t* groups) {                                 \
    const __m512d vlo = _mm512_set1_pd(lo), vhi = _mm512_set1_pd(hi);                  \
    const __m512d zero = _mm512_setzero_pd();                                          \
    const __m512i index = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);                   \
    ptrdiff_t g, r;                                                                    \
    for (g = 0; g + 8 <= n; g += 8) {                                                  \
        __m512d sv = _mm512_loadu_pd(sum_v + g), sp = _mm512_loadu_pd(sum_p + g);      \
        __m512d sr = _mm512_loadu_pd(sum_r + g), vunit = _mm512_loadu_pd(unit + g);    \
        for (r = 0; r < n_rows; r++) {                                                 \
            const __m512d vvi = _mm512_set1_pd(v[r]);                                  \
            __m512d key = _mm512_mul_pd(skh_keys8_##SUFFIX(rows + r * stride + g),     \
                                        _mm512_set1_pd(iw[r]));                        \
            __m512d d = _mm512_mul_pd(_mm512_max_pd(_mm512_sub_pd(key, vhi), zero), vunit); \
            __m512d vd = _mm512_mul_pd(vvi, d);                                        \
            __mmask8 above = _mm512_cmp_pd_mask(key, vhi, _CMP_GE_OQ);                 \
            __mmask8 mask = _mm512_cmp_pd_mask(key, vlo, _CMP_GT_OQ)                   \
                & _mm512_cmp_pd_mask(key, vhi, _CMP_LT_OQ);                            \
            /* (v where key >= hi, else +0.0, as the AVX2 loop's and) */             \
            sv = _mm512_add_pd(sv, _mm512_maskz_mov_pd(above, vvi));                   \
            sp = _mm512_add_pd(sp, vd);                                                \
            sr = _mm512_add_pd(sr, _mm512_mul_pd(vd, d));                              \
            if (__builtin_expect(mask != 0, 0)) {                                      \
                if (count + 8 <= capacity) {                                           \
                    skp_compress_store_pd(keys + count, mask, key);                    \
                    _mm512_storeu_pd(vals + count, vvi);                               \
                    skp_compress_store_epi64(                                          \
                        groups + count, mask, _mm512_add_epi64(index, _mm512_set1_epi64(g))); \
                    count += _mm_popcnt_u32((unsigned) mask);                          \
                } else {                                                               \
                    count = skh_push_weighted_lanes_##SUFFIX(                          \
                        rows + r * stride + g, 8, mask, iw[r], v[r], g, count, capacity, \
                        keys, vals, groups);                                           \
                }                                                                      \
            }                                                                          \
        }                                                                              \
        _mm512_storeu_pd(sum_v + g, sv);                                               \
        _mm512_storeu_pd(sum_p + g, sp);                                               \
        _mm512_storeu_pd(sum_r + g, sr);                                               \
    }                                                                                  \
    return skh_columns_band_weighted_##SUFFIX(rows + g, stride, n_rows, n - g, iw, v, lo, \
                                              hi, unit + g, sum_v + g, sum_p + g,      \
                                              sum_r + g, count, capacity, keys, vals,  \
                                              groups, g);                              \
}
SKH_COLUMNS_BAND_WEIGHTED512(f64, double)
SKH_COLUMNS_BAND_WEIGHTED512(f32, float)

/* (x0 + x1) + (x2 + x3) ... of 8 lanes stored in memory, in a fixed order. */
static inline double skh_lanes_sum(const double* lanes) {
    return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
           + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

/* ... of an AVX-512 vector's 8 lanes. */
SKH_AVX512 static inline double skh_hsum8(__m512d x) {
    double lanes[8];
    _mm512_storeu_pd(lanes, x);
    return skh_lanes_sum(lanes);
}

/* The band entries of 16 keys (mask ``inside``, often empty) at the cursor
 * ``count``, as floats (exact: a key is |y|), with their groups
 * first_group + lane as int32 where groups is not NULL: one compress of each,
 * stored whole for every vector, without a branch on ``inside`` (at 0.5-1 % of
 * the keys in the band, a sixth of the vectors hold entries, at random: the
 * branch on it was mispredicted often enough to cost more than the compress),
 * while 16 fit; one by one at the end of the buffer.  Half the bytes and
 * compresses of double keys and int64 groups. */
SKH_AVX512 static inline __attribute__((always_inline)) ptrdiff_t skh_push16(
        float* keys, int32_t* groups, ptrdiff_t count, ptrdiff_t capacity, __m512 key,
        __mmask16 inside, ptrdiff_t first_group) {
    int lane;
    if (__builtin_expect(count + 16 <= capacity, 1)) {
        _mm512_storeu_ps(keys + count, _mm512_maskz_compress_ps(inside, key));
        if (groups != NULL)
            _mm512_storeu_si512((void*) (groups + count), _mm512_maskz_compress_epi32(
                inside, _mm512_add_epi32(_mm512_set1_epi32((int32_t) first_group),
                                         _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                                           10, 11, 12, 13, 14, 15))));
        return count + _mm_popcnt_u32((unsigned) inside);
    }
    if (inside != 0) {
        float lanes[16];
        _mm512_storeu_ps(lanes, key);
        for (lane = 0; lane < 16; lane++)
            if (inside & (1 << lane)) {
                if (count < capacity) {
                    keys[count] = lanes[lane];
                    if (groups != NULL) groups[count] = (int32_t) (first_group + lane);
                }
                count++;
            }
    }
    return count;
}

/* Band entries found as doubles (int64 groups, plus ``group_offset``) by an
 * AVX2 or scalar tail, ``n`` of them, appended at ``count`` as floats (exact:
 * they are floats' magnitudes) and int32 groups. */
static inline ptrdiff_t skh_append_narrow(const double* from_keys, const int64_t* from_groups,
        ptrdiff_t n, ptrdiff_t group_offset, float* keys, int32_t* groups, ptrdiff_t count,
        ptrdiff_t capacity) {
    ptrdiff_t e;
    for (e = 0; e < n; e++, count++)
        if (count < capacity) {
            keys[count] = (float) from_keys[e];
            if (groups != NULL) groups[count] = (int32_t) (from_groups[e] + group_offset);
        }
    return count;
}

/* One vector of 16 keys of the band read: counts of keys >= hi (int32 lanes),
 * sums of d and d^2 in double (low and high 8), band entries pushed (without
 * a branch on whether there are any where BRANCHLESS). */
#define SKH_BAND16(KEY, WITH_TOP, GROUPS, FIRST, BRANCHLESS)                           \
    do {                                                                               \
        __mmask16 ge = _mm512_cmp_ps_mask(KEY, fhi, _CMP_NLT_UQ);                      \
        __mmask16 inside = _mm512_mask_cmp_ps_mask((__mmask16) ~ge, KEY, flo,          \
                                                   _CMP_GT_OQ);                        \
        __m512d low = skp_low8_pd(KEY), high = skp_high8_pd(KEY);                      \
        __m512d d_low = _mm512_maskz_sub_pd((__mmask8) ge, low, vhi);                  \
        __m512d d_high = _mm512_maskz_sub_pd((__mmask8) (ge >> 8), high, vhi);         \
        if (WITH_TOP) m = _mm512_max_ps(m, KEY);                                       \
        n_above = _mm512_mask_sub_epi32(n_above, ge, n_above, minus_one);              \
        sp0 = _mm512_add_pd(sp0, d_low);                                               \
        sp1 = _mm512_add_pd(sp1, d_high);                                              \
        sr0 = _mm512_add_pd(sr0, _mm512_mul_pd(d_low, d_low));                         \
        sr1 = _mm512_add_pd(sr1, _mm512_mul_pd(d_high, d_high));                       \
        if (BRANCHLESS || __builtin_expect(inside != 0, 0))                            \
            count = skh_push16(keys, GROUPS, count, capacity, KEY, inside, FIRST);       \
    } while (0)

/* skh_row_band(_top)_f32 with AVX-512 (same arguments and results). */
#define SKH_ROW_BAND_512(NAME, WITH_TOP)                                               \
SKH_AVX512 static ptrdiff_t NAME(const float* row, ptrdiff_t n, double lo, double hi,  \
        double unit, double* sums, ptrdiff_t count, ptrdiff_t capacity, float* keys,   \
        double* top, int* nan) {                                                       \
    __m512 flo = _mm512_set1_ps(skp_float_below(lo));                                  \
    __m512 fhi = _mm512_set1_ps(skp_float_above(hi));                                  \
    __m512d vhi = _mm512_set1_pd(hi), zero = _mm512_setzero_pd();                      \
    __m512d sp0 = zero, sp1 = zero, sr0 = zero, sr1 = zero;                            \
    __m512 m = _mm512_setzero_ps();                                                    \
    __m512i n_above = _mm512_setzero_si512(), minus_one = _mm512_set1_epi32(-1);       \
    int32_t counts[16];                                                                \
    ptrdiff_t k, n_tail;                                                               \
    double lv, lp, lr, best, acc[4] = {0.0, 0.0, 0.0, 0.0}, tail_keys[16];             \
    int tail_nan = 0, c;                                                               \
    for (k = 0; k + 16 <= n; k += 16) {                                                \
        __m512 key = skh_abs16(row + k);                                               \
        SKH_BAND16(key, WITH_TOP, (int32_t*) NULL, 0, 1);                              \
    }                                                                                  \
    n_tail = skh_row_band_tail_float(row, k, n, lo, hi, 1.0, acc, &tail_nan, tail_keys, \
                                     0, 16);                                           \
    count = skh_append_narrow(tail_keys, NULL, n_tail, 0, keys, NULL, count, capacity); \
    lv = acc[0]; lp = acc[1]; lr = acc[2]; best = acc[3];                             \
    _mm512_storeu_si512((void*) counts, n_above);                                      \
    for (c = 0; c < 16; c++) lv += (double) counts[c];                                 \
    sums[0] = lv;                                                                      \
    sums[1] = (skh_hsum8(_mm512_add_pd(sp0, sp1)) + lp) * unit;                        \
    sums[2] = ((skh_hsum8(_mm512_add_pd(sr0, sr1)) + lr) * unit) * unit;               \
    if (WITH_TOP) {                                                                    \
        double vector_best = (double) _mm512_reduce_max_ps(m);                         \
        *top = vector_best > best ? vector_best : best;                                \
        *nan |= tail_nan | (sums[1] != sums[1]);                                       \
    }                                                                                  \
    return count;                                                                      \
}

SKH_ROW_BAND_512(skh_row_band_f32_avx512, 0)
SKH_ROW_BAND_512(skh_row_band_top_f32_avx512, 1)

/* skh_push_keys for eight keys: left-packed where eight fit, else one by one
 * (counting beyond capacity), in lane order. */
SKH_AVX512 static inline ptrdiff_t skh_push8_f64(double* keys, ptrdiff_t count,
                                                 ptrdiff_t capacity, __m512d key,
                                                 __mmask8 mask) {
    double lanes[8];
    if (count + 8 <= capacity) {
        _mm512_storeu_pd(keys + count, _mm512_maskz_compress_pd(mask, key));
        return count + _mm_popcnt_u32((unsigned) mask);
    }
    _mm512_storeu_pd(lanes, key);
    return skh_push_lanes(keys, count, capacity, lanes, 8, mask);
}

/* skh_row_band(_top)_f64 with AVX-512F (the same arguments): the AVX2 loop's
 * two vectors of four keys in one of eight, each lane's count and sums as
 * that loop's (lanes 0-3 its first accumulators, 4-7 its second), added up
 * as it adds them, the band's keys in the same order: the same results, bit
 * for bit.  (Issue 14, an Intel Xeon: float64 row groups' band read took
 * 0.14-0.16 ns a byte with AVX2, where column groups took 0.08-0.11.) */
#define SKH_ROW_BAND_F64_512(NAME, WITH_TOP)                                           \
SKH_AVX512 static ptrdiff_t NAME(const double* row, ptrdiff_t n, double lo, double hi, \
        double unit, double* sums, ptrdiff_t count, ptrdiff_t capacity, double* keys,  \
        double* top, int* nan) {                                                       \
    const __m512d vlo = _mm512_set1_pd(lo), vhi = _mm512_set1_pd(hi);                  \
    const __m512d vunit = _mm512_set1_pd(unit), zero = _mm512_setzero_pd();            \
    const __m512i magnitude = _mm512_set1_epi64(0x7fffffffffffffffLL);                  \
    const __m512i one = _mm512_set1_epi64(1);                                          \
    __m512d sp = zero, sr = zero, m = zero;                                            \
    __m512i sv = _mm512_setzero_si512();   /* counts of keys >= hi */                  \
    ptrdiff_t k;                                                                       \
    double acc[4] = {0.0, 0.0, 0.0, 0.0}, best;                                        \
    int tail_nan = 0;                                                                  \
    for (k = 0; k + 8 <= n; k += 8) {                                                  \
        const __m512d key = _mm512_castsi512_pd(_mm512_and_si512(                      \
            _mm512_castpd_si512(_mm512_loadu_pd(row + k)), magnitude));                \
        const __m512d d = _mm512_mul_pd(_mm512_max_pd(zero, _mm512_sub_pd(key, vhi)),  \
                                        vunit);                                        \
        const __mmask8 ge = _mm512_cmp_pd_mask(key, vhi, _CMP_GE_OQ);                  \
        /* lo < key < hi: above lo and not at or above hi (NaN: neither). */          \
        const __mmask8 inside = _mm512_mask_cmp_pd_mask((__mmask8) ~ge, key, vlo,      \
                                                        _CMP_GT_OQ);                   \
        if (WITH_TOP) m = _mm512_max_pd(m, key);                                       \
        sv = _mm512_mask_add_epi64(sv, ge, sv, one);                                   \
        sp = _mm512_add_pd(sp, d);                                                     \
        sr = _mm512_add_pd(sr, _mm512_mul_pd(d, d));                                   \
        if (__builtin_expect(inside != 0, 0))                                          \
            count = skh_push8_f64(keys, count, capacity, key, inside);                 \
    }                                                                                  \
    count = skh_row_band_tail_double(row, k, n, lo, hi, unit, acc, &tail_nan, keys,    \
                                     count, capacity);                                 \
    best = acc[3];                                                                     \
    sums[0] = skh_hsum_pd(skh_counts_pd(_mm256_add_epi64(                              \
        _mm512_castsi512_si256(sv), _mm512_extracti64x4_epi64(sv, 1)))) + acc[0];      \
    sums[1] = skh_hsum_pd(_mm256_add_pd(_mm512_castpd512_pd256(sp),                    \
                                        _mm512_extractf64x4_pd(sp, 1))) + acc[1];      \
    sums[2] = skh_hsum_pd(_mm256_add_pd(_mm512_castpd512_pd256(sr),                    \
                                        _mm512_extractf64x4_pd(sr, 1))) + acc[2];      \
    if (WITH_TOP) {                                                                    \
        double vector_best = skh_hmax_pd(_mm256_max_pd(_mm512_castpd512_pd256(m),      \
                                                       _mm512_extractf64x4_pd(m, 1))); \
        *top = vector_best > best ? vector_best : best;                                \
        /* A NaN key made the sum of excesses NaN. */                                 \
        *nan |= tail_nan | (sums[1] != sums[1]);                                       \
    }                                                                                  \
    return count;                                                                      \
}

SKH_ROW_BAND_F64_512(skh_row_band_f64_avx512, 0)
SKH_ROW_BAND_F64_512(skh_row_band_top_f64_avx512, 1)

/* Keys ahead in each row of a block that the float32 column band read asks
 * for (4 lines): the L1 prefetchers fell behind 8 interleaved rows, the more so
 * where rows are short (10000 x 1000: 0.157 ns a byte against 0.118 so; 1000 x
 * 10000: 0.126 against 0.104; 128 and 32 keys ahead measured between, 256
 * slower than none on rows of 1000). */
#define SKH_BAND_AHEAD 64
/* skh_columns_band_block(_top)_f32 with AVX-512 (same arguments and results;
 * ``branchless``: push every vector's band entries, without a branch on
 * whether it holds any, the faster where many do; two compresses a vector):
 * 16 groups a vector, their sums over the block's rows in registers, then
 * added to sum_v, sum_p, sum_r (in units: times unit[g] and its square). */
#define SKH_COLUMNS_BAND_BLOCK_512(NAME, AVX2_NAME, WITH_TOP)                          \
SKH_AVX512 static ptrdiff_t NAME(const float* rows, ptrdiff_t stride, ptrdiff_t n_rows, \
        ptrdiff_t n, double lo, double hi, const double* unit, double* sum_v,          \
        double* sum_p, double* sum_r, ptrdiff_t count, ptrdiff_t capacity,             \
        float* keys, int32_t* groups, double* top, int* nan, int branchless) {         \
    __m512 flo = _mm512_set1_ps(skp_float_below(lo));                                  \
    __m512 fhi = _mm512_set1_ps(skp_float_above(hi));                                  \
    __m512d vhi = _mm512_set1_pd(hi), zero = _mm512_setzero_pd();                      \
    __m512i minus_one = _mm512_set1_epi32(-1);                                         \
    __mmask8 bad = 0;                                                                  \
    ptrdiff_t g, r;                                                                    \
    for (g = 0; g + 16 <= n; g += 16) {                                                \
        __m512d sp0 = zero, sp1 = zero, sr0 = zero, sr1 = zero;                        \
        __m512 m = _mm512_setzero_ps();                                                \
        __m512i n_above = _mm512_setzero_si512();                                      \
        __m512d u0 = _mm512_loadu_pd(unit + g), u1 = _mm512_loadu_pd(unit + g + 8);    \
        for (r = 0; r < n_rows; r++) {                                                 \
            __m512 key = skh_abs16(rows + r * stride + g);                             \
            _mm_prefetch((const char*) (rows + r * stride + g + SKH_BAND_AHEAD),       \
                         _MM_HINT_T0);                                                 \
            SKH_BAND16(key, WITH_TOP, groups, g, branchless);                          \
        }                                                                              \
        _mm512_storeu_pd(sum_v + g, _mm512_add_pd(_mm512_loadu_pd(sum_v + g),          \
            _mm512_cvtepi32_pd(_mm512_castsi512_si256(n_above))));                     \
        _mm512_storeu_pd(sum_v + g + 8, _mm512_add_pd(_mm512_loadu_pd(sum_v + g + 8),  \
            _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(n_above, 1))));               \
        _mm512_storeu_pd(sum_p + g, _mm512_add_pd(_mm512_loadu_pd(sum_p + g),          \
                                                  _mm512_mul_pd(sp0, u0)));            \
        _mm512_storeu_pd(sum_p + g + 8, _mm512_add_pd(_mm512_loadu_pd(sum_p + g + 8),  \
                                                      _mm512_mul_pd(sp1, u1)));        \
        _mm512_storeu_pd(sum_r + g, _mm512_add_pd(_mm512_loadu_pd(sum_r + g),          \
            _mm512_mul_pd(_mm512_mul_pd(sr0, u0), u0)));                               \
        _mm512_storeu_pd(sum_r + g + 8, _mm512_add_pd(_mm512_loadu_pd(sum_r + g + 8),  \
            _mm512_mul_pd(_mm512_mul_pd(sr1, u1), u1)));                               \
        if (WITH_TOP) {                                                                \
            _mm512_storeu_pd(top + g, _mm512_max_pd(_mm512_loadu_pd(top + g),          \
                                                    skp_low8_pd(m)));                  \
            _mm512_storeu_pd(top + g + 8, _mm512_max_pd(_mm512_loadu_pd(top + g + 8),  \
                                                        skp_high8_pd(m)));             \
            /* A NaN key made the sum of excesses NaN. */                             \
            bad |= _mm512_cmp_pd_mask(sp0, sp1, _CMP_UNORD_Q);                         \
        }                                                                              \
    }                                                                                  \
    if (WITH_TOP)                                                                      \
        *nan |= bad != 0;                                                              \
    if (g < n) {  /* the last groups, fewer than 16: the AVX2 loop (groups from 0) */ \
        double tail_keys[16 * SKH_MAX_BLOCK_ROWS];                                     \
        int64_t tail_groups[16 * SKH_MAX_BLOCK_ROWS];                                  \
        ptrdiff_t n_tail = AVX2_NAME(rows + g, stride, n_rows, n - g, lo, hi, unit + g, \
                                     sum_v + g, sum_p + g, sum_r + g, 0,               \
                                     16 * SKH_MAX_BLOCK_ROWS, tail_keys, tail_groups,  \
                                     WITH_TOP ? top + g : NULL, nan);                  \
        count = skh_append_narrow(tail_keys, tail_groups, n_tail, g, keys, groups,     \
                                  count, capacity);                                    \
    }                                                                                  \
    return count;                                                                      \
}

SKH_COLUMNS_BAND_BLOCK_512(skh_columns_band_block_f32_avx512, skh_columns_band_block_f32, 0)
SKH_COLUMNS_BAND_BLOCK_512(skh_columns_band_block_top_f32_avx512,
                           skh_columns_band_block_top_f32, 1)

/* A pair of AVX2 vectors as one of twice the lanes (NAME: its type and the
 * prefix of its operations; HALF the AVX2 type, T its lanes' type, X the
 * intrinsics' suffix, pd or ps): lane-wise add, sub, mul, max, a broadcast,
 * unaligned loads and stores. */
#define SKH_PAIR_OP(NAME, OP, X)                                                       \
SKH_AVX2 static inline NAME NAME##_##OP(NAME a, NAME b) {                              \
    NAME r = {_mm256_##OP##_##X(a.low, b.low), _mm256_##OP##_##X(a.high, b.high)};     \
    return r;                                                                          \
}
#define SKH_VECTOR_PAIR(NAME, HALF, T, X)                                              \
typedef struct { HALF low, high; } NAME;                                               \
SKH_PAIR_OP(NAME, add, X)                                                              \
SKH_PAIR_OP(NAME, sub, X)                                                              \
SKH_PAIR_OP(NAME, mul, X)                                                              \
SKH_PAIR_OP(NAME, max, X)                                                              \
SKH_AVX2 static inline NAME NAME##_set1(double x) {                                    \
    NAME r = {_mm256_set1_##X((T) x), _mm256_set1_##X((T) x)};                         \
    return r;                                                                          \
}                                                                                      \
SKH_AVX2 static inline NAME NAME##_loadu(const T* p) {                                 \
    NAME r = {_mm256_loadu_##X(p), _mm256_loadu_##X(p + 32 / sizeof(T))};             \
    return r;                                                                          \
}                                                                                      \
SKH_AVX2 static inline void NAME##_storeu(T* p, NAME a) {                              \
    _mm256_storeu_##X(p, a.low);                                                       \
    _mm256_storeu_##X(p + 32 / sizeof(T), a.high);                                     \
}
/* Eight doubles, one a threshold of g's narrowing: one AVX-512 vector (z8) or
 * two AVX2 vectors (y8).  The same lane-wise operations at both widths, so
 * that g at 8 points is one body (SKH_G_AT_POINTS) giving the same bits. */
SKH_VECTOR_PAIR(skh_y8, __m256d, double, pd)
/* rho of a group at each t: N / sqrt(D2), or rho_one where t >= top or D2 <= 0. */
SKH_AVX2 static inline __m256d skh_rho4(__m256d t, __m256d N, __m256d D2, double top,
                                        double rho_one) {
    __m256d one_sparse = _mm256_or_pd(_mm256_cmp_pd(t, _mm256_set1_pd(top), _CMP_GE_OQ),
                                      _mm256_cmp_pd(D2, _mm256_setzero_pd(), _CMP_LE_OQ));
    return _mm256_blendv_pd(_mm256_div_pd(N, _mm256_sqrt_pd(D2)), _mm256_set1_pd(rho_one),
                            one_sparse);
}
SKH_AVX2 static inline skh_y8 skh_y8_rho(skh_y8 t, skh_y8 N, skh_y8 D2, double top,
                                         double rho_one) {
    skh_y8 r = {skh_rho4(t.low, N.low, D2.low, top, rho_one),
                skh_rho4(t.high, N.high, D2.high, top, rho_one)};
    return r;
}

typedef __m512d skh_z8;
#define skh_z8_add _mm512_add_pd
#define skh_z8_sub _mm512_sub_pd
#define skh_z8_mul _mm512_mul_pd
#define skh_z8_max _mm512_max_pd
#define skh_z8_set1 _mm512_set1_pd
#define skh_z8_loadu _mm512_loadu_pd
#define skh_z8_storeu _mm512_storeu_pd
SKH_AVX512 static inline __m512d skh_z8_rho(__m512d t, __m512d N, __m512d D2, double top,
                                            double rho_one) {
    __mmask8 one_sparse = _mm512_cmp_pd_mask(t, _mm512_set1_pd(top), _CMP_GE_OQ)
                          | _mm512_cmp_pd_mask(D2, _mm512_setzero_pd(), _CMP_LE_OQ);
    return _mm512_mask_blend_pd(one_sparse, _mm512_div_pd(N, _mm512_sqrt_pd(D2)),
                                _mm512_set1_pd(rho_one));
}

/* g at 8 thresholds ts (one per lane) in one pass over a band, as
 * _exact_g_at_points of _hoyer.pyx computes it (the same expressions in the
 * same order, no FMA): per group, the sums above re-centred at each t, the
 * band entries added, rho = N / sqrt(D2), or rho_one where t >= top or
 * D2 <= 0.  With WITH_T0, the same pass also gives g and its slope at t0 (the
 * band's lower end) in scalars, as _exact_g computes them: the check of a
 * bracket and the first narrowing read the band once.  With UNIT_VALS (every
 * v is 1, no weights) the v are not read: v * d is d, the same bits.  V8 is
 * the lanes' type (skh_y8 or skh_z8), ATTR its target. */
#define SKH_G_AT_POINTS(SUFFIX, ATTR, V8)                                              \
ATTR static inline __attribute__((always_inline)) void skh_g_at_points_##SUFFIX(       \
        ptrdiff_t n_groups, const double* ts, const double* top, const double* inv_top, \
        const double* rho_one, const double* above, const double* center,              \
        const int64_t* start, const double* keys, const double* vals, double* totals,  \
        const int WITH_T0, double t0, double* g0, double* slope0, const int UNIT_VALS) { \
    V8 vt = V8##_loadu(ts), zero = V8##_set1(0.0), two = V8##_set1(2.0);               \
    V8 total = zero;                                                                   \
    double total0 = 0.0, total_slope0 = 0.0;                                           \
    ptrdiff_t g, e;                                                                    \
    for (g = 0; g < n_groups; g++) {                                                   \
        V8 unit = V8##_set1(inv_top[g]);                                               \
        V8 V = V8##_set1(above[3 * g]), P = V8##_set1(above[3 * g + 1]);               \
        V8 R = V8##_set1(above[3 * g + 2]);                                            \
        V8 delta = V8##_mul(V8##_sub(V8##_set1(center[g]), vt), unit);                 \
        V8 N = V8##_add(P, V8##_mul(delta, V));                                        \
        V8 D2 = V8##_add(V8##_add(R, V8##_mul(V8##_mul(two, delta), P)),               \
                         V8##_mul(V8##_mul(delta, delta), V));                         \
        double unit0 = inv_top[g], delta0 = (center[g] - t0) * unit0, V0 = above[3 * g]; \
        double N0 = above[3 * g + 1] + delta0 * V0;                                    \
        double D20 = above[3 * g + 2] + 2 * delta0 * above[3 * g + 1] + delta0 * delta0 * V0; \
        for (e = start[g]; e < start[g + 1]; e++) {                                    \
            double ve = UNIT_VALS ? 1.0 : vals[e];                                     \
            V8 d = V8##_max(V8##_mul(V8##_sub(V8##_set1(keys[e]), vt), unit), zero);   \
            V8 vd = UNIT_VALS ? d : V8##_mul(V8##_set1(ve), d);                        \
            N = V8##_add(N, vd);                                                       \
            D2 = V8##_add(D2, V8##_mul(vd, d));                                        \
            if (WITH_T0) {                                                             \
                double d0 = (keys[e] - t0) * unit0;                                    \
                d0 = d0 > 0 ? d0 : 0.0;                                                \
                double vd0 = UNIT_VALS ? d0 : ve * d0;                                 \
                N0 += vd0;                                                             \
                D20 += vd0 * d0;                                                       \
                V0 += d0 > 0 ? ve : 0.0;                                               \
            }                                                                          \
        }                                                                              \
        total = V8##_add(total, V8##_rho(vt, N, D2, top[g], rho_one[g]));              \
        if (WITH_T0) {                                                                 \
            if (t0 >= top[g] || D20 <= 0) {                                            \
                total0 += rho_one[g];                                                  \
            } else {                                                                   \
                double root = sqrt(D20);                                               \
                total0 += N0 / root;                                                   \
                total_slope0 += (N0 * N0 - V0 * D20) / (D20 * root) * unit0;           \
            }                                                                          \
        }                                                                              \
    }                                                                                  \
    V8##_storeu(totals, total);                                                        \
    if (WITH_T0) {                                                                     \
        *g0 = total0;                                                                  \
        *slope0 = total_slope0;                                                        \
    }                                                                                  \
}

/* The body's instances (unit v or not; with t0 or not) at one width. */
#define SKH_G_AT_POINTS_ENTRIES(SUFFIX, ATTR)                                          \
ATTR static void skh_g_at_8_points_and_t0_##SUFFIX(ptrdiff_t n_groups, const double* ts, \
        const double* top, const double* inv_top, const double* rho_one,              \
        const double* above, const double* center, const int64_t* start,              \
        const double* keys, const double* vals, double* totals, double t0, double* g0, \
        double* slope0, int unit_vals) {                                               \
    if (unit_vals)                                                                     \
        skh_g_at_points_##SUFFIX(n_groups, ts, top, inv_top, rho_one, above, center,   \
                                 start, keys, vals, totals, 1, t0, g0, slope0, 1);     \
    else                                                                               \
        skh_g_at_points_##SUFFIX(n_groups, ts, top, inv_top, rho_one, above, center,   \
                                 start, keys, vals, totals, 1, t0, g0, slope0, 0);     \
}                                                                                      \
ATTR static void skh_g_at_8_points_##SUFFIX(ptrdiff_t n_groups, const double* ts,      \
        const double* top, const double* inv_top, const double* rho_one,              \
        const double* above, const double* center, const int64_t* start,              \
        const double* keys, const double* vals, double* totals, int unit_vals) {       \
    if (unit_vals)                                                                     \
        skh_g_at_points_##SUFFIX(n_groups, ts, top, inv_top, rho_one, above, center,   \
                                 start, keys, vals, totals, 0, 0.0, NULL, NULL, 1);    \
    else                                                                               \
        skh_g_at_points_##SUFFIX(n_groups, ts, top, inv_top, rho_one, above, center,   \
                                 start, keys, vals, totals, 0, 0.0, NULL, NULL, 0);    \
}

SKH_G_AT_POINTS(avx2, SKH_AVX2, skh_y8)
SKH_G_AT_POINTS_ENTRIES(avx2, SKH_AVX2)
SKH_G_AT_POINTS(avx512, SKH_AVX512, skh_z8)
SKH_G_AT_POINTS_ENTRIES(avx512, SKH_AVX512)

/* g at 8 points at the CPU's width: AVX-512 where the float32 passes run
 * (skh_avx512), two AVX2 vectors otherwise. */
static void skh_g_at_8_points_and_t0(ptrdiff_t n_groups, const double* ts,
        const double* top, const double* inv_top, const double* rho_one,
        const double* above, const double* center, const int64_t* start,
        const double* keys, const double* vals, double* totals, double t0, double* g0,
        double* slope0, int unit_vals) {
    (skh_avx512 ? skh_g_at_8_points_and_t0_avx512 : skh_g_at_8_points_and_t0_avx2)(
        n_groups, ts, top, inv_top, rho_one, above, center, start, keys, vals, totals, t0,
        g0, slope0, unit_vals);
}

static void skh_g_at_8_points(ptrdiff_t n_groups, const double* ts,
        const double* top, const double* inv_top, const double* rho_one,
        const double* above, const double* center, const int64_t* start,
        const double* keys, const double* vals, double* totals, int unit_vals) {
    (skh_avx512 ? skh_g_at_8_points_avx512 : skh_g_at_8_points_avx2)(
        n_groups, ts, top, inv_top, rho_one, above, center, start, keys, vals, totals,
        unit_vals);
}

/* g(t) as _exact_g of _hoyer.pyx computes it, 8 groups a vector: the same
 * expressions for each group (re-centred sums above, the band entries added in
 * their order, rho = N / sqrt(D2), or rho_one where t >= top or D2 <= 0), no
 * FMA, and the groups' rho (and slope terms) added to the totals one group at
 * a time, in the groups' order: the same bits.  The scalar loop spent most of
 * its time on mispredicted branches (a group's band holds 0, 1, 2 or 3
 * entries at random after the narrowing) and on a square root and divisions
 * a group, one after the other; here the entries of 8 groups are gathered
 * together (while every one of them has some: the lanes' loop runs as many
 * times as the longest, up to SKH_EXACT_G_LANES_MAX, the rest of a long band
 * one entry at a time), and the roots and divisions run 8 lanes at once.
 * ``slope`` and ``scales`` may be NULL (not computed), as in _exact_g. */
#define SKH_EXACT_G_LANES_MAX 16
SKH_AVX512 static inline __attribute__((always_inline)) double skh_exact_g_body(
        ptrdiff_t n_groups, double t, double band_hi, const double* top,
        const double* inv_top, const double* rho_one, const double* above,
        const double* center, const int64_t* start, const double* keys, const double* vals,
        double* slope, double* scales, const int UNIT_VALS, const int WITH_SLOPE,
        const int WITH_SCALES) {
    const __m512i v_idx0 = _mm512_setr_epi64(0, 3, 6, 9, 12, 15, 0, 0);
    const __m512i v_idx1 = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 10, 13);
    const __m512i p_idx0 = _mm512_setr_epi64(1, 4, 7, 10, 13, 0, 0, 0);
    const __m512i p_idx1 = _mm512_setr_epi64(0, 1, 2, 3, 4, 8, 11, 14);
    const __m512i r_idx0 = _mm512_setr_epi64(2, 5, 8, 11, 14, 0, 0, 0);
    const __m512i r_idx1 = _mm512_setr_epi64(0, 1, 2, 3, 4, 9, 12, 15);
    __m512d vt = _mm512_set1_pd(t), zero = _mm512_setzero_pd(), two = _mm512_set1_pd(2.0);
    __m512d one = _mm512_set1_pd(1.0);
    double total = 0.0, total_slope = 0.0;
    double rho[8], slope_terms[8], lanes_n[8], lanes_d2[8], lanes_v[8];
    int64_t first[8], count[8];
    ptrdiff_t g, e, k;
    int lane;
    for (g = 0; g < n_groups; g += 8) {
        int n_lanes = n_groups - g < 8 ? (int) (n_groups - g) : 8;
        __mmask8 lanes = (__mmask8) ((1u << n_lanes) - 1);
        __m512d a0, a1, a2, V, P, R, unit, delta, N, D2, root, value;
        __m512i begin, end, counts;
        __mmask8 one_sparse, bad, active;
        int64_t longest;
        /* The sums above, stored group after group (V, P, R): 3 vectors. */
        a0 = _mm512_maskz_loadu_pd((__mmask8) (n_lanes * 3 >= 8 ? 0xff : (1u << (n_lanes * 3)) - 1),
                                   above + 3 * g);
        a1 = _mm512_maskz_loadu_pd((__mmask8) (n_lanes * 3 >= 16 ? 0xff :
                                   n_lanes * 3 <= 8 ? 0 : (1u << (n_lanes * 3 - 8)) - 1),
                                   above + 3 * g + 8);
        a2 = _mm512_maskz_loadu_pd((__mmask8) (n_lanes * 3 >= 24 ? 0xff :
                                   n_lanes * 3 <= 16 ? 0 : (1u << (n_lanes * 3 - 16)) - 1),
                                   above + 3 * g + 16);
        V = _mm512_permutex2var_pd(_mm512_permutex2var_pd(a0, v_idx0, a1), v_idx1, a2);
        P = _mm512_permutex2var_pd(_mm512_permutex2var_pd(a0, p_idx0, a1), p_idx1, a2);
        R = _mm512_permutex2var_pd(_mm512_permutex2var_pd(a0, r_idx0, a1), r_idx1, a2);
        unit = _mm512_maskz_loadu_pd(lanes, inv_top + g);
        one_sparse = _mm512_mask_cmp_pd_mask(lanes, vt, _mm512_maskz_loadu_pd(lanes, top + g),
                                             _CMP_GE_OQ) | (__mmask8) ~lanes;
        delta = _mm512_mul_pd(_mm512_sub_pd(_mm512_maskz_loadu_pd(lanes, center + g), vt),
                              unit);
        N = _mm512_add_pd(P, _mm512_mul_pd(delta, V));
        D2 = _mm512_add_pd(_mm512_add_pd(R, _mm512_mul_pd(_mm512_mul_pd(two, delta), P)),
                           _mm512_mul_pd(_mm512_mul_pd(delta, delta), V));
        /* (At or above the band's upper end, every entry adds zeros: none read.) */
        if (t < band_hi) {
            begin = _mm512_maskz_loadu_epi64(lanes, start + g);
            end = _mm512_maskz_loadu_epi64(lanes, start + g + 1);
            counts = _mm512_maskz_sub_epi64((__mmask8) ~one_sparse, end, begin);
            longest = _mm512_reduce_max_epi64(counts);
            for (k = 0; k < longest && k < SKH_EXACT_G_LANES_MAX; k++) {
                __m512i kk = _mm512_set1_epi64(k);
                __m512d key, d, vd, v = one;
                active = _mm512_cmp_epi64_mask(kk, counts, _MM_CMPINT_LT);
                key = _mm512_mask_i64gather_pd(zero, active, _mm512_add_epi64(begin, kk),
                                               keys, 8);
                d = _mm512_max_pd(_mm512_mul_pd(_mm512_sub_pd(key, vt), unit), zero);
                if (!UNIT_VALS)
                    v = _mm512_mask_i64gather_pd(zero, active, _mm512_add_epi64(begin, kk),
                                                 vals, 8);
                vd = UNIT_VALS ? d : _mm512_mul_pd(v, d);
                N = _mm512_mask_add_pd(N, active, N, vd);
                D2 = _mm512_mask_add_pd(D2, active, D2, _mm512_mul_pd(vd, d));
                V = _mm512_mask_add_pd(V, active, V, _mm512_maskz_mov_pd(
                    _mm512_cmp_pd_mask(d, zero, _CMP_GT_OQ), v));
            }
            if (longest > SKH_EXACT_G_LANES_MAX) {
                /* The rest of the long bands, one entry at a time, in order. */
                _mm512_storeu_pd(lanes_n, N);
                _mm512_storeu_pd(lanes_d2, D2);
                _mm512_storeu_pd(lanes_v, V);
                _mm512_storeu_si512((void*) first, begin);
                _mm512_storeu_si512((void*) count, counts);
                for (lane = 0; lane < n_lanes; lane++) {
                    for (e = first[lane] + SKH_EXACT_G_LANES_MAX;
                         e < first[lane] + count[lane]; e++) {
                        double d = (keys[e] - t) * inv_top[g + lane];
                        double ve = UNIT_VALS ? 1.0 : vals[e];
                        d = d > 0 ? d : 0.0;
                        lanes_n[lane] += ve * d;
                        lanes_d2[lane] += ve * d * d;
                        lanes_v[lane] += d > 0 ? ve : 0.0;
                    }
                }
                N = _mm512_loadu_pd(lanes_n);
                D2 = _mm512_loadu_pd(lanes_d2);
                V = _mm512_loadu_pd(lanes_v);
            }
        }
        bad = one_sparse | _mm512_cmp_pd_mask(D2, zero, _CMP_LE_OQ);
        root = _mm512_sqrt_pd(D2);
        value = _mm512_mask_blend_pd(bad, _mm512_div_pd(N, root),
                                     _mm512_maskz_loadu_pd(lanes, rho_one + g));
        _mm512_storeu_pd(rho, value);
        if (WITH_SLOPE)
            _mm512_storeu_pd(slope_terms, _mm512_mul_pd(_mm512_div_pd(
                _mm512_sub_pd(_mm512_mul_pd(N, N), _mm512_mul_pd(V, D2)),
                _mm512_mul_pd(D2, root)), unit));
        if (WITH_SCALES)
            _mm512_mask_storeu_pd(scales + g, lanes, _mm512_maskz_add_pd(
                (__mmask8) ~bad, one, _mm512_div_pd(_mm512_mul_pd(_mm512_mul_pd(vt, unit), N),
                                                   D2)));
        for (lane = 0; lane < n_lanes; lane++) {
            total += rho[lane];
            if (WITH_SLOPE && !((bad >> lane) & 1))
                total_slope += slope_terms[lane];
        }
    }
    if (WITH_SLOPE)
        *slope = total_slope;
    return total;
}

SKH_AVX512 static double skh_exact_g(ptrdiff_t n_groups, double t, double band_hi,
        const double* top, const double* inv_top, const double* rho_one, const double* above,
        const double* center, const int64_t* start, const double* keys, const double* vals,
        int unit_vals, double* slope, double* scales) {
#define SKH_EXACT_G_CASE(U, S, C)                                                          \
    if (!!unit_vals == U && (slope != NULL) == S && (scales != NULL) == C)                 \
        return skh_exact_g_body(n_groups, t, band_hi, top, inv_top, rho_one, above, center, \
                                start, keys, vals, slope, scales, U, S, C);
    SKH_EXACT_G_CASE(1, 1, 0)
    SKH_EXACT_G_CASE(1, 0, 0)
    SKH_EXACT_G_CASE(0, 1, 0)
    SKH_EXACT_G_CASE(0, 0, 0)
    SKH_EXACT_G_CASE(1, 0, 1)
    SKH_EXACT_G_CASE(0, 0, 1)
    SKH_EXACT_G_CASE(1, 1, 1)
    SKH_EXACT_G_CASE(0, 1, 1)
#undef SKH_EXACT_G_CASE
    return 0.0;
}

/* The number of float keys with lo < key < hi (the sample's share of a band). */
SKH_AVX512 static ptrdiff_t skh_count_between_f32(const float* keys, ptrdiff_t n, double lo,
                                                  double hi) {
    __m512 flo = _mm512_set1_ps(skp_float_below(lo));
    __m512 fhi = _mm512_set1_ps(skp_float_above(hi));
    ptrdiff_t k, count = 0;
    for (k = 0; k + 16 <= n; k += 16) {
        __m512 key = _mm512_loadu_ps(keys + k);
        count += _mm_popcnt_u32((unsigned) _mm512_mask_cmp_ps_mask(
            _mm512_cmp_ps_mask(key, flo, _CMP_GT_OQ), key, fhi, _CMP_LT_OQ));
    }
    for (; k < n; k++)
        count += lo < keys[k] && keys[k] < hi;
    return count;
}

/* skh_write_f32 with AVX-512: 8 floats a vector, computed in double. */
/* The write's expression on 8 doubles (skh_shrink's, 8 lanes). */
SKH_AVX512 static inline __m512d skh_shrink8(__m512d y, __m512d t, __m512d scale) {
    const __m512i sign = _mm512_set1_epi64((int64_t) 0x8000000000000000ULL);
    __m512d magnitude = _mm512_castsi512_pd(_mm512_andnot_si512(sign, _mm512_castpd_si512(y)));
    __m512d shrunk = _mm512_mul_pd(_mm512_max_pd(_mm512_sub_pd(magnitude, t),
                                                 _mm512_setzero_pd()), scale);
    return _mm512_castsi512_pd(_mm512_or_si512(_mm512_castpd_si512(shrunk),
                                               _mm512_and_si512(sign, _mm512_castpd_si512(y))));
}

/* ... on 8 floats (in double, rounded once). */
SKH_AVX512 static inline __m256 skh_write8_f32(const float* src, __m512d vt, __m512d vs) {
    return _mm512_cvtpd_ps(skh_shrink8(_mm512_cvtps_pd(_mm256_loadu_ps(src)), vt, vs));
}

static inline float skh_write1_f32(float value, double t, double scale) {
    return (float) skh_write1_f64((double) value, t, scale);
}

/* With ``stream`` (a large result): the row's whole cache lines written by
 * non-temporal stores, the values before and after them by plain ones, each
 * by the same expression (so the same bits); the caller fences after its
 * last row (skh_stream_fence).  t and scale as skh_write_f32's. */
SKH_AVX512 static void skh_write_f32_avx512(const float* src, float* dst, ptrdiff_t n,
                                            const double* t, int t_step, const double* scale,
                                            int scale_step, int stream) {
    __m512d vt = _mm512_set1_pd(t[0]), vs = _mm512_set1_pd(scale[0]);
    ptrdiff_t k = 0, head, stop;
#define SKH_WRITE8_AT(k) skh_write8_f32(src + (k), t_step ? _mm512_loadu_pd(t + (k)) : vt, \
                                        scale_step ? _mm512_loadu_pd(scale + (k)) : vs)
    if (stream && ((uintptr_t) dst & 3) == 0) {
        head = (ptrdiff_t) (((64 - ((uintptr_t) dst & 63)) & 63) / 4);
        if (head < n) {
            stop = head + (n - head) / 16 * 16;
            for (; k < head; k++)
                dst[k] = skh_write1_f32(src[k], t[k * t_step], scale[k * scale_step]);
            for (; k < stop; k += 8)
                _mm256_stream_ps(dst + k, SKH_WRITE8_AT(k));
        }
    }
    for (; k + 8 <= n; k += 8)
        _mm256_storeu_ps(dst + k, SKH_WRITE8_AT(k));
#undef SKH_WRITE8_AT
    for (; k < n; k++)
        dst[k] = skh_write1_f32(src[k], t[k * t_step], scale[k * scale_step]);
}

/* skh_write_f64 with AVX-512: 8 doubles a vector, the AVX2 loop's operations
 * on each value (the same bits); with ``stream``, a large result's whole
 * lines by non-temporal stores, as skh_write_f32_avx512's.  (Issue 14, an
 * Intel Xeon: float64 rows of 1000 x 10000 written through the caches cost
 * 0.15-0.16 ns a byte, about 1.3 copies of the matrix, where float32's
 * streamed rows cost 0.064.) */
SKH_AVX512 static void skh_write_f64_avx512(const double* src, double* dst, ptrdiff_t n,
                                            const double* t, int t_step, const double* scale,
                                            int scale_step, int stream) {
    __m512d vt = _mm512_set1_pd(t[0]), vs = _mm512_set1_pd(scale[0]);
    ptrdiff_t k = 0, head, stop;
#define SKH_WRITE8_AT(k) skh_shrink8(_mm512_loadu_pd(src + (k)),                        \
                                     t_step ? _mm512_loadu_pd(t + (k)) : vt,            \
                                     scale_step ? _mm512_loadu_pd(scale + (k)) : vs)
    if (stream && ((uintptr_t) dst & 7) == 0) {
        head = (ptrdiff_t) (((64 - ((uintptr_t) dst & 63)) & 63) / 8);
        if (head < n) {
            stop = head + (n - head) / 8 * 8;
            for (; k < head; k++)
                dst[k] = skh_write1_f64(src[k], t[k * t_step], scale[k * scale_step]);
            for (; k < stop; k += 8)
                _mm512_stream_pd(dst + k, SKH_WRITE8_AT(k));
        }
    }
    for (; k + 8 <= n; k += 8)
        _mm512_storeu_pd(dst + k, SKH_WRITE8_AT(k));
#undef SKH_WRITE8_AT
    for (; k < n; k++)
        dst[k] = skh_write1_f64(src[k], t[k * t_step], scale[k * scale_step]);
}

static inline void skh_stream_fence(void) { _mm_sfence(); }

/* skh_write_f32_avx512 on a block of n_rows (at most 8) rows of column groups,
 * row r's threshold thresholds[r]: each vector of 8 groups' scales loaded once
 * for the block's rows (one row at a time, a row of 10^4 groups read 80 kB of
 * scales, twice its own bytes, out of the L2 cache: 1000 x 10000 wrote at
 * 0.19 ns a byte against 0.15 so); the same expression, element by element. */
SKH_AVX512 static void skh_write_columns_f32_avx512(const float* src, ptrdiff_t src_stride,
        float* dst, ptrdiff_t dst_stride, ptrdiff_t n_rows, ptrdiff_t n,
        const double* thresholds, const double* scale) {
    ptrdiff_t k, r;
    /* (a result too small to stream: streamed, the block's 8 rows written a
     * vector each in turn left their lines partial in the write-combining
     * buffers, 10000 x 1000 at s = 0.5: the write 1.8 -> 1.9 copies of the
     * matrix; _hoyer.pyx streams large results a row at a time instead) */
    for (k = 0; k + 8 <= n; k += 8) {
        __m512d vs = _mm512_loadu_pd(scale + k);
        for (r = 0; r < n_rows; r++)
            _mm256_storeu_ps(dst + r * dst_stride + k, skh_write8_f32(
                src + r * src_stride + k, _mm512_set1_pd(thresholds[r]), vs));
    }
    for (r = 0; r < n_rows; r++)
        for (ptrdiff_t j = k; j < n; j++)
            dst[r * dst_stride + j] = skh_write1_f32(src[r * src_stride + j], thresholds[r],
                                                     scale[j]);
}

#else  /* no AVX2 loops: the portable loops of _hoyer.pyx run */

static inline int skh_set_avx512(int on) { return 0; }
static inline ptrdiff_t skh_row_band_f32_avx512(const float* row, ptrdiff_t n, double lo,
        double hi, double unit, double* sums, ptrdiff_t count, ptrdiff_t capacity,
        float* keys, double* top, int* nan) { return 0; }
static inline ptrdiff_t skh_row_band_top_f32_avx512(const float* row, ptrdiff_t n, double lo,
        double hi, double unit, double* sums, ptrdiff_t count, ptrdiff_t capacity,
        float* keys, double* top, int* nan) { return 0; }
static inline ptrdiff_t skh_columns_band_block_f32_avx512(const float* rows, ptrdiff_t stride,
        ptrdiff_t n_rows, ptrdiff_t n, double lo, double hi, const double* unit,
        double* sum_v, double* sum_p, double* sum_r, ptrdiff_t count, ptrdiff_t capacity,
        float* keys, int32_t* groups, double* top, int* nan,
        int branchless) { return 0; }
static inline ptrdiff_t skh_columns_band_block_top_f32_avx512(const float* rows,
        ptrdiff_t stride, ptrdiff_t n_rows, ptrdiff_t n, double lo, double hi,
        const double* unit, double* sum_v, double* sum_p, double* sum_r, ptrdiff_t count,
        ptrdiff_t capacity, float* keys, int32_t* groups, double* top, int* nan,
        int branchless) { return 0; }
static inline void skh_write_f32_avx512(const float* src, float* dst, ptrdiff_t n,
                                        const double* t, int t_step, const double* scale,
                                        int scale_step, int stream) {}
static inline void skh_write_f64_avx512(const double* src, double* dst, ptrdiff_t n,
                                        const double* t, int t_step, const double* scale,
                                        int scale_step, int stream) {}
static inline ptrdiff_t skh_row_band_f64_avx512(const double* row, ptrdiff_t n, double lo,
        double hi, double unit, double* sums, ptrdiff_t count, ptrdiff_t capacity,
        double* keys, double* top, int* nan) { return 0; }
static inline ptrdiff_t skh_row_band_top_f64_avx512(const double* row, ptrdiff_t n,
        double lo, double hi, double unit, double* sums, ptrdiff_t count,
        ptrdiff_t capacity, double* keys, double* top, int* nan) { return 0; }
static inline void skh_stream_fence(void) {}
static inline ptrdiff_t skh_count_between_f32(const float* keys, ptrdiff_t n, double lo,
                                              double hi) { return 0; }
static inline void skh_g_at_8_points(ptrdiff_t n_groups, const double* ts, const double* top,
        const double* inv_top, const double* rho_one, const double* above,
        const double* center, const int64_t* start, const double* keys, const double* vals,
        double* totals, int unit_vals) {}
static inline void skh_g_at_8_points_and_t0(ptrdiff_t n_groups, const double* ts,
        const double* top, const double* inv_top, const double* rho_one, const double* above,
        const double* center, const int64_t* start, const double* keys, const double* vals,
        double* totals, double t0, double* g0, double* slope0, int unit_vals) {}

static inline double skh_exact_g(ptrdiff_t n_groups, double t, double band_hi,
        const double* top, const double* inv_top, const double* rho_one, const double* above,
        const double* center, const int64_t* start, const double* keys, const double* vals,
        int unit_vals, double* slope, double* scales) { return 0.0; }

static inline void skh_write_columns_f32_avx512(const float* src, ptrdiff_t src_stride,
        float* dst, ptrdiff_t dst_stride, ptrdiff_t n_rows, ptrdiff_t n,
        const double* thresholds, const double* scale) {}
static inline int skh_have_avx2(void) { return 0; }
static inline int skh_row_top_f64(const double* row, ptrdiff_t n, double* top,
                                  ptrdiff_t* arg) { return 0; }
static inline int skh_row_top_f32(const float* row, ptrdiff_t n, double* top,
                                  ptrdiff_t* arg) { return 0; }
static inline ptrdiff_t skh_row_band_f64(const double* row, ptrdiff_t n, double lo,
        double hi, double unit, double* sums, ptrdiff_t count, ptrdiff_t capacity,
        double* keys, double* top, int* nan) { return 0; }
static inline ptrdiff_t skh_row_band_f32(const float* row, ptrdiff_t n, double lo,
        double hi, double unit, double* sums, ptrdiff_t count, ptrdiff_t capacity,
        double* keys, double* top, int* nan) { return 0; }
static inline ptrdiff_t skh_row_band_top_f64(const double* row, ptrdiff_t n, double lo,
        double hi, double unit, double* sums, ptrdiff_t count, ptrdiff_t capacity,
        double* keys, double* top, int* nan) { return 0; }
static inline ptrdiff_t skh_row_band_top_f32(const float* row, ptrdiff_t n, double lo,
        double hi, double unit, double* sums, ptrdiff_t count, ptrdiff_t capacity,
        double* keys, double* top, int* nan) { return 0; }
static inline int skh_columns_top_f64(const double* row, ptrdiff_t n, double iw,
        ptrdiff_t i, double* top, int64_t* arg) { return 0; }
static inline int skh_columns_top_f32(const float* row, ptrdiff_t n, double iw,
        ptrdiff_t i, double* top, int64_t* arg) { return 0; }
static inline int skh_columns_max_f64(const double* rows, ptrdiff_t stride,
        ptrdiff_t n_rows, ptrdiff_t n, double* top) { return 0; }
static inline int skh_columns_max_f32(const float* rows, ptrdiff_t stride,
        ptrdiff_t n_rows, ptrdiff_t n, double* top) { return 0; }
static inline ptrdiff_t skh_columns_band_f64(const double* row, ptrdiff_t n, double iw,
        double vi, double lo, double hi, const double* unit, double* sum_v,
        double* sum_p, double* sum_r, ptrdiff_t count, ptrdiff_t capacity,
        double* keys, int64_t* groups, ptrdiff_t first_group) { return 0; }
static inline ptrdiff_t skh_columns_band_f32(const float* row, ptrdiff_t n, double iw,
        double vi, double lo, double hi, const double* unit, double* sum_v,
        double* sum_p, double* sum_r, ptrdiff_t count, ptrdiff_t capacity,
        double* keys, int64_t* groups, ptrdiff_t first_group) { return 0; }
static inline void skh_write_f64(const double* src, double* dst, ptrdiff_t n,
                                 const double* t, int t_step, const double* scale,
                                 int scale_step) {}
static inline ptrdiff_t skh_columns_band_block_f64(const double* rows, ptrdiff_t stride,
        ptrdiff_t n_rows, ptrdiff_t n, double lo, double hi, const double* unit,
        double* sum_v, double* sum_p, double* sum_r, ptrdiff_t count, ptrdiff_t capacity,
        double* keys, int64_t* groups, double* top, int* nan) { return 0; }
static inline ptrdiff_t skh_columns_band_block_top_f64(const double* rows, ptrdiff_t stride,
        ptrdiff_t n_rows, ptrdiff_t n, double lo, double hi, const double* unit,
        double* sum_v, double* sum_p, double* sum_r, ptrdiff_t count, ptrdiff_t capacity,
        double* keys, int64_t* groups, double* top, int* nan) { return 0; }
static inline ptrdiff_t skh_columns_band_block_f32(const float* rows, ptrdiff_t stride,
        ptrdiff_t n_rows, ptrdiff_t n, double lo, double hi, const double* unit,
        double* sum_v, double* sum_p, double* sum_r, ptrdiff_t count, ptrdiff_t capacity,
        double* keys, int64_t* groups, double* top, int* nan) { return 0; }
static inline ptrdiff_t skh_columns_band_block_top_f32(const float* rows, ptrdiff_t stride,
        ptrdiff_t n_rows, ptrdiff_t n, double lo, double hi, const double* unit,
        double* sum_v, double* sum_p, double* sum_r, ptrdiff_t count, ptrdiff_t capacity,
        double* keys, int64_t* groups, double* top, int* nan) { return 0; }
static inline void skh_write_f32(const float* src, float* dst, ptrdiff_t n,
                                 const double* t, int t_step, const double* scale,
                                 int scale_step) {}
#define SKH_WEIGHTED_STUBS(SUFFIX, T)                                                  \
static inline int skh_row_top_weighted_##SUFFIX(const T* row, ptrdiff_t n,             \
        const double* iw, double* top, ptrdiff_t* arg) { return 0; }                   \
static inline ptrdiff_t skh_row_band_weighted_##SUFFIX(const T* row, ptrdiff_t n,      \
        const double* iw, const double* v, double lo, double hi, double unit,          \
        ptrdiff_t group, double* sums, ptrdiff_t count, ptrdiff_t capacity,            \
        double* keys, double* vals, ptrdiff_t* groups) { return 0; }
SKH_WEIGHTED_STUBS(f64, double)
SKH_WEIGHTED_STUBS(f32, float)
#define SKH_COLUMNS_WEIGHTED_STUBS(SUFFIX, T)                                          \
static inline int skh_columns_top_weighted_##SUFFIX(const T* rows, ptrdiff_t stride,   \
        ptrdiff_t n_rows, ptrdiff_t n, const double* iw, ptrdiff_t first_row,          \
        double* top, int64_t* arg) { return 0; }                                       \
static inline ptrdiff_t skh_columns_band_weighted_##SUFFIX(const T* rows,              \
        ptrdiff_t stride, ptrdiff_t n_rows, ptrdiff_t n, const double* iw,             \
        const double* v, double lo, double hi, const double* unit, double* sum_v,      \
        double* sum_p, double* sum_r, ptrdiff_t count, ptrdiff_t capacity,             \
        double* keys, double* vals, int64_t* groups, ptrdiff_t first_group) { return 0; } \
static inline int skh_columns_top_weighted512_##SUFFIX(const T* rows, ptrdiff_t stride, \
        ptrdiff_t n_rows, ptrdiff_t n, const double* iw, ptrdiff_t first_row,          \
        double* top, int64_t* arg) { return 0; }                                       \
static inline ptrdiff_t skh_columns_band_weighted512_##SUFFIX(const T* rows,           \
        ptrdiff_t stride, ptrdiff_t n_rows, ptrdiff_t n, const double* iw,             \
        const double* v, double lo, double hi, const double* unit, double* sum_v,      \
        double* sum_p, double* sum_r, ptrdiff_t count, ptrdiff_t capacity,             \
        double* keys, double* vals, int64_t* groups) { return 0; }
SKH_COLUMNS_WEIGHTED_STUBS(f64, double)
SKH_COLUMNS_WEIGHTED_STUBS(f32, float)

#endif

#endif  /* SKPROJ_HOYER_SIMD_H */
