"""Speed on a CUDA device: the projections of CUDA tensors and the estimators' fits.

Run ``python benchmarks/bench_cuda.py`` on a machine with a CUDA device
(``--quick`` for fewer shapes; ``--routes`` for the table of 3. alone).  Prints:

1. per call, every projection of a CUDA tensor (float32 and float64; 100 x 1000,
   1000 x 10000; radius at half of the norm it bounds) as a ratio to a copy of
   the same tensor on the device (``out.copy_(y)``), and in microseconds;
   every call writes into a preallocated ``out``.  Timed with CUDA events over
   repeated calls (median of 5 rounds), after warm-up calls.
2. the fit time of ``SparseSupervisedAutoencoder`` and ``SparseMLPClassifier``
   with ``device="cuda"`` against ``device="cpu"`` on the same data.
3. with ``--routes``: per call, every projection by the CPU kernels on a host
   copy (``_validation._run_on_host``, which takes CUDA tensors of up to 2 MiB)
   against torch's operations on the device, by size.

Measured 2026-11-23 on one H100 (torch 2.11.0+cu130, 16 CPU threads), one run;
microseconds per call and the ratio to the device copy (100 x 1000: copy 7-11
us, almost all of it the launch; 1000 x 10000: copy 33 us float32, 60 us
float64)::

    projection            100x1000 f32    f64      1000x10000 f32      f64
    project_l1_ball          607 (54)   647 (91)       1384 (42)   2553 (43)
    project_simplex          589 (53)   644 (91)       1247 (37)   2360 (40)
    bilevel_l1inf            653 (58)   673 (95)        703 (21)   1089 (18)
    bilevel_l11             1099 (98)   949 (134)      2000 (60)   3036 (51)
    bilevel_l12              693 (62)   639 (90)        525 (16)   1069 (18)
    project_l12_ball         704 (63)   463 (65)        537 (16)    676 (11)
    project_l1inf_ball      3674 (374) 3011 (314)      5499 (169)  5933 (101)
      (bisection, before)   5658 (505) 12201 (1722)    8696 (261) 21549 (360)
    project_group_hoyer     8141 (1150) 8767 (749)    20268 (614) 20229 (339)
      (bisection, before)  15739 (1404) 13645 (1925)  37316 (1119) 36398 (609)

Again on 2026-11-24 (one H100, torch 2.11.0+cu130; ``--quick``), after the
finiteness check became two kernels and CUDA tensors stopped trying
``numpy()``: 100 x 1000 float32 / float64, us a call, l1 ball 322-354 /
350-406, bilevel_l1inf 303-376 / 304-335, bilevel_l11 598 / 507, the exact
l1,inf ball 2087-2198 / 2212-2652, the group Hoyer projection 4411-5316 /
4377-5440 (the host's timings moved by up to 2 times between runs).

On 100 x 1000 every call is bound by the host, not the device: the profiler
counts about 30 kernel launches for the l1 ball (0.13 ms of device time, 0.5 ms
on the host) and 220 for the exact l1,inf ball (0.5 ms of device time, 6 ms on the
host).  The exact l1,inf ball now takes Newton's steps on theta (5-12 of them,
one synchronization each) where it bisected to machine precision (about 50),
and the group Hoyer projection Illinois steps (16-34 evaluations in all, about
70 before).  For
comparison, the CPU kernels take 3-18 copies on 100 x 1000 float32.

Fits (CPU: the machine's 16 threads; train accuracy equal on both devices)::

    estimator              data                 cpu s   cuda s
    autoencoder            digits 1797x64        5.55     1.18
    SparseMLPClassifier    digits 1797x64       30.17    62.36
    autoencoder            synthetic 700x5000    3.11     2.84
    SparseMLPClassifier    synthetic 700x5000   30.54    32.12

The sparse MLP's small network does not gain from the device: its fit is many
small steps (the l1 search's trials), each bound by the launches.

Routes (``--routes --quick``), 2026-11-29 on one H200 (torch 2.11.0+cu130),
one run, us a call with ``out=``: device / host copy in pinned memory, and
the ratio (host / device)::

    projection           32x64 f32          100x1000 f32         1000x1000 f32
    project_l1_ball       296 / 37 (0.12)    339 /  90 (0.27)     348 /  636 (1.83)
    bilevel_l1inf         309 / 34 (0.11)    317 /  82 (0.26)     554 /  637 (1.15)
    bilevel_l11           538 / 36 (0.07)    555 / 106 (0.19)     743 /  763 (1.03)
    project_l1inf_ball   1885 / 37 (0.02)   2162 / 128 (0.06)    2545 / 1136 (0.45)
    project_group_hoyer  4694 / 58 (0.01)   4766 / 361 (0.08)    4934 / 1756 (0.36)

every projection on 300 x 784 float64 (1.9 MB) 0.13-0.95, on 1000 x 1000
float64 (8 MB) 1.8-3.3 (the exact ball 0.69, GSP 0.54); a pageable host copy
took 2-3 times as long as a pinned one.  Hence the host copy up to 2 MiB.
The autoencoder's fit on digits with ``device="cuda"`` took 0.71-0.73 s
either way (its projections are not what its steps wait on).  The whole
CUDA suite (347 tests, each of ``tests/test_cuda.py`` both ways) passed there.
"""

import argparse
import time

import numpy as np
import torch
from sklearn.datasets import load_digits, make_classification

from skproj import projections as P
from skproj.autoencoder import SparseSupervisedAutoencoder
from skproj.neural_network import SparseMLPClassifier

PROJECTIONS = {
    "project_l1_ball": (P.project_l1_ball, lambda Y: float(Y.abs().sum())),
    "project_simplex": (P.project_simplex, lambda Y: float(Y.abs().sum())),
    "bilevel_l1inf": (P.bilevel_l1inf, P.l1inf_norm),
    "bilevel_l11": (P.bilevel_l11, P.l11_norm),
    "bilevel_l12": (P.bilevel_l12, P.l12_norm),
    "project_l12_ball": (P.project_l12_ball, P.l12_norm),
    "project_l1inf_ball": (P.project_l1inf_ball, P.l1inf_norm),
}


def device_time(call, repeats):
    """Median over 5 rounds of the time of one call, in seconds (CUDA events)."""
    for _ in range(3):
        call()
    times = []
    for _ in range(5):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(repeats):
            call()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1e3 / repeats)
    return float(np.median(times))


def projection_table(shapes):
    print(f"{'projection':<20} {'shape':>11} {'dtype':>8} {'us':>10} {'/ copy':>8}")
    for shape in shapes:
        for dtype in (torch.float32, torch.float64):
            Y = torch.randn(shape, dtype=dtype, device="cuda",
                            generator=torch.Generator("cuda").manual_seed(0))
            out = torch.empty_like(Y)
            repeats = 200 if Y.numel() <= 10**5 else 20
            copy = device_time(lambda: out.copy_(Y), repeats)
            for name, (project, norm) in PROJECTIONS.items():
                eta = 0.5 * float(norm(Y))
                seconds = device_time(lambda: project(Y, eta, out=out), repeats)
                label = "x".join(map(str, shape))
                print(f"{name:<20} {label:>11} {str(dtype)[6:]:>8} {seconds * 1e6:10.1f} "
                      f"{seconds / copy:8.1f}", flush=True)
            seconds = device_time(lambda: P.project_group_hoyer(Y, 0.6, out=out), repeats)
            print(f"{'project_group_hoyer':<20} {label:>11} {str(dtype)[6:]:>8} "
                  f"{seconds * 1e6:10.1f} {seconds / copy:8.1f}", flush=True)
            print(f"{'(copy)':<20} {label:>11} {str(dtype)[6:]:>8} {copy * 1e6:10.1f}")


ROUTE_SHAPES = [(32, 64), (100, 1000), (300, 784), (1000, 1000), (1000, 4000), (1000, 10000)]


def route_table(shapes):
    """Each projection by the CPU kernels on a host copy against torch's
    operations on the device (``_validation.set_host_route_bytes``), per call."""
    from skproj.projections import _validation

    print(f"\n{'projection':<20} {'shape':>11} {'dtype':>8} {'MB':>6} {'device us':>10} "
          f"{'host us':>9} {'host/device':>12}")
    previous = _validation.set_host_route_bytes(0)
    try:
        for shape in shapes:
            for dtype in (torch.float32, torch.float64):
                Y = torch.randn(shape, dtype=dtype, device="cuda",
                                generator=torch.Generator("cuda").manual_seed(0))
                out = torch.empty_like(Y)
                n_bytes = Y.numel() * Y.element_size()
                repeats = 50 if n_bytes <= 1 << 22 else 5
                label = "x".join(map(str, shape))
                calls = [(name, project, 0.5 * float(norm(Y)))
                         for name, (project, norm) in PROJECTIONS.items()]
                calls.append(("project_group_hoyer", P.project_group_hoyer, 0.6))
                for name, project, level in calls:
                    times = []
                    for route in (0, n_bytes):
                        _validation.set_host_route_bytes(route)
                        times.append(device_time(lambda: project(Y, level, out=out), repeats))
                    print(f"{name:<20} {label:>11} {str(dtype)[6:]:>8} {n_bytes / 1e6:6.2f} "
                          f"{times[0] * 1e6:10.1f} {times[1] * 1e6:9.1f} "
                          f"{times[1] / times[0]:12.2f}", flush=True)
    finally:
        _validation.set_host_route_bytes(previous)


def fit_seconds(estimator, X, y):
    start = time.perf_counter()
    estimator.fit(X, y)
    if estimator.device_ == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, estimator.score(X, y)


def estimator_table(quick):
    digits = load_digits(return_X_y=True)
    wide = make_classification(700, 5000 if not quick else 1000, n_informative=40,
                               n_classes=5, random_state=0)
    data = {"digits 1797x64": (digits[0] / 16.0, digits[1]), "synthetic 700x5000": wide}
    print(f"\n{'estimator':<22} {'data':<20} {'cpu s':>8} {'cuda s':>8} {'cpu/cuda':>9}"
          f" {'train acc cpu, cuda':>20}")
    for data_name, (X, y) in data.items():
        for name, make in (("autoencoder", lambda d: SparseSupervisedAutoencoder(
                               random_state=0, device=d)),
                           ("SparseMLPClassifier", lambda d: SparseMLPClassifier(
                               target_nonzeros=0.1, random_state=0, device=d))):
            cpu, cpu_score = fit_seconds(make("cpu"), X, y)
            cuda, cuda_score = fit_seconds(make("cuda"), X, y)
            print(f"{name:<22} {data_name:<20} {cpu:8.2f} {cuda:8.2f} {cpu / cuda:9.2f}"
                  f" {cpu_score:10.3f} {cuda_score:.3f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one shape, smaller data")
    parser.add_argument("--no-estimators", action="store_true", help="the projections alone")
    parser.add_argument("--routes", action="store_true",
                        help="only the host copy against the device, by size (route_table)")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("bench_cuda.py needs a CUDA device; none is available here.")
    print(torch.cuda.get_device_name(), "torch", torch.__version__,
          "CPU threads", torch.get_num_threads())
    if args.routes:
        route_table(ROUTE_SHAPES[:4] if args.quick else ROUTE_SHAPES)
        return
    projection_table([(100, 1000)] if args.quick else [(100, 1000), (1000, 10000)])
    if not args.no_estimators:
        estimator_table(args.quick)


if __name__ == "__main__":
    main()
