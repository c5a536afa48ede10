"""Readers and writers for the field's file formats (all through pysam/htslib, h5py)."""
