"""Recorders shared by the tests: the hooks a training loop called, the starts a
projection was given."""

from skproj.nn import Callback


class RecordingCallback(Callback):
    """Appends "begin", "step", "epoch" or "end" to ``calls`` at each hook."""

    def __init__(self):
        self.calls = []

    def on_train_begin(self, module):
        self.calls.append("begin")

    def on_step_end(self, module):
        self.calls.append("step")

    def on_epoch_end(self, module):
        self.calls.append("epoch")

    def on_train_end(self, module):
        self.calls.append("end")


def record_dual_inits(monkeypatch, name):
    """Wrap ``skproj.projections._constraints.<name>`` (the projection a
    warm-starting constraint calls) to record each call's ``dual_init``; the
    list of them, filled as the constraint projects."""
    from skproj.projections import _constraints

    calls = []
    project = getattr(_constraints, name)

    def recording(*args, **kwargs):
        calls.append(kwargs["dual_init"])
        return project(*args, **kwargs)

    monkeypatch.setattr(_constraints, name, recording)
    return calls
