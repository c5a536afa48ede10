"""The LightningModule every genotorch classifier trains with: cross-entropy (optionally class-weighted), or for
multi-label data (Basset's multi-task peaks) masked binary cross-entropy; accuracy and macro F1 (+ AUROC for
multi-label; torchmetrics), optimiser and scheduler from the config.

The checkpoint's ``hyper_parameters`` carry ``meta``: the resolved config, the example info (channels, shape,
encodings), the class names and the genotorch version, so a checkpoint alone is enough for inference
(:func:`genotorch.models.checkpoint.load_classifier`, which needs no Lightning).
"""

from __future__ import annotations

import lightning as L
import torch
import torchmetrics
from torch import nn

import genotorch
from genotorch.models.checkpoint import model_params
from genotorch.models.registry import build_model


class Classifier(L.LightningModule):
    """The LightningModule of every task: a registry model, its loss (see the module docstring), metrics and
    optimiser; ``hparams.meta`` holds what inference needs."""
    def __init__(self, meta: dict, class_weights: list[float] | None = None):
        super().__init__()
        cfg = meta["config"]
        self.model: nn.Module = build_model(cfg["model"]["name"], **model_params(meta))
        if hasattr(self.model, "inference_params"):  # e.g. a pretrained encoder: reloadable without its directory
            meta["inference_params"] = self.model.inference_params()
        self.save_hyperparameters()
        n = len(meta["classes"])
        self.multilabel = bool(meta["example_info"].get("multilabel"))
        self.register_buffer("class_weights", torch.tensor(class_weights) if class_weights else torch.ones(n))
        if self.multilabel:  # per-target 0/1 labels, -1 = unknown (ignored by loss and metrics)
            kw = dict(num_labels=n, ignore_index=-1)
            self.train_acc = torchmetrics.classification.MultilabelAccuracy(**kw)
            self.val_acc = torchmetrics.classification.MultilabelAccuracy(**kw)
            self.val_f1 = torchmetrics.classification.MultilabelF1Score(average="macro", **kw)
            self.val_auroc = torchmetrics.classification.MultilabelAUROC(**kw)
        else:
            self.train_acc = torchmetrics.Accuracy(task="multiclass", num_classes=n)
            self.val_acc = torchmetrics.Accuracy(task="multiclass", num_classes=n)
            self.val_f1 = torchmetrics.F1Score(task="multiclass", num_classes=n, average="macro")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def _loss(self, logits, y):
        """Cross-entropy (class weights), or for multi-label data binary cross-entropy over the known (y >= 0)
        entries with ``class_weights`` as each target's positive weight."""
        if not self.multilabel:
            return nn.functional.cross_entropy(logits.float(), y, weight=self.class_weights)
        known = (y >= 0).float()
        loss = nn.functional.binary_cross_entropy_with_logits(logits.float(), y.clamp(min=0), weight=known,
                                                              pos_weight=self.class_weights, reduction="sum")
        return loss / known.sum().clamp_min(1)

    def _target(self, y):
        return y.long() if self.multilabel else y

    def training_step(self, batch, _):
        x, y = batch
        logits = self(x)
        loss = self._loss(logits, y)
        self.train_acc(logits, self._target(y))
        self.log("train_loss", loss, prog_bar=True, sync_dist=True)  # DDP: the mean over the global batch
        self.log("train_acc", self.train_acc, on_step=True, on_epoch=False)
        return loss

    def validation_step(self, batch, _):
        x, y = batch
        logits = self(x)
        self.val_acc(logits, self._target(y))
        self.val_f1(logits, self._target(y))
        self.log("val_loss", self._loss(logits, y), prog_bar=True, sync_dist=True)
        self.log("val_acc", self.val_acc, prog_bar=True)
        self.log("val_f1", self.val_f1)
        if self.multilabel:
            self.val_auroc(logits, self._target(y))
            self.log("val_auroc", self.val_auroc, prog_bar=True)

    def configure_optimizers(self):
        o = self.hparams.meta["config"]["optimizer"]
        params, lr, wd = self.parameters(), o["lr"], o["weight_decay"]
        opt = {
            "adam": lambda: torch.optim.Adam(params, lr=lr, weight_decay=wd),
            "adamw": lambda: torch.optim.AdamW(params, lr=lr, weight_decay=wd),
            "sgd": lambda: torch.optim.SGD(params, lr=lr, weight_decay=wd, momentum=o["momentum"]),
            "rmsprop": lambda: torch.optim.RMSprop(params, lr=lr, weight_decay=wd),
        }[o["name"]]()
        if o["scheduler"] == "cosine":
            total = self.trainer.estimated_stepping_batches
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, int(total)))
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
        return opt


def build_meta(config: dict, example_info: dict, classes: list[str]) -> dict:
    """The checkpoint meta of a run: resolved config, the example info a model reads (kind, shape, channels,
    encodings, make-examples config, multilabel), class names and version."""
    return {
        "config": config,
        "example_info": {k: example_info[k] for k in ("kind", "shape", "channels", "encodings", "config", "multilabel")
                         if k in example_info},
        "classes": classes,
        "genotorch_version": genotorch.__version__,
    }
