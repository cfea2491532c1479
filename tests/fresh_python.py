"""Run Python in a new process that imports the skproj under test."""

import os
import subprocess
import sys
from pathlib import Path

import skproj


def run_python(args, env=None, timeout=300):
    """``python *args`` in a new process; the finished process, its exit status checked.

    ``env``: its environment (this one's by default), with the directory of
    the skproj being tested first on its PYTHONPATH, so that a checkout's
    tests and an installed wheel's run the same package in the child.
    """
    environ = dict(os.environ if env is None else env)
    environ["PYTHONPATH"] = os.pathsep.join(
        [str(Path(skproj.__file__).parents[1]), environ.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, *map(str, args)], env=environ, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done
