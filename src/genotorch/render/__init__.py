"""Pictures of reads without IGV (IGV-like PNGs, pileup tensors channel by channel) and IGV batch scripts."""
