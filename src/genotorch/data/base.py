"""The data-module protocol of every task (:func:`genotorch.data.modules.build_datamodule` returns a :class:`TaskDataModule` (a
``LightningDataModule``) with the same attributes whatever the task).

Attributes of every data module:

* ``classes``: class (or, multi-label, target) names;
* ``train_set``, ``val_set``, ``test_set``: torch datasets of ``(input, label)`` (None when absent);
* ``train_labels``: ``(N,)`` int64 class indices, or ``(N, T)`` 0/1/-1 for multi-label data;
* ``info``: what a checkpoint stores about the input (kind, shape, channels, encodings, config, multilabel);
* ``report``: data checks worth keeping (leakage between sequence splits, the image audit), ``{}`` when none;
* ``test_ids``: an id per test item.

``train_dataloader`` is seeded and resumable (:mod:`genotorch.data.loaders`); ``val_dataloader`` in order.
"""

from __future__ import annotations

import lightning as L

from genotorch.data.loaders import eval_loader, train_loader

GENOTYPE_CLASSES = ["hom-ref", "het", "hom-alt"]


class TaskDataModule(L.LightningDataModule):
    """The attributes and loaders every task's data module has (see the module docstring)."""

    def __init__(self, data, seed: int):
        super().__init__()
        self.data_config, self.seed = data, seed
        self.classes: list[str] = []
        self.train_set = self.val_set = self.test_set = None
        self.train_labels = None
        self.info: dict = {}
        self.report: dict = {}
        self.test_ids: list[str] = []
        self.world_size = 1  # training processes (DDP); data.batch_size is the global batch

    def train_dataloader(self):
        d = self.data_config
        return train_loader(self.train_set, self.train_labels, d.batch_size, d.num_workers, d.balance, self.seed,
                            len(self.classes), self.world_size)

    def val_dataloader(self):
        d = self.data_config
        return eval_loader(self.val_set, d.batch_size, d.num_workers) if self.val_set is not None else []
