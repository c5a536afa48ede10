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


def default_model_path(model_file: str = "pileup_illumina.pt") -> Path:
    """Path of a shipped model (the Illumina one by default; ``pileup_hifi.pt``, ``pileup_ont.pt`` for the
    long-read presets). Raises GenotorchError if this install lacks it."""
    path = HERE / model_file
    if not path.exists():
        raise GenotorchError(f"the shipped default model {path} is missing from this install: reinstall genotorch, train "
                             "one with the recipe in scripts/, or give --model")
    return path


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
