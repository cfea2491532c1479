"""Run Python in a new process that imports the skproj under test."""

import os
import subprocess
import sys
from pathlib import Path

import skproj


def run_python(args, env=None, timeout=300, cwd=None, check=True):
    """``python *args`` in a new process; the finished process.

    ``env``: its environment (this one's by default), with the directory that
    holds the skproj being tested first on its PYTHONPATH (for a script run
    by its path).  ``cwd``: where it runs, by default that directory too:
    ``-c`` and ``-m`` put their working directory first, and in the wheel's
    test that of the tests is a checkout, not the package tested.  ``check``:
    assert that it exited with 0.
    """
    home = str(Path(skproj.__file__).resolve().parents[1])
    environ = dict(os.environ if env is None else env)
    environ["PYTHONPATH"] = os.pathsep.join([home, environ.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, *map(str, args)], env=environ,
                          cwd=home if cwd is None else cwd, capture_output=True, text=True,
                          timeout=timeout)
    if check:
        assert done.returncode == 0, done.stderr
    return done
