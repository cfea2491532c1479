"""``python -m skproj``: the command line (see :mod:`skproj._cli`, ``--help``)."""

import sys

from skproj._cli import main

if __name__ == "__main__":
    sys.exit(main())
