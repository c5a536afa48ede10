"""genotorch: deep learning on genomic data, straight from the field's own files."""

__version__ = "0.1.0"
