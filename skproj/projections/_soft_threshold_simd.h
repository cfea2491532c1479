/* The soft threshold of a tensor in place, with a threshold per entry, in one
 * pass (see ``soft_threshold`` in _l1.pyx):
 *
 *     t_i = step * c_i / (sqrt(v_i * metric) + eps)   with a second moment v,
 *     t_i = step * c_i                                 without (v NULL),
 *     w_i <- sign(w_i) * max(|w_i| - t_i, 0),
 *
 * c_i = 1 where ``scale`` is NULL.  Every operation is IEEE's (a square root,
 * a division, products and differences, each rounded once in the type of w:
 * the build turns off the compiler's fusing of a product and a sum into an
 * FMA, -ffp-contract=off in setup.py, which gcc does under the AVX-512 target
 * and which put step * c_i - |w_i| one unit in the last place off), so the
 * AVX-512, AVX2 and plain C loops give the same bits.  A NaN entry stays NaN (the max keeps
 * it), a zeroed negative entry is -0.0 (the sign is copied).  The loops run
 * where the CPU has the instructions (skp_have_avx2, skp_avx512 of
 * _l1_simd.h, included before this file).
 */
#ifndef SKPROJ_SOFT_THRESHOLD_SIMD_H
#define SKPROJ_SOFT_THRESHOLD_SIMD_H

#include <math.h>
#include <stddef.h>

#include "_l1_simd.h"

#define SKP_SOFT_SCALAR(T, SQRT)                                                          \
    static inline T skp_soft_##T(T w, const T* v, const T* c, ptrdiff_t i, T step,       \
                                 T metric, T eps) {                                       \
        T t = c ? step * c[i] : step, r;                                                  \
        if (v) t = t / (SQRT(v[i] * metric) + eps);                                       \
        r = (T) fabs((double) w) - t;                                                     \
        r = r <= 0 ? (T) 0 : r;                                                           \
        return (T) copysign((double) r, (double) w);                                      \
    }
SKP_SOFT_SCALAR(float, sqrtf)
SKP_SOFT_SCALAR(double, sqrt)
#undef SKP_SOFT_SCALAR

#define SKP_SOFT_PLAIN(T)                                                                 \
    static inline ptrdiff_t skp_soft_plain_##T(T* w, ptrdiff_t start, ptrdiff_t n,       \
                                               const T* v, const T* c, T step, T metric,  \
                                               T eps) {                                   \
        ptrdiff_t i;                                                                      \
        for (i = start; i < n; i++) w[i] = skp_soft_##T(w[i], v, c, i, step, metric, eps);\
        return n;                                                                         \
    }
SKP_SOFT_PLAIN(float)
SKP_SOFT_PLAIN(double)
#undef SKP_SOFT_PLAIN

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))

/* One vector: the threshold, then the shrunk magnitude with w's sign.  The
 * max is a blend where r <= 0 (ordered: a NaN r is kept). */
#define SKP_SOFT_VECTOR(ATTR, NAME, VEC, MASK, LOAD, STORE, SET1, MUL, DIV, SQRT, ADD, SUB,  \
                        AND, ANDNOT, OR, ZERO_WHERE_LE, LANES, T)                            \
    ATTR static ptrdiff_t NAME(T* w, ptrdiff_t n, const T* v, const T* c, T step, T metric,  \
                               T eps) {                                                      \
        const VEC step_v = SET1(step), metric_v = SET1(metric), eps_v = SET1(eps);          \
        const VEC sign = SET1((T) -0.0);                                                     \
        ptrdiff_t i;                                                                         \
        for (i = 0; i + LANES <= n; i += LANES) {                                            \
            VEC x = LOAD(w + i), t = c ? MUL(step_v, LOAD(c + i)) : step_v, r;              \
            if (v) t = DIV(t, ADD(SQRT(MUL(LOAD(v + i), metric_v)), eps_v));                \
            r = SUB(ANDNOT(sign, x), t);                                                     \
            r = ZERO_WHERE_LE(r);                                                            \
            STORE(w + i, OR(r, AND(sign, x)));                                               \
        }                                                                                    \
        return i;                                                                            \
    }

#define SKP_SOFT_AVX2 __attribute__((target("avx2")))
#define SKP_SOFT_AVX512 __attribute__((target("avx512f")))

#define SKP_LE_ZERO_256_PS(r) \
    _mm256_andnot_ps(_mm256_cmp_ps(r, _mm256_setzero_ps(), _CMP_LE_OQ), r)
#define SKP_LE_ZERO_256_PD(r) \
    _mm256_andnot_pd(_mm256_cmp_pd(r, _mm256_setzero_pd(), _CMP_LE_OQ), r)
#define SKP_LE_ZERO_512_PS(r) \
    _mm512_maskz_mov_ps(~_mm512_cmp_ps_mask(r, _mm512_setzero_ps(), _CMP_LE_OQ), r)
#define SKP_LE_ZERO_512_PD(r) \
    _mm512_maskz_mov_pd(~_mm512_cmp_pd_mask(r, _mm512_setzero_pd(), _CMP_LE_OQ), r)
#define SKP_AND_512_PS(a, b) _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), \
                                                                  _mm512_castps_si512(b)))
#define SKP_ANDNOT_512_PS(a, b) _mm512_castsi512_ps(_mm512_andnot_si512( \
    _mm512_castps_si512(a), _mm512_castps_si512(b)))
#define SKP_OR_512_PS(a, b) _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(a), \
                                                                _mm512_castps_si512(b)))
#define SKP_AND_512_PD(a, b) _mm512_castsi512_pd(_mm512_and_si512(_mm512_castpd_si512(a), \
                                                                  _mm512_castpd_si512(b)))
#define SKP_ANDNOT_512_PD(a, b) _mm512_castsi512_pd(_mm512_andnot_si512( \
    _mm512_castpd_si512(a), _mm512_castpd_si512(b)))
#define SKP_OR_512_PD(a, b) _mm512_castsi512_pd(_mm512_or_si512(_mm512_castpd_si512(a), \
                                                                _mm512_castpd_si512(b)))

SKP_SOFT_VECTOR(SKP_SOFT_AVX2, skp_soft_avx2_float, __m256, , _mm256_loadu_ps, _mm256_storeu_ps,
                _mm256_set1_ps, _mm256_mul_ps, _mm256_div_ps, _mm256_sqrt_ps, _mm256_add_ps,
                _mm256_sub_ps, _mm256_and_ps, _mm256_andnot_ps, _mm256_or_ps,
                SKP_LE_ZERO_256_PS, 8, float)
SKP_SOFT_VECTOR(SKP_SOFT_AVX2, skp_soft_avx2_double, __m256d, , _mm256_loadu_pd,
                _mm256_storeu_pd, _mm256_set1_pd, _mm256_mul_pd, _mm256_div_pd, _mm256_sqrt_pd,
                _mm256_add_pd, _mm256_sub_pd, _mm256_and_pd, _mm256_andnot_pd, _mm256_or_pd,
                SKP_LE_ZERO_256_PD, 4, double)
SKP_SOFT_VECTOR(SKP_SOFT_AVX512, skp_soft_avx512_float, __m512, , _mm512_loadu_ps,
                _mm512_storeu_ps, _mm512_set1_ps, _mm512_mul_ps, _mm512_div_ps, _mm512_sqrt_ps,
                _mm512_add_ps, _mm512_sub_ps, SKP_AND_512_PS, SKP_ANDNOT_512_PS, SKP_OR_512_PS,
                SKP_LE_ZERO_512_PS, 16, float)
SKP_SOFT_VECTOR(SKP_SOFT_AVX512, skp_soft_avx512_double, __m512d, , _mm512_loadu_pd,
                _mm512_storeu_pd, _mm512_set1_pd, _mm512_mul_pd, _mm512_div_pd, _mm512_sqrt_pd,
                _mm512_add_pd, _mm512_sub_pd, SKP_AND_512_PD, SKP_ANDNOT_512_PD, SKP_OR_512_PD,
                SKP_LE_ZERO_512_PD, 8, double)

#define SKP_SOFT_ENTRY(T)                                                                 \
    static inline void skp_soft_threshold_##T(T* w, ptrdiff_t n, const T* v, const T* c,  \
                                              double step, double metric, double eps,      \
                                              int simd) {                                  \
        ptrdiff_t done = 0;                                                               \
        if (simd && skp_have_avx2())                                                      \
            done = skp_avx512 ? skp_soft_avx512_##T(w, n, v, c, (T) step, (T) metric,     \
                                                    (T) eps)                               \
                              : skp_soft_avx2_##T(w, n, v, c, (T) step, (T) metric,       \
                                                  (T) eps);                                \
        skp_soft_plain_##T(w, done, n, v, c, (T) step, (T) metric, (T) eps);              \
    }

#else  /* no SIMD loops: the plain C loop */

#define SKP_SOFT_ENTRY(T)                                                                 \
    static inline void skp_soft_threshold_##T(T* w, ptrdiff_t n, const T* v, const T* c,  \
                                              double step, double metric, double eps,      \
                                              int simd) {                                  \
        skp_soft_plain_##T(w, 0, n, v, c, (T) step, (T) metric, (T) eps);                 \
    }

#endif

SKP_SOFT_ENTRY(float)
SKP_SOFT_ENTRY(double)
#undef SKP_SOFT_ENTRY

#endif
