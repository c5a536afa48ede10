"""Batch inference: images (and, later, sequences) -> class probabilities, metrics, plots."""
