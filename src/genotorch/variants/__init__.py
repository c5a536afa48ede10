"""Variant calling stages: candidates, labels, make_examples, postprocess, evaluate."""
