"""Encoders from the field's data to tensors: pileups (reads), one-hot and k-mers (sequences)."""
