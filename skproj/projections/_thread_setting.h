/* How many threads run the halves of a large projection (_threads.h): 1
 * or 2.  Included by _l1.pyx alone, so that the setting is one for every
 * kernel (_bilevel reads it through _l1's ``half_threads``): _l1.pyx sets it
 * at import, from _cpu.kernel_threads.  threadpoolctl's controller of
 * skproj (_cpu.py) finds the two functions below by name in _l1's library,
 * as it finds OpenBLAS's or OpenMP's, so that ``threadpool_limits(1)``
 * keeps the halves on one thread. */
#ifndef SKPROJ_THREAD_SETTING_H
#define SKPROJ_THREAD_SETTING_H

static int skp_threads = 1;

#if defined(__GNUC__) || defined(__clang__)
#define SKP_EXPORT __attribute__((visibility("default")))
#else
#define SKP_EXPORT
#endif

SKP_EXPORT int skproj_get_num_threads(void) { return skp_threads; }

SKP_EXPORT void skproj_set_num_threads(int threads) {
    skp_threads = threads < 1 ? 1 : threads > 2 ? 2 : threads;
}

#endif
