"""Load genotorch checkpoints for inference with torch alone (no Lightning import: calling starts faster).

A genotorch checkpoint is a Lightning checkpoint whose ``hyper_parameters["meta"]`` holds the resolved config, the
example info (channels, shape, encodings, make-examples config), the class names and the genotorch version.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from genotorch.errors import GenotorchError
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


def load_classifier(path: str | Path, map_location: str = "cpu") -> tuple[nn.Module, dict]:
    """The model (eval mode) and meta of a genotorch checkpoint.

    Raises
    ------
    GenotorchError
        Missing file, not a checkpoint, or a checkpoint not made by genotorch.
    """
    path = Path(path)
    if not path.exists():
        raise GenotorchError(f"model checkpoint {path} does not exist: check --model")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as e:  # noqa: BLE001 - torch raises many kinds for a bad file
        raise GenotorchError(f"{path} is not a readable checkpoint ({type(e).__name__}): check --model") from None
    meta = (ckpt.get("hyper_parameters") or {}).get("meta") if isinstance(ckpt, dict) else None
    if not meta:
        raise GenotorchError(f"{path} is not a genotorch checkpoint (no config/channels inside): check --model")
    model = build_model(meta["config"]["model"]["name"], **model_params(meta))
    state = {k[len("model."):]: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")}
    model.load_state_dict(state)
    model.eval()
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
    other, other_meta = load_classifier(path)
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
