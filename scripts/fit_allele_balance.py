"""Count the Illumina models' allele-balance error rate at the hom-alt SNPs of the HG002 regions, leave-one-region-out.

    .venv/bin/python scripts/fit_allele_balance.py [--models benchmarks/models]
                                                   [--shipped src/genotorch/models/default/pileup_illumina.pt]
                                                   [--write]

``call`` writes a hom-alt SNP call het when its allele depths make het the more likely genotype
(:mod:`genotorch.variants.allele_balance`); the rate at which a read shows a base other than the alt at a true
hom-alt SNP is counted here on the real HG002 HiSeq X reads, the same reads the models are fine-tuned on:

* a site counts when it is a GIAB v4.2.1 hom-alt SNP inside the GIAB confident BED, over each region's reads at full
  depth (MAPQ >= 5, BQ >= 10, as make-examples counts ``AD``);
* each leave-one-region-out model (``loro_<region>.pt``) gets the rate of the *other four* regions, and the shipped
  model that of all five, so no held-out region's reads shape the rate it is called with.

``--write`` stores it in each checkpoint's ``meta.allele_balance`` (weights, temperatures and stutter tables
untouched); without it the script prints the counts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pysam

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from train_default_model import HG2_BED, HG2_REF, HG2_TRUTH, regions, store_in_meta  # noqa: E402


def region_counts(region: str, bam: Path) -> tuple[int, int, int]:
    """``(sites, reads showing another base, reads)`` at the confident hom-alt SNPs of one region (1-based
    inclusive ``region`` string)."""
    from genotorch.io.intervals import parse_region, read_bed
    from genotorch.io.reference import Reference
    from genotorch.variants.allele_balance import count_other_bases

    ref = Reference(HG2_REF)
    iv = parse_region(region, ref.lengths)
    confident = [(c.start, c.end) for c in read_bed(HG2_BED, ref.lengths)
                 if c.contig == iv.contig and c.end > iv.start and c.start < iv.end]
    with pysam.VariantFile(str(HG2_TRUTH)) as truth, pysam.AlignmentFile(str(bam)) as reads:
        sites = [(v.start, v.alts[0]) for v in truth.fetch(iv.contig, iv.start, iv.end)
                 if len(v.ref) == 1 and len(v.alts) == 1 and len(v.alts[0]) == 1
                 and tuple(v.samples[0]["GT"]) == (1, 1) and any(a <= v.start < b for a, b in confident)]
        return (len(sites), *count_other_bases(reads, iv.contig, sites))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=Path, default=ROOT / "benchmarks" / "models")
    ap.add_argument("--shipped", type=Path, default=ROOT / "src/genotorch/models/default/pileup_illumina.pt")
    ap.add_argument("--write", action="store_true", help="store the rates in the checkpoints' meta.allele_balance")
    args = ap.parse_args(argv)
    from genotorch.variants.allele_balance import AlleleBalance

    counts = {}
    for name, region, bam in regions():
        counts[name] = region_counts(region, bam)
        n, other, total = counts[name]
        print(f"{name}: {n} hom-alt SNPs, {other} of {total:,} reads show another base", flush=True)
    models = {}
    for name in counts:
        others = [k for k in counts if k != name]
        models[args.models / f"loro_{name}.pt"] = AlleleBalance.from_counts(
            sum(counts[k][1] for k in others), sum(counts[k][2] for k in others),
            source=f"hom-alt SNPs of HG002 HiSeq X regions {', '.join(others)} (scripts/fit_allele_balance.py; "
                   f"{name} held out)")
    models[args.shipped] = AlleleBalance.from_counts(
        sum(c[1] for c in counts.values()), sum(c[2] for c in counts.values()),
        source="hom-alt SNPs of the five HG002 HiSeq X regions (scripts/fit_allele_balance.py)")
    for path, m in models.items():
        print(f"{path.name}: error rate {m.error_rate:.4f}")
    if args.write:
        for path, m in models.items():
            store_in_meta(path, "allele_balance", m.to_dict())
            print(f"wrote the allele-balance error rate into {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
