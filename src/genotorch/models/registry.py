"""Model registry: ``build_model(name, **params)``. Register with the ``@register("name")`` decorator."""

from __future__ import annotations

from typing import Callable

from torch import nn

from genotorch.errors import GenotorchError

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}


def register(name: str):
    def deco(fn):
        _REGISTRY[name] = fn
        return fn

    return deco


def available_models() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def build_model(name: str, **params) -> nn.Module:
    """Instantiate a registered model.

    Raises
    ------
    GenotorchError
        Unknown name (the known names are listed) or parameters the model does not take.
    """
    _load_builtin()
    if name not in _REGISTRY:
        raise GenotorchError(f"unknown model {name!r} in config model.name; known: {', '.join(available_models())}")
    try:
        return _REGISTRY[name](**params)
    except TypeError as e:
        raise GenotorchError(f"model {name!r}: bad model.params ({e})") from None


def _load_builtin() -> None:
    from genotorch.models import image_cnn, kmer_bert, pileup_cnn, seq_cnn  # noqa: F401  (register on import)
