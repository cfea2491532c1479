"""Build the Cython kernels; all package metadata lives in pyproject.toml."""
import os

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

KERNELS = ["projections/_scratch_cache", "projections/_arrays", "projections/_l1",
           "projections/_bilevel", "projections/_l1inf_lists", "projections/_l1inf_strips",
           "projections/_l1inf_short", "projections/_l1inf_dense", "projections/_l1inf",
           "projections/_hoyer_band", "projections/_hoyer",
           "decomposition/_hals"]

extensions = [
    Extension(
        f"skproj.{name.replace('/', '.')}",
        [f"skproj/{name}.pyx"],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        # -O3 lets gcc/clang vectorize the streaming loops (some Pythons build
        # extensions with -O2).  Portable: no -march=native, no -ffast-math.
        # -ffp-contract=off: a product and a sum are rounded as written, never
        # fused into an FMA, which gcc does by default in the functions that
        # target AVX-512 (it implies FMA) and not in their AVX2 twins, so the
        # two loops would round differently (the kernels' explicit FMA
        # intrinsics, where a fused rounding is the same or intended, stay).
        extra_compile_args=[] if os.name == "nt" else ["-O3", "-ffp-contract=off", "-pthread"],
        # (a large bi-level projection's second half runs on a POSIX thread:
        # _threads.h; glibc before 2.34 keeps those in libpthread)
        extra_link_args=[] if os.name == "nt" else ["-pthread"],
    )
    for name in KERNELS
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": "3"},
    )
)
