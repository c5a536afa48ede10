"""The default variant-calling model shipped with genotorch: ``pileup_illumina.pt`` and its ``MODEL_CARD.md``
(:mod:`genotorch.models.default.shipped` finds and exports it)."""

from genotorch.models.default.shipped import DEFAULT_MODEL, HERE, default_model_path, export

__all__ = ["DEFAULT_MODEL", "HERE", "default_model_path", "export"]
