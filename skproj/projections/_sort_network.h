/* Short groups sorted in SIMD lanes: a sorting network for up to
 * SKP_SHORT_COLUMN_ROWS values a lane, and a switch that inlines a loop
 * with its group length a constant (and one with a norm's kind too).
 * Shared by bilevel_l11's short columns and rows (_bilevel_simd.h), the
 * exact l1,inf ball's short groups (_l1inf_short.h) and the short rows'
 * norms (_streaming_simd.h).  Plain C: the callers' target attributes apply to
 * the compare-exchanges they pass in. */
#ifndef SKPROJ_SORT_NETWORK_H
#define SKPROJ_SORT_NETWORK_H

/* Groups of at most this many values are sorted in lanes. */
#define SKP_SHORT_COLUMN_ROWS 16

/* The compare-exchanges of a sorting network for n <= SKP_SHORT_COLUMN_ROWS
 * inputs (row n: skp_sort_sizes[n] pairs, the larger value to the first
 * index): Batcher's odd-even merge sort, its network for the power of two
 * at or above n less the pairs that reach past n (inputs of -inf there
 * would never move; Knuth, TAOCP vol. 3, 5.3.4, algorithm M), each row
 * checked on every input of zeros and ones (the 0-1 principle).  16 inputs
 * take 63 pairs where insertion took 120, 10 inputs 32 rather than 45. */
static const unsigned char skp_sort_sizes[17] = {
    0, 0, 1, 3, 5, 9, 12, 16, 19, 28, 32, 38, 42, 48, 53, 59, 63};
static const unsigned char skp_sort_pairs[17][63][2] = {
    {{0, 0}},
    {{0, 0}},
    {{0, 1}},
    {{0, 1}, {0, 2}, {1, 2}},
    {{0, 1}, {2, 3}, {0, 2}, {1, 3}, {1, 2}},
    {{0, 1}, {2, 3}, {0, 2}, {1, 3}, {1, 2}, {0, 4}, {2, 4}, {1, 2}, {3, 4}},
    {{0, 1}, {2, 3}, {4, 5}, {0, 2}, {1, 3}, {1, 2}, {0, 4}, {1, 5}, {2, 4}, {3, 5}, {1, 2},
     {3, 4}},
    {{0, 1}, {2, 3}, {4, 5}, {0, 2}, {1, 3}, {4, 6}, {1, 2}, {5, 6}, {0, 4}, {1, 5}, {2, 6},
     {2, 4}, {3, 5}, {1, 2}, {3, 4}, {5, 6}},
    {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 2}, {1, 3}, {4, 6}, {5, 7}, {1, 2}, {5, 6}, {0, 4},
     {1, 5}, {2, 6}, {3, 7}, {2, 4}, {3, 5}, {1, 2}, {3, 4}, {5, 6}},
    {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 2}, {1, 3}, {4, 6}, {5, 7}, {1, 2}, {5, 6}, {0, 4},
     {1, 5}, {2, 6}, {3, 7}, {2, 4}, {3, 5}, {1, 2}, {3, 4}, {5, 6}, {0, 8}, {4, 8}, {2, 4},
     {3, 5}, {6, 8}, {1, 2}, {3, 4}, {5, 6}, {7, 8}},
    {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}, {0, 2}, {1, 3}, {4, 6}, {5, 7}, {1, 2}, {5, 6},
     {0, 4}, {1, 5}, {2, 6}, {3, 7}, {2, 4}, {3, 5}, {1, 2}, {3, 4}, {5, 6}, {0, 8}, {1, 9},
     {4, 8}, {5, 9}, {2, 4}, {3, 5}, {6, 8}, {7, 9}, {1, 2}, {3, 4}, {5, 6}, {7, 8}},
    {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}, {0, 2}, {1, 3}, {4, 6}, {5, 7}, {8, 10}, {1, 2},
     {5, 6}, {9, 10}, {0, 4}, {1, 5}, {2, 6}, {3, 7}, {2, 4}, {3, 5}, {1, 2}, {3, 4}, {5, 6},
     {9, 10}, {0, 8}, {1, 9}, {2, 10}, {4, 8}, {5, 9}, {6, 10}, {2, 4}, {3, 5}, {6, 8}, {7, 9},
     {1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}},
    {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}, {10, 11}, {0, 2}, {1, 3}, {4, 6}, {5, 7}, {8, 10},
     {9, 11}, {1, 2}, {5, 6}, {9, 10}, {0, 4}, {1, 5}, {2, 6}, {3, 7}, {2, 4}, {3, 5}, {1, 2},
     {3, 4}, {5, 6}, {9, 10}, {0, 8}, {1, 9}, {2, 10}, {3, 11}, {4, 8}, {5, 9}, {6, 10},
     {7, 11}, {2, 4}, {3, 5}, {6, 8}, {7, 9}, {1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}},
    {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}, {10, 11}, {0, 2}, {1, 3}, {4, 6}, {5, 7}, {8, 10},
     {9, 11}, {1, 2}, {5, 6}, {9, 10}, {0, 4}, {1, 5}, {2, 6}, {3, 7}, {8, 12}, {2, 4}, {3, 5},
     {10, 12}, {1, 2}, {3, 4}, {5, 6}, {9, 10}, {11, 12}, {0, 8}, {1, 9}, {2, 10}, {3, 11},
     {4, 12}, {4, 8}, {5, 9}, {6, 10}, {7, 11}, {2, 4}, {3, 5}, {6, 8}, {7, 9}, {10, 12},
     {1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}},
    {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}, {10, 11}, {12, 13}, {0, 2}, {1, 3}, {4, 6},
     {5, 7}, {8, 10}, {9, 11}, {1, 2}, {5, 6}, {9, 10}, {0, 4}, {1, 5}, {2, 6}, {3, 7},
     {8, 12}, {9, 13}, {2, 4}, {3, 5}, {10, 12}, {11, 13}, {1, 2}, {3, 4}, {5, 6}, {9, 10},
     {11, 12}, {0, 8}, {1, 9}, {2, 10}, {3, 11}, {4, 12}, {5, 13}, {4, 8}, {5, 9}, {6, 10},
     {7, 11}, {2, 4}, {3, 5}, {6, 8}, {7, 9}, {10, 12}, {11, 13}, {1, 2}, {3, 4}, {5, 6},
     {7, 8}, {9, 10}, {11, 12}},
    {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}, {10, 11}, {12, 13}, {0, 2}, {1, 3}, {4, 6},
     {5, 7}, {8, 10}, {9, 11}, {12, 14}, {1, 2}, {5, 6}, {9, 10}, {13, 14}, {0, 4}, {1, 5},
     {2, 6}, {3, 7}, {8, 12}, {9, 13}, {10, 14}, {2, 4}, {3, 5}, {10, 12}, {11, 13}, {1, 2},
     {3, 4}, {5, 6}, {9, 10}, {11, 12}, {13, 14}, {0, 8}, {1, 9}, {2, 10}, {3, 11}, {4, 12},
     {5, 13}, {6, 14}, {4, 8}, {5, 9}, {6, 10}, {7, 11}, {2, 4}, {3, 5}, {6, 8}, {7, 9},
     {10, 12}, {11, 13}, {1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}, {13, 14}},
    {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}, {10, 11}, {12, 13}, {14, 15}, {0, 2}, {1, 3},
     {4, 6}, {5, 7}, {8, 10}, {9, 11}, {12, 14}, {13, 15}, {1, 2}, {5, 6}, {9, 10}, {13, 14},
     {0, 4}, {1, 5}, {2, 6}, {3, 7}, {8, 12}, {9, 13}, {10, 14}, {11, 15}, {2, 4}, {3, 5},
     {10, 12}, {11, 13}, {1, 2}, {3, 4}, {5, 6}, {9, 10}, {11, 12}, {13, 14}, {0, 8}, {1, 9},
     {2, 10}, {3, 11}, {4, 12}, {5, 13}, {6, 14}, {7, 15}, {4, 8}, {5, 9}, {6, 10}, {7, 11},
     {2, 4}, {3, 5}, {6, 8}, {7, 9}, {10, 12}, {11, 13}, {1, 2}, {3, 4}, {5, 6}, {7, 8},
     {9, 10}, {11, 12}, {13, 14}},
};

/* Sort the ``n`` vectors ``s`` lane by lane, largest first, by the network
 * above: compare-exchanges (MAX and MIN of two vectors), unrolled whole with
 * ``n`` a constant, so that the vectors stay in registers (GCC kept an
 * insertion a loop over a stack array from 10 rows on without the pragma). */
#define SKP_SORT_DESCENDING(s, n, MAX, MIN)                                   \
    do {                                                                      \
        int p_;                                                               \
        _Pragma("GCC unroll 64")                                              \
        for (p_ = 0; p_ < skp_sort_sizes[n]; p_++) {                          \
            const int a_ = skp_sort_pairs[n][p_][0], b_ = skp_sort_pairs[n][p_][1]; \
            const __typeof__((s)[0]) larger_ = MAX((s)[a_], (s)[b_]);         \
            (s)[b_] = MIN((s)[a_], (s)[b_]);                                  \
            (s)[a_] = larger_;                                                \
        }                                                                     \
    } while (0)

/* CALL(A, B, N) with N the constant equal to ``n`` (1 to SKP_SHORT_COLUMN_ROWS,
 * the last case for any larger): the short columns' and rows' loops, each
 * inlined with its length a constant so that their vectors stay in
 * registers. */
#define SKP_FOR_LENGTH(n, CALL, A, B)                                                      \
    switch (n) {                                                                            \
    case 1: CALL(A, B, 1); break;                                                           \
    case 2: CALL(A, B, 2); break;                                                           \
    case 3: CALL(A, B, 3); break;                                                           \
    case 4: CALL(A, B, 4); break;                                                           \
    case 5: CALL(A, B, 5); break;                                                           \
    case 6: CALL(A, B, 6); break;                                                           \
    case 7: CALL(A, B, 7); break;                                                           \
    case 8: CALL(A, B, 8); break;                                                           \
    case 9: CALL(A, B, 9); break;                                                           \
    case 10: CALL(A, B, 10); break;                                                         \
    case 11: CALL(A, B, 11); break;                                                         \
    case 12: CALL(A, B, 12); break;                                                         \
    case 13: CALL(A, B, 13); break;                                                         \
    case 14: CALL(A, B, 14); break;                                                         \
    case 15: CALL(A, B, 15); break;                                                         \
    default: CALL(A, B, 16); break;                                                         \
    }

/* The same for a norm's kind too (0: max, 2: l2, any other: l1), the call
 * CALL(KIND, _, N) inlined with both constants (the short rows' norms). */
#define SKP_FOR_KIND_AND_LENGTH(kind, n, CALL)                                              \
    switch (kind) {                                                                         \
    case 0: SKP_FOR_LENGTH(n, CALL, 0, _) break;                                            \
    case 2: SKP_FOR_LENGTH(n, CALL, 2, _) break;                                            \
    default: SKP_FOR_LENGTH(n, CALL, 1, _) break;                                           \
    }

#endif
