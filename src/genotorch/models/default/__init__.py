"""The default variant-calling model shipped with genotorch (used by ``genotorch call`` without ``--model``).

``pileup_illumina.pt`` holds the weights and meta (config, example info, classes, version) of a
``pileup_resnet`` trained by ``scripts/train_default_model.py``; ``MODEL_CARD.md``
beside it says on what, how, and how well. :func:`export` strips a training checkpoint to that form (no optimizer
state: about a third of the size).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from genotorch.errors import GenotorchError

HERE = Path(__file__).resolve().parent
DEFAULT_MODEL = HERE / "pileup_illumina.pt"


def default_model_path() -> Path:
    """Path of the shipped model. Raises GenotorchError if the package was installed without it."""
    if not DEFAULT_MODEL.exists():
        raise GenotorchError(f"the default model {DEFAULT_MODEL} is missing from this install: reinstall genotorch "
                             "or give --model")
    return DEFAULT_MODEL


def export(checkpoint: str | Path, out_dir: str | Path = HERE, name: str = "pileup_illumina.pt",
           write_config: bool = True) -> Path:
    """Write ``checkpoint``'s model weights + meta to ``out_dir/name`` (temp file, then rename), and its config as
    ``out_dir/config.json`` when ``write_config``."""
    import torch

    from genotorch.models.checkpoint import read_checkpoint

    ckpt = read_checkpoint(checkpoint, "CHECKPOINT")
    meta = ckpt["hyper_parameters"]["meta"]
    state = {k: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")}
    out = Path(out_dir) / name
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{name}.tmp-{os.getpid()}")
    torch.save({"hyper_parameters": {"meta": meta}, "state_dict": state,
                "source": {"checkpoint": str(checkpoint), "global_step": ckpt.get("global_step"),
                           "epoch": ckpt.get("epoch")}}, tmp)
    os.replace(tmp, out)
    if write_config:
        (Path(out_dir) / "config.json").write_text(json.dumps(meta["config"], indent=2))
    return out
