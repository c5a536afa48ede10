"""Load genotorch checkpoints for inference with torch alone (no Lightning import: calling starts faster).

A genotorch checkpoint is a Lightning checkpoint whose ``hyper_parameters["meta"]`` holds the resolved config, the
example info (channels, shape, encodings, make-examples config), the class names and the genotorch version.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import torch
from torch import nn

from genotorch.errors import GenotorchError
from genotorch.models.calibration import TemperatureScaled
from genotorch.models.registry import build_model


def model_params(meta: dict) -> dict:
    """Model constructor arguments: the config's params plus what the data fixes (input channels, classes)."""
    params = dict(meta["config"]["model"].get("params", {}))
    params.setdefault("in_channels", len(meta["example_info"]["channels"]))
    params.setdefault("n_classes", len(meta["classes"]))
    if meta["example_info"].get("kind") == "sequence":
        params.setdefault("length", meta["example_info"]["shape"][1])
    params.update(meta.get("inference_params") or {})
    return params


def read_checkpoint(path: str | Path, flag: str = "--model", map_location: str = "cpu") -> dict:
    """The contents of a genotorch checkpoint, read with ``torch.load(weights_only=True)``: tensors, numbers,
    strings, lists and dicts only, so a file carrying pickled code is refused before anything in it runs.

    Returns
    -------
    dict with ``state_dict`` and ``hyper_parameters["meta"]`` (config, example info, classes, version); a training
    checkpoint also has optimizer, loop and callback states.

    Raises
    ------
    GenotorchError
        Missing file, a file torch cannot read, a file that needs unpickling code (refused), or a checkpoint not
        made by genotorch; the message names the file and ``flag``.
    """
    path = Path(path)
    if not path.exists():
        raise GenotorchError(f"checkpoint {path} does not exist: check {flag}")
    if not path.is_file():
        raise GenotorchError(f"checkpoint {path} is not a file: check {flag}")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        what = str(e).split("\n")[0][:160]
        if "weights_only" in str(e) or "global" in str(e).lower():
            raise GenotorchError(f"{path} holds more than weights and settings (pickled objects or code), so it is "
                                 f"refused unread: use a checkpoint written by genotorch for {flag}") from None
        raise GenotorchError(f"{path} is not a readable checkpoint ({what}): check {flag}") from None
    except Exception as e:  # noqa: BLE001 - torch raises many kinds for a file that is not a checkpoint
        raise GenotorchError(f"{path} is not a readable checkpoint ({type(e).__name__}): check {flag}") from None
    meta = (ckpt.get("hyper_parameters") or {}).get("meta") if isinstance(ckpt, dict) else None
    if not isinstance(meta, dict) or not {"config", "example_info", "classes"} <= meta.keys() \
            or not isinstance(ckpt.get("state_dict"), dict):
        raise GenotorchError(f"{path} is not a genotorch checkpoint (no config/channels inside): check {flag}")
    return ckpt


def checkpoint_kind(meta: dict) -> str:
    """``"pileup"``, ``"sequence"`` or ``"image"``: what a checkpoint's model reads."""
    return meta["example_info"].get("kind", "pileup")


def load_classifier(path: str | Path, map_location: str = "cpu", flag: str = "--model",
                    kind: str | None = None) -> tuple[nn.Module, dict]:
    """The model (eval mode) and meta of a genotorch checkpoint (read safely by :func:`read_checkpoint`).

    Parameters
    ----------
    kind: when given (``"pileup"``, ``"sequence"``, ``"image"``), a checkpoint for another input is refused.

    Raises
    ------
    GenotorchError
        Missing file, not a checkpoint, a checkpoint carrying code, one not made by genotorch, or one of another
        kind than ``kind``.
    """
    ckpt = read_checkpoint(path, flag, map_location)
    meta = ckpt["hyper_parameters"]["meta"]
    if kind is not None and checkpoint_kind(meta) != kind:
        raise GenotorchError(f"{path} is a {checkpoint_kind(meta)} model, not a {kind} model: check {flag}")
    try:
        model = build_model(meta["config"]["model"]["name"], **model_params(meta))
        state = {k[len("model."):]: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")}
        model.load_state_dict(state)
    except (KeyError, TypeError, RuntimeError) as e:
        raise GenotorchError(f"{path}: its weights do not fit its own model settings ({type(e).__name__}): "
                             f"the file is damaged; check {flag}") from None
    model.eval()
    temperature = (meta.get("calibration") or {}).get("temperature")
    if temperature:
        model = TemperatureScaled(model, temperature)
    return model, meta


def load_matching_weights(model: nn.Module, path: str | Path, meta: dict | None = None) -> tuple[list[str], list[str]]:
    """Initialise ``model`` from another checkpoint's weights where names and shapes match (``--init-from``).

    With ``meta`` (the new run's), the checkpoint must read the same kind of input: the same example kind and
    channels (a one-hot A/C/G/T model cannot start a pileup model) and, for k-mer models, the same k.

    Returns
    -------
    (loaded, skipped): parameter names.

    Raises
    ------
    GenotorchError
        The checkpoint's input differs as above, or it shares no tensor with ``model``.
    """
    other, other_meta = load_classifier(path, flag="--init-from")
    if isinstance(other, TemperatureScaled):
        other = other.model
    if meta is not None:
        a, b = other_meta["example_info"], meta["example_info"]
        if (a.get("kind"), a.get("channels")) != (b.get("kind"), b.get("channels")):
            raise GenotorchError(f"--init-from {path}: it reads {a.get('kind', 'pileup')} input with channels "
                                 f"{a.get('channels')}, this run {b.get('kind', 'pileup')} with {b.get('channels')}")
        ka, kb = getattr(other, "k", None), model_params(meta).get("k", getattr(model, "k", None))
        if ka is not None and kb is not None and ka != kb:
            raise GenotorchError(f"--init-from {path}: a {ka}-mer model, but this config has model.params.k = {kb}: "
                                 f"set k to {ka}")
    src = other.state_dict()
    dst = model.state_dict()
    loaded = [k for k, v in src.items() if k in dst and dst[k].shape == v.shape]
    if not loaded:
        raise GenotorchError(f"--init-from {path}: no tensor of its {other_meta['config']['model']['name']} model "
                             f"matches this run's {meta['config']['model']['name'] if meta else 'model'}")
    skipped = [k for k in dst if k not in loaded]
    model.load_state_dict({**dst, **{k: src[k] for k in loaded}})
    return loaded, skipped
