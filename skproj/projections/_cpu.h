/* The CPU features the kernels choose their vector loops by, at run time
 * (nothing is compiled for the build machine's CPU), less those that the
 * environment variable SKPROJ_DISABLE_CPU_FEATURES names, as NumPy's
 * NPY_DISABLE_CPU_FEATURES does for its own loops.
 *
 * The variable is a list of names separated by commas or spaces, in any
 * case: "avx512f" turns off every AVX-512 loop (and any "avx512..." name
 * does), "avx2" the AVX2 loops and the AVX-512 ones built on them, "fma"
 * and "popcnt" the loops that need those.  It is read once in each
 * extension module, when it first chooses its loops (at import).  It serves
 * two ends: a workaround where a vector loop misbehaves on some CPU, and
 * memory checkers that do not model AVX-512 (valgrind's memcheck) running
 * the shipped build through its AVX2 loops.  The loops compute the same
 * results; the AVX2 ones are slower.  skproj/projections/_cpu.py reads the
 * same variable and warns about names it does not know.
 */
#ifndef SKPROJ_CPU_H
#define SKPROJ_CPU_H

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define SKP_CPU_OFF_AVX2 1
#define SKP_CPU_OFF_AVX512 2
#define SKP_CPU_OFF_FMA 4
#define SKP_CPU_OFF_POPCNT 8

/* Whether the first ``n`` characters of ``token`` are ``name``, in any case. */
static inline int skp_cpu_token_is(const char* token, size_t n, const char* name) {
    size_t k;
    if (strlen(name) != n) return 0;
    for (k = 0; k < n; k++)
        if (tolower((unsigned char) token[k]) != name[k]) return 0;
    return 1;
}

/* The SKP_CPU_OFF_* bits of the features the variable turns off. */
static inline int skp_cpu_parse_off(const char* list) {
    int off = 0;
    while (list != NULL && *list) {
        size_t n = strcspn(list, ", \t");
        if (n >= 6 && skp_cpu_token_is(list, 6, "avx512"))
            off |= SKP_CPU_OFF_AVX512;
        else if (skp_cpu_token_is(list, n, "avx2"))
            off |= SKP_CPU_OFF_AVX2 | SKP_CPU_OFF_AVX512;
        else if (skp_cpu_token_is(list, n, "fma"))
            off |= SKP_CPU_OFF_FMA;
        else if (skp_cpu_token_is(list, n, "popcnt"))
            off |= SKP_CPU_OFF_POPCNT;
        list += n;
        list += strspn(list, ", \t");
    }
    return off;
}

/* Whether the variable turns ``feature`` (a __builtin_cpu_supports name) off. */
static inline int skp_cpu_turned_off(const char* feature) {
    static int off = -1;
    if (off < 0) off = skp_cpu_parse_off(getenv("SKPROJ_DISABLE_CPU_FEATURES"));
    if (strncmp(feature, "avx512", 6) == 0) return (off & SKP_CPU_OFF_AVX512) != 0;
    if (strcmp(feature, "avx2") == 0) return (off & SKP_CPU_OFF_AVX2) != 0;
    if (strcmp(feature, "fma") == 0) return (off & SKP_CPU_OFF_FMA) != 0;
    if (strcmp(feature, "popcnt") == 0) return (off & SKP_CPU_OFF_POPCNT) != 0;
    return 0;
}

/* Whether the CPU has ``feature`` (a string literal) and the variable leaves it on. */
#define SKP_CPU_HAS(feature) (__builtin_cpu_supports(feature) && !skp_cpu_turned_off(feature))

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <cpuid.h>

/* Whether the CPU is an AMD Zen 5 or later (family 0x1A on; CPUID's base
 * family is 0xF there, the extended one added to it).  The choices of loop
 * that an AMD Zen 5 and an Intel Xeon measured apart (skp_prefer_for_cpu in
 * _l1_simd.h, _preferred_row_blocks in _l1inf_dense.pyx, _panels_into_l1 in
 * _l1inf_strips.pyx) went the Xeon's way
 * on an AMD Zen 4 (family 0x19: 32 KiB of L1 a core to the Zen 5's 48), so
 * they follow the family, not the maker; two that the Zen 4 measured
 * apart from the Xeon follow the maker (skp_cpu_amd: skp_shrink_strips in
 * _l1_simd.h, skp_small_ahead_of_copy in _l1inf_small.h).  Asked once:
 * CPUID traps to the hypervisor in a virtual machine. */
static inline int skp_cpu_zen5_or_later(void) {
    static int zen5 = -1;
    unsigned int eax, ebx, ecx, edx, family;
    if (zen5 >= 0) return zen5;
    __builtin_cpu_init();
    zen5 = 0;
    if (__builtin_cpu_is("amd") && __get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        family = (eax >> 8) & 0xF;
        if (family == 0xF) family += (eax >> 20) & 0xFF;
        zen5 = family >= 0x1A;
    }
    return zen5;
}

/* Whether the CPU is AMD's (asked once, as above). */
static inline int skp_cpu_amd(void) {
    static int amd = -1;
    if (amd < 0) {
        __builtin_cpu_init();
        amd = __builtin_cpu_is("amd") != 0;
    }
    return amd;
}
#else
static inline int skp_cpu_zen5_or_later(void) { return 0; }
static inline int skp_cpu_amd(void) { return 0; }
#endif

#endif
