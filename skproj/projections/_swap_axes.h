/* The copy of a contiguous (a, b, k) array into a contiguous (b, a, k) one,
 * dst[j, i, :] = src[i, j, :] (_arrays.swap_leading_axes): skproj.nn's rows
 * of a convolution's input channels, from its weight (out, in, kernel) and
 * back.
 *
 * Rows of src are taken SKP_SWAP_BLOCK at a time, so that each row of dst
 * gets whole lines and src is read as that many sequential streams (a row
 * at a time, the rows of a large weight a few kB apart fell into a handful
 * of L1 sets: 256 x 128 x 3 x 3 float32 76 us, then 67).  A run of k values
 * is a loop of constant length for the common kernel sizes (1, 2, 3, 5, 7
 * entries a side, 1-D or square, 2 x 2 and 4 x 4), which the compiler turns into
 * a few fixed moves rather than a loop or a call of memcpy. */
#ifndef SKPROJ_SWAP_AXES_H
#define SKPROJ_SWAP_AXES_H

#include <stddef.h>

#define SKP_SWAP_BLOCK 16

#define SKP_SWAP_RUNS(T, SUFFIX)                                                           \
static inline __attribute__((always_inline)) void skp_swap_runs_##SUFFIX(                   \
        const T* src, T* dst, ptrdiff_t a, ptrdiff_t b, const ptrdiff_t k) {               \
    ptrdiff_t i0, i, j, t;                                                                 \
    for (i0 = 0; i0 < a; i0 += SKP_SWAP_BLOCK) {                                           \
        const ptrdiff_t end = a - i0 < SKP_SWAP_BLOCK ? a : i0 + SKP_SWAP_BLOCK;          \
        for (j = 0; j < b; j++) {                                                          \
            T* d = dst + (j * a + i0) * k;                                                 \
            const T* s = src + (i0 * b + j) * k;                                           \
            for (i = i0; i < end; i++, d += k, s += b * k)                                 \
                for (t = 0; t < k; t++) d[t] = s[t];                                       \
        }                                                                                  \
    }                                                                                      \
}                                                                                          \
static void skp_swap_leading_axes_##SUFFIX(const T* src, T* dst, ptrdiff_t a, ptrdiff_t b, \
                                           ptrdiff_t k) {                                  \
    switch (k) {                                                                           \
        SKP_SWAP_CASE(SUFFIX, 1) SKP_SWAP_CASE(SUFFIX, 2) SKP_SWAP_CASE(SUFFIX, 3)         \
        SKP_SWAP_CASE(SUFFIX, 4) SKP_SWAP_CASE(SUFFIX, 5) SKP_SWAP_CASE(SUFFIX, 7)         \
        SKP_SWAP_CASE(SUFFIX, 9) SKP_SWAP_CASE(SUFFIX, 16) SKP_SWAP_CASE(SUFFIX, 25)       \
        SKP_SWAP_CASE(SUFFIX, 49)                                                          \
        default: skp_swap_runs_##SUFFIX(src, dst, a, b, k);                                \
    }                                                                                      \
}
#define SKP_SWAP_CASE(SUFFIX, K) case K: skp_swap_runs_##SUFFIX(src, dst, a, b, K); return;

SKP_SWAP_RUNS(float, f32)
SKP_SWAP_RUNS(double, f64)

#undef SKP_SWAP_CASE
#undef SKP_SWAP_RUNS

#endif
