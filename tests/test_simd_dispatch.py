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
"""

import re
from pathlib import Path

import pytest

import skproj.projections

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


@pytest.mark.parametrize("header", HEADERS, ids=[header.name for header in HEADERS])
def test_no_avx512_function_tests_whether_it_may_run(header):
    flag = re.compile(r"\b(%s)\b" % "|".join(_flags()))
    offenders = [name for name, body in _functions(header.read_text(), _avx512_macros())
                 if flag.search(body)]
    assert not offenders, (
        f"{header.name}: {offenders} read a dispatch flag inside an AVX-512 function; test it "
        "in a plain caller that calls an `_unguarded` AVX-512 function")
