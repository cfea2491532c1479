"""Arrays placed at chosen addresses, and their bits (shared by the tests).

The kernels choose vector loops, panels and streamed stores by where the data
lie; the tests that check results do not depend on it place the same values
at several offsets from a cache line.
"""

import numpy as np


def at_offset(Y, offset):
    """A C-ordered copy of ``Y`` whose data start ``offset`` bytes past a 64-byte line."""
    buffer = np.empty(Y.nbytes + 63 + offset, dtype=np.uint8)
    start = (-buffer.ctypes.data) % 64 + offset
    moved = buffer[start:start + Y.nbytes].view(Y.dtype).reshape(Y.shape)
    moved[...] = Y
    return moved


def rows_padded(Y, pad=16):
    """A copy of the matrix ``Y`` whose rows lie ``pad`` entries further apart.

    Rows a multiple of 2 or 4 KiB apart (power-of-two widths) take other
    writes and copies than rows a little further apart (``skp_rows_alias``).
    """
    padded = np.empty((Y.shape[0], Y.shape[1] + pad), dtype=Y.dtype)[:, :Y.shape[1]]
    padded[...] = Y
    return padded


def bits(a):
    """The bits of a float32 or float64 array, as unsigned integers of its width.

    ``assert_array_equal`` on them tells -0.0 from +0.0 and compares NaNs by
    payload, where it takes floats as equal by value.
    """
    return np.asarray(a).view(np.uint32 if a.dtype == np.float32 else np.uint64)
