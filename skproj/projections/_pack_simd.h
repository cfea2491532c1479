/* The left-packing permutations of the AVX2 kernels (_l1_simd.h,
 * _bilevel_simd.h, _l1inf_simd.h, _hoyer_simd.h), defined once.
 *
 * A loop that keeps some lanes of a vector moves them to the front with
 * _mm256_permutevar8x32 and the row of a table indexed by the comparison's
 * bit mask (bit l: lane l kept), stores the whole vector at its cursor and
 * advances the cursor by the number kept.  The lanes past those kept repeat
 * lane 0: they are stored but never read (the next store or the end of the
 * list is at the cursor).  The tables are constant: nothing fills them at
 * run time, and every kernel module reads the same ones.
 */
#ifndef SKPROJ_PACK_SIMD_H
#define SKPROJ_PACK_SIMD_H

#include <stdint.h>

/* Four doubles (or int64) under a 4-bit mask, as pairs of int32 lanes. */
static const int32_t skp_pack4[16][8] = {
    {0, 1, 0, 1, 0, 1, 0, 1},  /* mask 0000 (lane 3 .. lane 0) */
    {0, 1, 0, 1, 0, 1, 0, 1},  /* 0001 */
    {2, 3, 0, 1, 0, 1, 0, 1},  /* 0010 */
    {0, 1, 2, 3, 0, 1, 0, 1},  /* 0011 */
    {4, 5, 0, 1, 0, 1, 0, 1},  /* 0100 */
    {0, 1, 4, 5, 0, 1, 0, 1},  /* 0101 */
    {2, 3, 4, 5, 0, 1, 0, 1},  /* 0110 */
    {0, 1, 2, 3, 4, 5, 0, 1},  /* 0111 */
    {6, 7, 0, 1, 0, 1, 0, 1},  /* 1000 */
    {0, 1, 6, 7, 0, 1, 0, 1},  /* 1001 */
    {2, 3, 6, 7, 0, 1, 0, 1},  /* 1010 */
    {0, 1, 2, 3, 6, 7, 0, 1},  /* 1011 */
    {4, 5, 6, 7, 0, 1, 0, 1},  /* 1100 */
    {0, 1, 4, 5, 6, 7, 0, 1},  /* 1101 */
    {2, 3, 4, 5, 6, 7, 0, 1},  /* 1110 */
    {0, 1, 2, 3, 4, 5, 6, 7},  /* 1111 */
};

/* Four int32 (the low half of a vector) under the same 4-bit mask. */
static const int32_t skp_pack4_32[16][8] = {
    {0, 0, 0, 0, 0, 0, 0, 0},  /* mask 0000 (lane 3 .. lane 0) */
    {0, 0, 0, 0, 0, 0, 0, 0},  /* 0001 */
    {1, 0, 0, 0, 0, 0, 0, 0},  /* 0010 */
    {0, 1, 0, 0, 0, 0, 0, 0},  /* 0011 */
    {2, 0, 0, 0, 0, 0, 0, 0},  /* 0100 */
    {0, 2, 0, 0, 0, 0, 0, 0},  /* 0101 */
    {1, 2, 0, 0, 0, 0, 0, 0},  /* 0110 */
    {0, 1, 2, 0, 0, 0, 0, 0},  /* 0111 */
    {3, 0, 0, 0, 0, 0, 0, 0},  /* 1000 */
    {0, 3, 0, 0, 0, 0, 0, 0},  /* 1001 */
    {1, 3, 0, 0, 0, 0, 0, 0},  /* 1010 */
    {0, 1, 3, 0, 0, 0, 0, 0},  /* 1011 */
    {2, 3, 0, 0, 0, 0, 0, 0},  /* 1100 */
    {0, 2, 3, 0, 0, 0, 0, 0},  /* 1101 */
    {1, 2, 3, 0, 0, 0, 0, 0},  /* 1110 */
    {0, 1, 2, 3, 0, 0, 0, 0},  /* 1111 */
};

/* Eight floats or int32 under an 8-bit mask, built by the preprocessor: slot
 * k holds the kept lane with k kept lanes below it (lane 0 where none). */
#define SKP_BIT(m, l) (((m) >> (l)) & 1)
#define SKP_BELOW(m, l)                                                          \
    (SKP_BIT(m, 0) * ((l) > 0) + SKP_BIT(m, 1) * ((l) > 1) + SKP_BIT(m, 2) * ((l) > 2) \
     + SKP_BIT(m, 3) * ((l) > 3) + SKP_BIT(m, 4) * ((l) > 4) + SKP_BIT(m, 5) * ((l) > 5) \
     + SKP_BIT(m, 6) * ((l) > 6))
#define SKP_IF_AT(m, l, k) ((l) * (SKP_BIT(m, l) && SKP_BELOW(m, l) == (k)))
#define SKP_LANE_AT(m, k)                                                        \
    (SKP_IF_AT(m, 1, k) + SKP_IF_AT(m, 2, k) + SKP_IF_AT(m, 3, k) + SKP_IF_AT(m, 4, k) \
     + SKP_IF_AT(m, 5, k) + SKP_IF_AT(m, 6, k) + SKP_IF_AT(m, 7, k))
#define SKP_PACK8_ROW(m)                                                         \
    {SKP_LANE_AT(m, 0), SKP_LANE_AT(m, 1), SKP_LANE_AT(m, 2), SKP_LANE_AT(m, 3),     \
     SKP_LANE_AT(m, 4), SKP_LANE_AT(m, 5), SKP_LANE_AT(m, 6), SKP_LANE_AT(m, 7)}
#define SKP_PACK8_4(m) SKP_PACK8_ROW(m), SKP_PACK8_ROW(m + 1), SKP_PACK8_ROW(m + 2),     \
    SKP_PACK8_ROW(m + 3)
#define SKP_PACK8_16(m) SKP_PACK8_4(m), SKP_PACK8_4(m + 4), SKP_PACK8_4(m + 8),          \
    SKP_PACK8_4(m + 12)
#define SKP_PACK8_64(m) SKP_PACK8_16(m), SKP_PACK8_16(m + 16), SKP_PACK8_16(m + 32),     \
    SKP_PACK8_16(m + 48)
static const int32_t skp_pack8[256][8] = {
    SKP_PACK8_64(0), SKP_PACK8_64(64), SKP_PACK8_64(128), SKP_PACK8_64(192)};
#undef SKP_PACK8_64
#undef SKP_PACK8_16
#undef SKP_PACK8_4
#undef SKP_PACK8_ROW
#undef SKP_LANE_AT
#undef SKP_IF_AT
#undef SKP_BELOW
#undef SKP_BIT

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>

/* The lanes of four doubles under a 4-bit mask moved to the front (the
 * others repeat lane 0), for a whole vector stored at a cursor.  AVX2; every
 * kernel's AVX2 and AVX-512 functions may inline it. */
__attribute__((target("avx2"))) static inline __m256d skp_packed4(__m256d x, int mask) {
    return _mm256_castps_pd(_mm256_permutevar8x32_ps(
        _mm256_castpd_ps(x), _mm256_loadu_si256((const __m256i*) skp_pack4[mask])));
}

/* The lanes of v under mask stored at dst, in order: what
 * _mm512_mask_compressstoreu_* does, as a compress into a register and a
 * masked store of its first lanes.  The memory form is microcoded on AMD's
 * Zen 4: about 80 cycles a store, against 6 for these two (a C harness,
 * 16-float vectors in L1, 21.7 against 1.6 ns a store; issue 14).  Like the
 * memory form, it writes no lane past the kept ones, so it fits a buffer's
 * end.  AVX-512F; the AVX-512 functions of every kernel may inline them. */
#define SKP_COMPRESS_AVX512 __attribute__((target("avx512f,popcnt"), always_inline))
SKP_COMPRESS_AVX512 static inline void skp_compress_store_pd(double* dst, __mmask8 mask,
                                                             __m512d v) {
    const __mmask8 first = (__mmask8) ((1u << _mm_popcnt_u32((unsigned) mask)) - 1);
    _mm512_mask_storeu_pd(dst, first, _mm512_maskz_compress_pd(mask, v));
}
SKP_COMPRESS_AVX512 static inline void skp_compress_store_ps(float* dst, __mmask16 mask,
                                                             __m512 v) {
    const __mmask16 first = (__mmask16) ((1u << _mm_popcnt_u32((unsigned) mask)) - 1);
    _mm512_mask_storeu_ps(dst, first, _mm512_maskz_compress_ps(mask, v));
}
SKP_COMPRESS_AVX512 static inline void skp_compress_store_epi64(int64_t* dst, __mmask8 mask,
                                                                __m512i v) {
    const __mmask8 first = (__mmask8) ((1u << _mm_popcnt_u32((unsigned) mask)) - 1);
    _mm512_mask_storeu_epi64(dst, first, _mm512_maskz_compress_epi64(mask, v));
}
#undef SKP_COMPRESS_AVX512
#endif

#endif
