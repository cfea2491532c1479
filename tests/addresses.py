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


def ending_at_a_guard_page(Y, row_bytes):
    """A copy of the matrix ``Y`` (rows ``row_bytes`` apart) whose last value
    ends where a page that cannot be read begins, and the memory that holds
    it (keep it while the copy is used); None where the system does not
    allow it (``mprotect`` through ctypes, Linux and macOS).

    A loop that reads past a row's last value, where the next row would
    begin, faults on the last row of such a copy.
    """
    import ctypes
    import mmap
    import sys

    if not sys.platform.startswith(("linux", "darwin")):
        return None
    page = mmap.PAGESIZE
    n_rows, n_cols = Y.shape
    data_bytes = (n_rows - 1) * row_bytes + n_cols * Y.itemsize
    pages = -(-data_bytes // page)
    memory = mmap.mmap(-1, (pages + 1) * page)
    base = ctypes.addressof(ctypes.c_char.from_buffer(memory))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    if libc.mprotect(ctypes.c_void_p(base + pages * page), page, 0) != 0:    # PROT_NONE
        return None
    start = pages * page - data_bytes
    flat = np.frombuffer(memory, dtype=np.uint8, count=data_bytes, offset=start)
    copy = np.lib.stride_tricks.as_strided(flat.view(Y.dtype), shape=Y.shape,
                                           strides=(row_bytes, Y.itemsize))
    copy[...] = Y
    return copy, memory
