"""One data-module protocol for every task: :func:`build_datamodule` returns a :class:`TaskDataModule` (a
``LightningDataModule``) with the same attributes whatever the task.

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

from pathlib import Path

from genotorch.data.base import TaskDataModule

def build_datamodule(task: str, data, seed: int, output_dir: str | Path) -> TaskDataModule:
    """The data module of ``task`` (``pileup``, ``sequence`` or ``image``) for the typed data config ``data``
    (:mod:`genotorch.config`); ``output_dir`` holds what the module saves (the image split).

    Raises
    ------
    GenotorchError
        Any problem with the data files (see each task's module).
    """
    if task == "image":
        from genotorch.data.images import ImageDataModule

        return ImageDataModule(data, seed, output_dir)
    if task == "sequence":
        from genotorch.data.sequences import SequenceDataModule

        return SequenceDataModule(data, seed)
    from genotorch.data.pileups import PileupDataModule

    return PileupDataModule(data, seed)
