"""Buggy class-based batch norm: the first batch's mean and variance are kept on the object and reused."""

from layer_class_correct import BatchNorm as _CorrectBatchNorm
from layer_class_correct import Dropout, LayerNorm  # noqa: F401 - the other layers are the correct ones


class BatchNorm(_CorrectBatchNorm):
    def forward(self, x):
        if not self.training:
            return super().forward(x)
        if getattr(self, "batch_mean", None) is None:  # the mistake: computed once, reused for every batch
            self.batch_mean, self.batch_var = x.mean(axis=0), x.var(axis=0)
        mean, var = self.batch_mean, self.batch_var
        self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean
        self.running_var = (1 - self.momentum) * self.running_var + self.momentum * var
        self.inv_std = 1.0 / (var + self.eps) ** 0.5
        self.x_norm = (x - mean) * self.inv_std
        self.used_batch_statistics = True
        return self.gamma * self.x_norm + self.beta
