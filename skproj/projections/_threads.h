/* Two halves of a kernel's work, the second on a thread of its own.
 *
 * A projection of a large matrix whose groups' thresholds are found by
 * passes in cache (bilevel_l11's) is bound by those passes, not by the
 * memory: its halves, each a block of whole groups, run on two cores in
 * about half the time (_bilevel.pyx, ``_halves``); the other kernels'
 * reads and writes of a large array, bound by the memory, take about three
 * quarters of it (``run_halves`` in _l1.pxd, which every kernel calls, but
 * for the exact ball's passes over a list: _l1inf_strips.pyx,
 * ``_pass_in_halves``).  skp_run_halves(job,
 * first, second, threads) runs job(second) on a new thread and job(first)
 * on the caller's where ``threads`` is 2 or more, then waits for the second;
 * one after the other where ``threads`` is 1, where the platform has no
 * POSIX threads, or where the thread cannot be made.  Either way each half
 * computes the same thing, so the result does not depend on how they ran.
 * Returns how many threads ran the halves.
 */
#ifndef SKPROJ_THREADS_H
#define SKPROJ_THREADS_H

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define SKP_HAVE_THREADS 1
#else
#define SKP_HAVE_THREADS 0
#endif

/* (the setting of how many threads run them, 1 or 2, lives in _l1's
 * library alone: _thread_setting.h) */

typedef void (*skp_half_job)(void* half);

typedef struct {
    skp_half_job job;
    void* half;
} skp_half_call;

#if SKP_HAVE_THREADS
static void* skp_run_half(void* call) {
    ((skp_half_call*) call)->job(((skp_half_call*) call)->half);
    return NULL;
}
#endif

static int skp_run_halves(skp_half_job job, void* first, void* second, int threads) {
#if SKP_HAVE_THREADS
    pthread_t thread;
    skp_half_call call;
    call.job = job;
    call.half = second;
    if (threads >= 2 && pthread_create(&thread, NULL, skp_run_half, &call) == 0) {
        job(first);
        pthread_join(thread, NULL);
        return 2;
    }
#else
    (void) threads;
#endif
    job(first);
    job(second);
    return 1;
}

#endif
