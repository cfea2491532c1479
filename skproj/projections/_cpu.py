"""What the kernels may use of the machine: vector loops and threads.

The environment variable that turns vector loops off (``_cpu.h``).

``SKPROJ_DISABLE_CPU_FEATURES`` lists, separated by commas or spaces and in
any case, the CPU features whose loops the kernels must not run: ``avx512f``
(any ``avx512...`` name: every AVX-512 loop), ``avx2`` (the AVX2 loops and
the AVX-512 ones built on them), ``fma``, ``popcnt``.  The kernels read it
once, at import; this module warns about the names they would pass over.

The threads of a large array's two halves (``_threads.h``, ``run_halves`` in
``_l1.pxd``): two where two CPUs are free and ``OMP_NUM_THREADS`` allows them
(``kernel_threads``), and as ``threadpoolctl.threadpool_limits`` sets them,
whose controller of them (user API "skproj") is registered here.
"""

import os
import re
import warnings

ENVIRONMENT_VARIABLE = "SKPROJ_DISABLE_CPU_FEATURES"

# (as _cpu.h splits and matches the names)
_SEPARATORS = re.compile(r"[, \t]+")
_KNOWN = re.compile(r"avx512.*|avx2|fma|popcnt")


def disabled_cpu_features(environ=None):
    """The names listed in ``SKPROJ_DISABLE_CPU_FEATURES``, lower case.

    Warns (``RuntimeWarning``) about names the kernels do not read.
    """
    value = (os.environ if environ is None else environ).get(ENVIRONMENT_VARIABLE, "")
    names = [name.lower() for name in _SEPARATORS.split(value) if name]
    unknown = [name for name in names if not _KNOWN.fullmatch(name)]
    if unknown:
        warnings.warn(
            f"{ENVIRONMENT_VARIABLE} names {', '.join(unknown)}, which skproj does not "
            "read; it reads avx512f (or any avx512... name), avx2, fma and popcnt, "
            "separated by commas or spaces", RuntimeWarning, stacklevel=2)
    return names


def kernel_threads(environ=None):
    """The threads that project a large array's two halves (``_l1.pyx``): 2
    where two CPUs are free for this process, 1 elsewhere or where
    ``OMP_NUM_THREADS`` (which joblib sets in its workers) is 1."""
    environ = os.environ if environ is None else environ
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:   # (no affinity outside Linux)
        cpus = os.cpu_count() or 1
    try:   # (a list of levels, "4,2": the first level's)
        cpus = min(cpus, int(environ.get("OMP_NUM_THREADS", "").split(",")[0]))
    except ValueError:
        pass
    return max(1, min(cpus, 2))


def register_thread_controller():
    """Register threadpoolctl's controller of the kernels' threads (user API and
    internal API "skproj"), found in the library of ``_l1`` (which holds the
    one setting, ``_thread_setting.h``) by its two exported functions, as
    threadpoolctl finds OpenBLAS's; once."""
    global _registered
    if _registered:
        return
    try:
        from threadpoolctl import LibController, register
    except ImportError:   # (threadpoolctl before 3.5: OMP_NUM_THREADS alone rules)
        return

    class SkprojController(LibController):
        user_api = "skproj"
        internal_api = "skproj"
        # (the name's dot: not _l1inf's libraries)
        filename_prefixes = ("_l1.",)

        def get_num_threads(self):
            get = self._get_symbol("skproj_get_num_threads")
            return None if get is None else get()   # (another package's _l1)

        def set_num_threads(self, num_threads):
            set_threads = self._get_symbol("skproj_set_num_threads")
            if set_threads is not None:
                set_threads(num_threads)

        def get_version(self):
            from skproj import __version__

            return __version__

    register(SkprojController)
    _registered = True


_registered = False
