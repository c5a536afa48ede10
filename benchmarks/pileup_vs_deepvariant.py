"""Channel-by-channel agreement of genotorch's pileup tensors with DeepVariant 1.9's own tensors.

For every example in DeepVariant's golden files (NA12878 chr20:10,000,000-10,010,000), genotorch draws the same
allele at the same site from the same BAM and reference, and we count equal pixels per channel.
DeepVariant realigns reads around candidate indels before drawing (genotorch does not), and samples rows with its
own RNG above 95 reads; both show up as disagreement, so we also report sites without any indel candidate nearby.

    python benchmarks/pileup_vs_deepvariant.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from genotorch.encode.pileup import PileupConfig
from genotorch.io.deepvariant import read_deepvariant_examples
from genotorch.variants.candidates import Candidate
from genotorch.variants.make_examples import ChunkProcessor, Inputs, MakeExamplesConfig


def agreement(shared: Path, which: str = "training") -> dict:
    gold = shared / "data/variants/deepvariant_golden" / f"golden.{which}_examples.tfrecord.gz"
    data = shared / "data/variants/hg001_illumina_grch37"
    inputs = Inputs(str(data / "ucsc.hg19.chr20.unittest.fasta.gz"), str(data / "NA12878_S1.chr20.10_10p1mb.bam"))
    # DeepVariant draws every overlapping read in an indel's pileup, so genotorch's spanning-reads rule is off here
    proc = ChunkProcessor(inputs, MakeExamplesConfig(pileup=PileupConfig(spanning_indel_reads=False)))
    examples = [e for e in read_deepvariant_examples(gold) if len(e.alt_indices) == 1]
    sites = [Candidate(e.contig, e.start, e.ref, e.alt, 0, 0, 0) for e in examples]
    ours = proc.pileups_at(sites).transpose(0, 2, 3, 1)  # -> (N, H, W, C) like DeepVariant
    theirs = np.stack([e.image for e in examples])
    indel_pos = [e.start for e in examples if len(e.ref) != len(e.alt)]
    clean = np.array([all(abs(e.start - p) > 150 for p in indel_pos) for e in examples])
    channels = proc.config.pileup.channels
    eq = ours == theirs
    return {
        "n_examples": len(examples),
        "n_clean": int(clean.sum()),
        "per_channel": {ch: float(eq[..., k].mean()) for k, ch in enumerate(channels)},
        "per_channel_clean": {ch: float(eq[clean][..., k].mean()) for k, ch in enumerate(channels)},
        "identical_examples": int(eq.reshape(len(examples), -1).all(axis=1).sum()),
        "total": float(eq.mean()),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared")
    args = ap.parse_args(argv)
    for which in ("training", "calling"):
        r = agreement(args.shared, which)
        print(f"\n{which} examples: {r['n_examples']} single-alt ({r['n_clean']} with no indel candidate within 150 bp); "
              f"{r['identical_examples']} identical tensors; {100 * r['total']:.3f} % of pixels agree")
        print(f"{'channel':24s} {'all sites':>10s} {'no indel near':>14s}")
        for ch, v in r["per_channel"].items():
            print(f"{ch:24s} {100 * v:9.3f}% {100 * r['per_channel_clean'][ch]:13.3f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
