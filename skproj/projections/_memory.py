"""The kernels' work memory, kept from one call to the next."""

from skproj.projections import _scratch_cache


def release_work_memory():
    """Give back the work memory the projection kernels keep between calls.

    The group Hoyer projection and the exact l1,inf ball allocate some
    megabytes of work memory on large matrices.  Returned to the system at
    every call, it would cost a page fault per page at the next call (up to
    a tenth of the time), so blocks of 64 KiB and more are kept for later
    calls, up to 64 MiB in all, shared by every kernel and thread.  A
    program done with large projections can free them with this function;
    the next projection allocates again.

    Returns
    -------
    n_bytes : int
        The bytes the freed blocks held (0 when none were kept).

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.projections import project_group_hoyer, release_work_memory
    >>> X = project_group_hoyer(np.random.default_rng(0).random((1000, 1000)), 0.8)
    >>> release_work_memory() > 0
    True
    >>> release_work_memory()
    0
    """
    return _scratch_cache.release()
