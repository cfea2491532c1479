"""Run Python in a new process that imports the skproj under test."""

import os
import subprocess
import sys
from pathlib import Path

import skproj


def run_python(args, env=None, timeout=300):
    """``python *args`` in a new process; the finished process, its exit status checked.

    ``env``: its environment (this one's by default).  The child runs in the
    directory that holds the skproj being tested, which is also first on its
    PYTHONPATH (for a script run by its path), so that a checkout's tests
    and an installed wheel's import the same package in the child: ``-c``
    code puts its working directory first, a checkout's in the wheel's test.
    """
    home = str(Path(skproj.__file__).parents[1])
    environ = dict(os.environ if env is None else env)
    environ["PYTHONPATH"] = os.pathsep.join([home, environ.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, *map(str, args)], env=environ, cwd=home,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done
