"""Every AVX-512 loop is chosen by a caller that is not itself compiled for AVX-512.

The kernels pick their AVX-512 loops at run time (``skp_avx512`` and its
twins, set from ``__builtin_cpu_supports``).  gcc may place the AVX-512
instructions of a function whose target has AVX-512F before that function's
first statement (a broadcast of an argument, a zeroed register), so a test of
the flag *inside* such a function comes too late: on a CPU without AVX-512
the process dies of SIGILL.  That is what ``project_l1_ball`` of float32 did
on a Zen 3 (issue 14: ``skp_keep_at_most512_f64`` broadcast its bound and
then read the flag).  The tests of this suite cannot see it on a CPU that has
AVX-512, so this one reads the headers as shipped with the package and
checks the rule: no function of an AVX-512 target reads a dispatch flag.

The tests at the end run the package in a fresh process with
SKPROJ_DISABLE_CPU_FEATURES set (``_cpu.h``): the loops it names stay off,
and those left give the same projections.
"""

import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import skproj.projections
from skproj.projections import _cpu

from fresh_python import run_python

HEADERS = sorted(Path(skproj.projections.__file__).parent.glob("*.h"))

# `#define SKP_AVX512 __attribute__((target("avx512f,avx2,popcnt")))`
_TARGET_MACRO = re.compile(r'^#define (\w+) __attribute__\(\(target\("([^"]*)"', re.M)
# `static int skp_avx512 = 0;`: the flags that choose the AVX-512 loops
_FLAG = re.compile(r"^static int (\w*avx512\w*)\b", re.M)


def _avx512_macros():
    return {name for header in HEADERS
            for name, target in _TARGET_MACRO.findall(header.read_text())
            if "avx512" in target}


def _flags():
    return {name for header in HEADERS for name in _FLAG.findall(header.read_text())}


def _functions(source, macros):
    """(name, body) of each function defined with one of ``macros`` in ``source``."""
    start = re.compile(r"^(?:%s)\b[^;{]*?(\w+)\s*\([^;{]*\)\s*\{" % "|".join(macros), re.M)
    for match in start.finditer(source):
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(source[end], 0)
            end += 1
        yield match.group(1), source[match.end():end]


def test_the_headers_and_their_avx512_functions_are_found():
    """The check below is not vacuous: it sees the shipped headers' AVX-512 code."""
    assert len(HEADERS) >= 5
    assert {"SKP_AVX512", "SKP_L1INF_AVX512", "SKH_AVX512"} <= _avx512_macros()
    assert {"skp_avx512", "skp_l1inf_avx512", "skh_avx512"} <= _flags()
    names = [name for header in HEADERS
             for name, _ in _functions(header.read_text(), _avx512_macros())]
    assert len(names) > 50
    assert "skp_shrink512_f32_unguarded" in names


def test_no_avx512_loop_compresses_into_memory():
    """No header stores a compress straight to memory (``_mm512_mask_compressstoreu_*``):
    that form is microcoded on an AMD Zen 4, about 80 cycles a store
    (``skp_compress_store_*`` in ``_pack_simd.h`` store through a register)."""
    calls = re.compile(r"\b_mm(?:256|512)?_mask_compressstoreu_\w+\s*\(")
    found = {header.name: calls.findall(re.sub(r"/\*.*?\*/", "", header.read_text(), flags=re.S))
             for header in HEADERS}
    assert {name: hits for name, hits in found.items() if hits} == {}
    assert "skp_compress_store_pd(" in (HEADERS[0].parent / "_l1_simd.h").read_text()


def _proc_cpu_family():
    """(vendor, family) of the first CPU in /proc/cpuinfo, or None."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    vendor = re.search(r"^vendor_id\s*:\s*(\S+)", text, re.M)
    family = re.search(r"^cpu family\s*:\s*(\d+)", text, re.M)
    return (vendor.group(1), int(family.group(1))) if vendor and family else None


def test_the_cpu_choices_follow_the_zen_family():
    """``skp_cpu_zen5_or_later`` and ``skp_cpu_amd`` (CPUID) agree with the kernel's
    /proc/cpuinfo, and the choices measured apart on a Zen 5 and elsewhere
    follow the family, bilevel_l11's write (measured apart on a Zen 4) the maker."""
    from skproj.projections import _l1, _l1inf, _l1inf_strips

    choices = _l1._cpu_choices()
    zen5 = choices["zen5"]
    assert choices["panels_into_l1"] == zen5
    assert choices["strips"] == ("always" if zen5 else "by rows")
    assert choices["shrink_strips"] == ("always" if choices["amd"] else "by rows")
    assert choices["amd"] or not zen5
    _l1inf._set_testing()
    assert _l1inf_strips._bracket_panels_into_l1() == zen5
    cpu = _proc_cpu_family()
    if cpu is None:
        pytest.skip("no /proc/cpuinfo with a vendor and a family to check CPUID against")
    vendor, family = cpu
    assert zen5 == (vendor == "AuthenticAMD" and family >= 0x1A)
    assert choices["amd"] == (vendor == "AuthenticAMD")


@pytest.mark.parametrize("stride, by_rows", [
    (200, True), (512, True), (516, False), (4000, False), (12284, False), (12292, True),
    (40000, True), (2048, False), (4096, False), (16384, False)])
def test_the_strips_suit_rows_as_measured(stride, by_rows):
    """Off the Zen 5 the strips take rows of at most 512 bytes or of 12 KiB and
    more, the Zen 5 every row; bilevel_l11's write on AMD's CPUs every row, by
    the same rule elsewhere; none takes rows a multiple of 2 KiB apart
    (``skp_strips_suit``, ``skp_shrink_strips_suit``, ``skp_rows_alias`` in
    ``_l1_simd.h``)."""
    from skproj.projections import _l1

    choices = _l1._cpu_choices()
    aliased = stride % 2048 == 0
    assert _l1._strips_suit(stride, stride) == (not aliased and (choices["zen5"] or by_rows))
    assert _l1._strips_suit(stride, stride, shrink=True) == (
        not aliased and (choices["amd"] or by_rows))
    for shrink in (False, True):
        assert not _l1._strips_suit(stride, 4096, shrink)     # (the result's rows alias)


@pytest.mark.parametrize("header", HEADERS, ids=[header.name for header in HEADERS])
def test_no_avx512_function_tests_whether_it_may_run(header):
    flag = re.compile(r"\b(%s)\b" % "|".join(_flags()))
    offenders = [name for name, body in _functions(header.read_text(), _avx512_macros())
                 if flag.search(body)]
    assert not offenders, (
        f"{header.name}: {offenders} read a dispatch flag inside an AVX-512 function; test it "
        "in a plain caller that calls an `_unguarded` AVX-512 function")


# ---------------------------------------------- SKPROJ_DISABLE_CPU_FEATURES

_LEVELS = """
from skproj.projections import _hoyer, _l1, _l1inf
print(_l1inf._set_testing(), int(_l1._set_testing()), int(_hoyer._set_testing()))
"""

_PROJECTIONS = """
import sys
import numpy as np
from skproj.projections import (bilevel_l11, l1inf_norm, project_group_hoyer,
                                project_l1_ball, project_l1inf_ball)
rng = np.random.default_rng(3)
Y = rng.standard_normal((300, 700))
Z = Y.astype(np.float32)
np.savez(sys.argv[1],
         l1=project_l1_ball(Z, 0.3 * np.abs(Z).sum()),
         l11=bilevel_l11(Y, 0.5 * np.abs(Y).sum()),
         l1inf=project_l1inf_ball(Y, 0.3 * l1inf_norm(Y)),
         l1inf_rows=project_l1inf_ball(Z, 0.3 * l1inf_norm(Z, axis=1), axis=1),
         hoyer=project_group_hoyer(Z, 0.8))
"""


def _run(code, disabled, *args):
    env = dict(os.environ)
    env.pop(_cpu.ENVIRONMENT_VARIABLE, None)
    if disabled is not None:
        env[_cpu.ENVIRONMENT_VARIABLE] = disabled
    return run_python(["-c", code, *args], env)


def _host_levels():
    """(in-cache pass level, AVX-512 l1 scan, AVX-512 GSP passes) with nothing turned off."""
    return tuple(int(word) for word in _run(_LEVELS, None).stdout.split())


@pytest.mark.parametrize("disabled", ["avx512f", "AVX512F", "avx512vl, fma", "avx2"])
def test_disabled_cpu_features_turn_their_loops_off(disabled):
    """The variable turns the AVX-512 loops off (and the AVX2 ones with avx2), in any case."""
    level, l1_avx512, hoyer_avx512 = _host_levels()
    turned_off = tuple(int(word) for word in _run(_LEVELS, disabled).stdout.split())
    assert turned_off == (min(level, 0 if disabled == "avx2" else 1), 0, 0)
    if level == 2:
        assert l1_avx512 and hoyer_avx512     # (the check above is not vacuous there)


@pytest.mark.parametrize("disabled", ["avx512f", "avx2"])
def test_disabled_cpu_features_give_the_same_projections(tmp_path, disabled):
    """The loops left compute the same projections (to rounding)."""
    _run(_PROJECTIONS, None, tmp_path / "all.npz")
    _run(_PROJECTIONS, disabled, tmp_path / "some.npz")
    with np.load(tmp_path / "all.npz") as every_loop, np.load(tmp_path / "some.npz") as fewer:
        for name in every_loop.files:
            scale = np.abs(every_loop[name]).max()
            np.testing.assert_allclose(fewer[name], every_loop[name], rtol=0,
                                       atol=1e-6 * scale, err_msg=name)


def test_disabled_cpu_features_warn_about_unknown_names():
    environ = {_cpu.ENVIRONMENT_VARIABLE: " AVX512F,avx2  sse9, fma\tpopcnt,"}
    with pytest.warns(RuntimeWarning, match=r"SKPROJ_DISABLE_CPU_FEATURES names sse9,"):
        names = _cpu.disabled_cpu_features(environ)
    assert names == ["avx512f", "avx2", "sse9", "fma", "popcnt"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _cpu.disabled_cpu_features({}) == []
        assert _cpu.disabled_cpu_features(
            {_cpu.ENVIRONMENT_VARIABLE: "avx512bw avx512vl"}) == ["avx512bw", "avx512vl"]


def test_the_memcheck_driver_runs_every_path():
    """``tests/memcheck.py`` (the inputs and paths for valgrind, with AVX-512 off)
    still runs: its hooks and arguments are the kernels' own."""
    driver = Path(__file__).parent / "memcheck.py"
    env = dict(os.environ, **{_cpu.ENVIRONMENT_VARIABLE: "avx512f"})
    done = run_python([driver, "--quick"], env, timeout=600)
    assert done.stdout.endswith("done: 18 inputs\n")     # 3 shapes, 2 dtypes, 3 layouts
