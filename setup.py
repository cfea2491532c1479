"""Build the Cython kernels; all package metadata lives in pyproject.toml."""
import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

KERNELS = ["_l1", "_bilevel", "_l1inf"]

extensions = [
    Extension(
        f"skproj.projections.{name}",
        [f"skproj/projections/{name}.pyx"],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    for name in KERNELS
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": "3"},
    )
)
