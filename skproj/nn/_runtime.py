"""What every estimator with torch inside needs: the import, threads, device, pickling.

Shared by :mod:`skproj.autoencoder` and :mod:`skproj.neural_network` (the
estimators do not import each other's modules).
"""

import io
import os
import threading
import warnings
from contextlib import contextmanager

__all__ = ["import_torch", "load_state_dict", "resolve_device", "state_dict_bytes",
           "torch_runtime"]

# Below this many multiply-adds per mini-batch step (weights x batch size) a fit
# runs torch on one thread: a second thread's wake-up and synchronization cost
# more than they save on such small products, and under contention spinning
# threads make a fit several times slower (7x with two threads on a busy 2-core
# machine; a default autoencoder fit on scikit-learn's breast-cancer table took
# 4.0 s with two threads against 3.1 s with one on an idle machine, 15.5 s
# against 6.7 s beside three busy processes).
ONE_THREAD_WORK = 2 ** 24


def import_torch(owner):
    """``torch``, or an ImportError that says how to install it for ``owner``."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"{owner} needs PyTorch, an optional dependency of "
            "skproj: pip install torch (or pip install 'skproj[torch]'); choose the "
            "build for your machine at https://pytorch.org."
        ) from exc
    return torch


# --- torch threads --------------------------------------------------------------
#
# torch's intra-op thread count and denormal mode are process-wide.  Fits that run
# side by side in threads (joblib's threading backend) share one setting; the first
# fit to enter sets it, the last one to leave restores it.

_RUNTIME_LOCK = threading.Lock()
_RUNTIME_STATE = {"depth": 0, "saved": None}


def thread_limit(torch, work_per_step):
    """Threads one fit may use: one for small networks, fewer when joblib runs several fits.

    A mini-batch step of a small network (``work_per_step`` multiply-adds,
    weights x batch size, below ``ONE_THREAD_WORK``) runs on one thread (see
    ``ONE_THREAD_WORK``; a small MLP of skproj.neural_network took 37 s with
    two threads against 5 s with one on a busy two-core machine).  joblib's process-based
    backends (loky, multiprocessing) start their workers with
    ``OMP_NUM_THREADS = cpu_count // n_jobs``; honour it even when torch was
    imported before the variable was set.  Inside a joblib thread-pool worker
    (threading backend), several fits share the cores: use one thread each.
    """
    if work_per_step < ONE_THREAD_WORK:
        return 1
    limit = torch.get_num_threads()
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        limit = min(limit, int(env))
    if threading.current_thread() is not threading.main_thread():
        limit = 1
    return max(1, limit)


@contextmanager
def torch_runtime(torch, work_per_step):
    """Threads limited (:func:`thread_limit`) and denormals flushed, for one fit.

    Weights clipped by a projection or a soft threshold and Adam's tiny steps
    produce denormal floats, which are 10-100x slower on x86 CPUs.
    """
    with _RUNTIME_LOCK:
        if _RUNTIME_STATE["depth"] == 0:
            _RUNTIME_STATE["saved"] = torch.get_num_threads()
            torch.set_num_threads(thread_limit(torch, work_per_step))
            torch.set_flush_denormal(True)
        _RUNTIME_STATE["depth"] += 1
    try:
        yield
    finally:
        with _RUNTIME_LOCK:
            _RUNTIME_STATE["depth"] -= 1
            if _RUNTIME_STATE["depth"] == 0:
                torch.set_num_threads(_RUNTIME_STATE["saved"])
                torch.set_flush_denormal(False)


def resolve_device(torch, device):
    """``"auto"`` resolved to ``"cuda"`` or ``"cpu"``; a missing CUDA device is an error."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was requested but torch finds no CUDA device; "
                         "use device='auto' or 'cpu'.")
    return device


# --- pickling -------------------------------------------------------------------


def state_dict_bytes(torch, network):
    """The network's weights, moved to the CPU, as ``torch.save`` bytes."""
    buffer = io.BytesIO()
    torch.save({key: value.detach().cpu() for key, value in network.state_dict().items()},
               buffer)
    return buffer.getvalue()


def load_state_dict(torch, network, payload, device, owner):
    """Load ``payload`` into ``network`` (built on the CPU) and move it to ``device``.

    A network fitted on a device that is not available here is loaded on the CPU,
    with a warning.  Returns the network and the device it is on.
    """
    if device != "cpu" and not (device == "cuda" and torch.cuda.is_available()):
        warnings.warn(
            f"This {owner} was fitted on {device!r}, which is not available here; the "
            "network is loaded on the CPU.", UserWarning)
        device = "cpu"
    weights = torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
    network.load_state_dict(weights)
    network.eval()
    return network.to(device), device
