"""Model registry: ``build_model(name, **params)`` builds a model by the name a config gives (``model.name``).

The table maps each name to the module and builder that make it; modules are imported on first use, so a model
module never imports the registry (no cycle) and importing genotorch stays light.
"""

from __future__ import annotations

import importlib

from torch import nn

from genotorch.errors import GenotorchError

MODELS: dict[str, tuple[str, str]] = {
    "pileup_resnet": ("genotorch.models.pileup_cnn", "PileupResNet"),
    "alexnet_like": ("genotorch.models.image_cnn", "AlexNetLike"),
    "resnet18": ("genotorch.models.image_cnn", "resnet18"),
    "resnet34": ("genotorch.models.image_cnn", "resnet34"),
    "chart_profile_cnn": ("genotorch.models.profile_cnn", "ChartProfileCNN"),
    "basset": ("genotorch.models.seq_cnn", "Basset"),
    "small_cnn": ("genotorch.models.seq_cnn", "SmallCNN"),
    "dilated_cnn": ("genotorch.models.seq_cnn", "DilatedCNN"),
    "kmer_bert": ("genotorch.models.kmer_bert", "KmerBert"),
}


def available_models() -> list[str]:
    """The names ``model.name`` accepts."""
    return sorted(MODELS)


def build_model(name: str, **params) -> nn.Module:
    """Instantiate the model registered as ``name`` with ``params`` (the config's ``model.params`` plus what the
    data fixes: input channels, classes, sequence length).

    Raises
    ------
    GenotorchError
        Unknown name (the known names are listed) or parameters the model does not take.
    """
    if name not in MODELS:
        raise GenotorchError(f"unknown model {name!r} in config model.name; known: {', '.join(available_models())}")
    module, attr = MODELS[name]
    builder = getattr(importlib.import_module(module), attr)
    try:
        return builder(**params)
    except TypeError as e:
        raise GenotorchError(f"model {name!r}: bad model.params ({e})") from None
