/* The float32 bounds that order every float32 as a double bound does.
 *
 * The float32 loops of the kernels compare their entries in float32 (eight
 * or sixteen a vector, where double would take half as many): against the
 * float f that gives, for every float a, the same answer as the double bound
 * (a > f exactly where a > bound, or a >= f exactly where a >= bound), the
 * comparisons are exact.  Defined once here for the l1 scans and passes
 * (_l1_simd.h, and through it _bilevel_simd.h), the group Hoyer band reads
 * (_hoyer_simd.h) and the exact l1,inf ball's passes (_l1inf_small.h).
 *
 * The neighbouring float is taken by a step of one in the bits (a call to
 * nextafterf costs a libm call, in loops that take one bound a strip);
 * bounds beyond float32's range are answered without a conversion, which C
 * leaves undefined there.
 */
#ifndef SKPROJ_FLOAT_BOUNDS_H
#define SKPROJ_FLOAT_BOUNDS_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* The float one unit from f (finite, not zero) towards +inf (``up``) or -inf. */
static inline float skp_float_step(float f, const int up) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof(bits));
    /* away from zero where the step goes the way of f's sign */
    bits = (up == !(bits >> 31)) ? bits + 1u : bits - 1u;
    memcpy(&f, &bits, sizeof(f));
    return f;
}

/* The largest float f with (a > f) == (a > bound) for every float a: the
 * largest float at or below bound (-inf below -FLT_MAX, NaN for NaN). */
static inline float skp_float_below(double bound) {
    float f;
    if (bound > (double) FLT_MAX) return bound == INFINITY ? INFINITY : FLT_MAX;
    if (bound < -(double) FLT_MAX) return -INFINITY;
    f = (float) bound;
    if (!((double) f > bound)) return f;
    return f == 0.0f ? -FLT_TRUE_MIN : skp_float_step(f, 0);
}

/* The smallest float f with (a >= f) == (a >= bound) for every float a: the
 * smallest float at or above bound (+inf above FLT_MAX, NaN for NaN). */
static inline float skp_float_above(double bound) {
    float f;
    if (bound > (double) FLT_MAX) return INFINITY;
    if (bound < -(double) FLT_MAX) return bound == -INFINITY ? -INFINITY : -FLT_MAX;
    f = (float) bound;
    if (!((double) f < bound)) return f;
    return f == 0.0f ? FLT_TRUE_MIN : skp_float_step(f, 1);
}

#endif  /* SKPROJ_FLOAT_BOUNDS_H */
