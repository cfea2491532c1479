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

#endif
