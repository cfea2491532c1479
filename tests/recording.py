"""A callback that records which hooks a training loop called (shared by the tests)."""

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
