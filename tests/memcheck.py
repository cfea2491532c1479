"""Every kernel path on a spread of inputs, for a memory checker (not a test module).

valgrind's memcheck finds what the tests cannot see: a kernel that reads
memory it never wrote (a struct set in part, a buffer read past what was
filled) gets right answers wherever that memory happens to hold harmless
values, and crashes elsewhere.  The tests are too slow to run under it whole
(their references are Python loops), so this script calls the projections
alone, on every path the testing hooks can force, and checks nothing
itself: memcheck reports.  valgrind does not model AVX-512, so the AVX2
loops run (SKPROJ_DISABLE_CPU_FEATURES; the AVX-512 loops compute the same
results and read the same buffers)::

    SKPROJ_DISABLE_CPU_FEATURES=avx512f PYTHONMALLOC=malloc \\
        valgrind --track-origins=yes --log-file=memcheck.log python tests/memcheck.py

and look for frames of skproj's modules in the log (Python's own reports,
without suppressions, are many).  About 10 minutes under valgrind on one
core; ``--quick`` takes a third of the inputs.
"""

import argparse
import itertools

import numpy as np

from skproj.projections import (
    _bilevel,
    _hoyer,
    _l1,
    _l1inf,
    bilevel_l1inf,
    bilevel_l11,
    bilevel_l12,
    l1inf_norm,
    project_group_hoyer,
    project_l1_ball,
    project_l1inf_ball,
    project_l12_ball,
    project_simplex,
)

SHAPES = [(1, 1), (3, 5), (17, 33), (40, 600), (300, 70), (2, 5000), (5000, 3), (120, 900),
          (1024, 2100)]    # (the last past the caches: streamed writes, sampled bands)
SHARES = [0.01, 0.3, 0.9]

# (module's hook, keyword arguments): each forces a path of the kernels; {} the defaults
L1INF_PATHS = [
    {},
    dict(bracket=True, small_max_bytes=0, bracket_min_groups=1, bracket_max_length=10 ** 6,
         bracket_min_kept=0.0, bracket_panel_bytes=1 << 12, bracket_event_share=0.0),
    dict(bracket=True, small_max_bytes=0, bracket_min_groups=1, bracket_max_length=10 ** 6,
         bracket_min_kept=0.0, bracket_sigmas=1e-6),
    dict(force_dense=True),
    dict(force_dense=True, narrow_bands=True),
    dict(force_dense=True, sampled_min_bytes=1 << 16, sample_bytes=1 << 14),
    dict(force_dense=True, sampled_min_bytes=1 << 16, sample_bytes=1 << 14,
         wide_band_share=1e-9),
    dict(small=False),
    dict(short_groups=True),
    dict(max_rounds=0),
    dict(simd=False),
]
HOYER_PATHS = [{}, dict(histograms=True), dict(histograms=False), dict(passes=False),
               dict(pass_share=0.0), dict(simd=False)]


def matrices(rng, quick):
    """(name, Y): each shape in C order, Fortran order and as a strided view (the
    large one in C order), some with ties, zero groups and heavy tails."""
    for index, shape in enumerate(SHAPES[::3] if quick else SHAPES):
        base = rng.standard_normal((shape[0], 2 * shape[1]))
        if index % 3 == 1:
            base = np.round(base, 1)                 # ties
        if index % 3 == 2:
            base = rng.standard_cauchy(base.shape)   # heavy tails
            base[:, ::7] = 0.0                       # zero groups
        for dtype in (np.float64, np.float32):
            Y = base.astype(dtype)
            yield f"{shape} {np.dtype(dtype).name} C", np.ascontiguousarray(Y[:, :shape[1]])
            if Y.size > 10 ** 6:
                continue    # (the large one in C order alone: the others take minutes)
            yield f"{shape} {np.dtype(dtype).name} F", np.asfortranarray(Y[:, :shape[1]])
            yield f"{shape} {np.dtype(dtype).name} strided", Y[:, ::2]


def run_matrix_projections(Y, quick):
    for axis, share in itertools.product((0, 1), SHARES[1:2] if quick else SHARES):
        norm = l1inf_norm(Y, axis=axis)
        for hook in L1INF_PATHS:
            _l1inf._set_testing(**hook)
            try:
                project_l1inf_ball(Y, share * norm, axis=axis)
            finally:
                _l1inf._set_testing()
        out = np.empty_like(Y, order="F")
        project_l1inf_ball(Y, share * norm, axis=axis, out=out)
        for passes in (None, True, False):
            _bilevel._set_column_paths(passes=passes)
            try:
                bilevel_l11(Y, share * np.abs(Y).sum(), axis=axis)
            finally:
                _bilevel._set_column_paths()
        bilevel_l1inf(Y, share * norm, axis=axis)
        bilevel_l12(Y, share * np.sqrt((Y.astype(np.float64) ** 2).sum(axis=axis)).sum(),
                    axis=axis)
        project_l12_ball(Y, share * np.sqrt((Y.astype(np.float64) ** 2).sum(axis=axis)).sum(),
                         axis=axis)
        for hook in HOYER_PATHS:
            _hoyer._set_testing(**hook)
            try:
                project_group_hoyer(Y, share, axis=axis)
            finally:
                _hoyer._set_testing()
        weights = np.linspace(0.5, 2.0, Y.shape[axis])
        project_group_hoyer(Y, share, axis=axis, weights=weights)


def run_vector_projections(Y):
    y = Y.ravel(order="K")      # (a view of a contiguous matrix, else a copy)
    total = float(np.abs(y.astype(np.float64)).sum())
    for share, fallback in itertools.product(SHARES, (False, True)):
        _l1._set_testing(force_fallback=fallback)
        try:
            project_l1_ball(y, share * total)
            project_simplex(y, share * total)
            project_simplex(y, 1.0)    # (a bracket with no high end: the lean scan's open loop)
        finally:
            _l1._set_testing()


def run_gathers_in_halves(rng):
    """The exact ball's gathers of a matrix of 16 MiB or more in two halves
    (``_l1inf._gather_column_chunks``, ``_gather_by_group``,
    ``_l1inf_dense._range_row_blocks``, ``_range_panels``,
    ``gather_groups``): column groups at radii where
    bilevel_l1inf keeps 1 and 10 % of them and at half the norm (float64:
    the dense regime's bands), row groups where it keeps 10 %."""
    for dtype, shape in ((np.float32, (1536, 4096)), (np.float64, (768, 4096))):
        Y = rng.standard_normal(shape).astype(dtype)
        Y[:, 7] = 0.0
        for axis in (0, 1):
            maxima = np.sort(np.abs(Y).max(axis=axis).astype(np.float64))[::-1]
            radii = [float(maxima[:k].sum() - k * maxima[k])
                     for k in (max(maxima.size // 100, 1), maxima.size // 10)]
            # (with AVX2 alone, the passes along the rows would take the
            # bands' place; column groups by row blocks and by panels)
            for row_blocks in (True, False) if axis == 0 else (True,):
                _l1inf._set_testing(row_blocks=row_blocks, along_rows_passes=False)
                try:
                    for eta in radii + [0.5 * l1inf_norm(Y, axis=axis)]:
                        project_l1inf_ball(Y, eta, axis=axis)
                finally:
                    _l1inf._set_testing()


def run_chunk_gathers(rng):
    """The candidate gathers along the rows' lines (``skp_gather_chunks256_*``
    where valgrind runs, AVX2): column groups of rows whole lines apart,
    their data 16 bytes past a line (the first chunk starts before column
    0) and 1001 columns of 1040 (the last chunk holds one), a tenth of the
    entries nonzero (the zeros counted), the general path at radii keeping
    a few of the groups."""
    for dtype in (np.float32, np.float64):
        full = np.zeros((40, 1040 + 16), dtype)
        start = (16 - full.ctypes.data % 64) % 64 // full.itemsize
        Z = full[:, start:start + 1001]
        Z[...] = rng.standard_normal(Z.shape) * (rng.random(Z.shape) < 0.1)
        total = float(np.abs(Z).max(axis=0).sum())
        _l1inf._set_testing(small=False)
        try:
            for share in (0.002, 0.01):
                project_l1inf_ball(Z, share * total, axis=0)
        finally:
            _l1inf._set_testing()


def run_passes_in_halves(rng):
    """The exact ball's passes over a matrix of 16 MiB or more read along the
    rows in two halves of their list (``_l1inf_strips._HALF_ROW_BLOCKS``):
    Student t(3) column groups of 256 rows, float32 and float64 (whose
    passes with AVX2 alone read along the rows too), at 10 and 50 % of the
    norm; and the passes before the sampled-bracket path on a float64
    matrix under 16 MiB."""
    for dtype, shape in ((np.float32, (256, 16400)), (np.float64, (256, 8200)),
                         (np.float64, (128, 10000))):
        Y = rng.standard_t(3, shape).astype(dtype)
        for share in (0.1, 0.5):
            project_l1inf_ball(Y, share * l1inf_norm(Y))


def run_line_copies(rng):
    """The in-cache path's copies on lines of their own (``small_lanes_copy``):
    short row groups transposed (float32 groups of 64 and 100 entries, 37,
    512 and 1797 of them, a strided view; float64 of 20), and float32
    column groups whose rows lie 2 KiB apart in a matrix past L2."""
    for shape, dtype in (((1797, 64), np.float32), ((512, 100), np.float32),
                         ((37, 77), np.float32), ((64, 20), np.float64)):
        wide = rng.standard_normal((shape[0], shape[1] + 3)).astype(dtype)
        for Y in (np.ascontiguousarray(wide[:, :shape[1]]), wide[:, 1:1 + shape[1]]):
            for share in (0.1, 0.5):
                project_l1inf_ball(Y, share * l1inf_norm(Y, axis=1), axis=1)
    Y = rng.standard_normal((520, 512)).astype(np.float32)
    for share in (0.1, 0.5):
        project_l1inf_ball(Y, share * l1inf_norm(Y, axis=0), axis=0)


def run_subsampled_bands(rng):
    """The dense regime's bands from a subsample of every group
    (``_subsampled_bands``): few long row groups (float32, float64, a strided
    view), float64 column groups, and the bands gathered wide or emptied
    (``narrow_bands``: the groups gathered again whole)."""
    hooks = dict(small_max_bytes=0, sampled_min_bytes=1, sample_bytes=1 << 17,
                 along_rows_passes=False, wide_band_share=0.5)
    wide = rng.standard_normal((12, 12003))
    cases = [(np.ascontiguousarray(wide[:, :12000]), 1), (wide[:, 2:12002], 1),
             (wide[:, :12000].astype(np.float32), 1), (np.ascontiguousarray(wide.T), 0)]
    for Y, axis in cases:
        for narrow in (False, True):
            _l1inf._set_testing(narrow_bands=narrow, **hooks)
            try:
                for share in (0.02, 0.1):
                    project_l1inf_ball(Y, share * l1inf_norm(Y, axis=axis), axis=axis)
            finally:
                _l1inf._set_testing()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a third of the inputs")
    quick = parser.parse_args().quick
    rng = np.random.default_rng(0)
    count = 0
    for count, (name, Y) in enumerate(matrices(rng, quick), 1):
        print(f"{count:3d} {name}", flush=True)
        run_matrix_projections(Y, quick)
        run_vector_projections(Y)
    print("the gathers in halves", flush=True)
    run_gathers_in_halves(rng)
    print("the chunk gathers", flush=True)
    run_chunk_gathers(rng)
    print("the passes in halves", flush=True)
    run_passes_in_halves(rng)
    print("the copies on lines", flush=True)
    run_line_copies(rng)
    print("subsampled bands", flush=True)
    run_subsampled_bands(rng)
    print(f"done: {count} inputs")


if __name__ == "__main__":
    main()
