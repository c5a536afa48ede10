"""The default variant-calling model shipped with genotorch (used by ``genotorch call`` without ``--model``).

``pileup_illumina.pt`` holds the weights and meta (config, example info, classes, version) of a
``pileup_resnet`` trained by ``scripts/train_default_model.py``; ``MODEL_CARD.md``
beside it says on what, how, and how well. :func:`export` strips a training checkpoint to that form (no optimizer
state: about a third of the size).
"""

from __future__ import annotations

from pathlib import Path

from genotorch.errors import GenotorchError

HERE = Path(__file__).resolve().parent  # the package folder holding the .pt and its model card
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
    from genotorch.io.files import atomic_output, atomic_write_json

    out = Path(out_dir) / name
    with atomic_output(out, "OUT_DIR") as tmp:
        torch.save({"hyper_parameters": {"meta": meta}, "state_dict": state,
                    "source": {"checkpoint": str(checkpoint), "global_step": ckpt.get("global_step"),
                               "epoch": ckpt.get("epoch")}}, tmp)
    if write_config:
        atomic_write_json(Path(out_dir) / "config.json", meta["config"], "OUT_DIR")
    return out
