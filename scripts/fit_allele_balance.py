"""Count the Illumina models' allele-balance error rates at the hom-alt SNPs and indels of the HG002 regions,
leave-one-region-out.

    .venv/bin/python scripts/fit_allele_balance.py [--models benchmarks/models]
                                                   [--shipped src/genotorch/models/default/pileup_illumina.pt]
                                                   [--write]

``call`` writes a hom-alt SNP call het when its allele depths make het the more likely genotype
(:mod:`genotorch.variants.allele_balance`); the rate at which a read shows a base other than the alt at a true
hom-alt SNP is counted here on the real HG002 HiSeq X reads, the same reads the models are fine-tuned on:

* a site counts when it is a GIAB v4.2.1 hom-alt SNP inside the GIAB confident BED, over each region's reads at full
  depth (MAPQ >= 5, BQ >= 10, as make-examples counts ``AD``);
* the indel rate: at each GIAB v4.2.1 hom-alt biallelic indel inside the confident BED and outside homopolymer/STR
  tracts (``allele_balance.in_repeat_tract``), the informative reads at the reference length over the informative
  reads showing the reference or the allele (``AD``, as make-examples counts it with the shipped model's settings,
  realignment and spanning indel reads included);
* each leave-one-region-out model (``loro_<region>.pt``) gets the rate of the *other four* regions, and the shipped
  model that of all five, so no held-out region's reads shape the rate it is called with.

``--write`` stores it in each checkpoint's ``meta.allele_balance`` (weights, temperatures and stutter tables
untouched); without it the script prints the counts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pysam

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from train_default_model import (  # noqa: E402
    HG2_REF, HG2_TRUTH, confident_spans, fit_parser, loro_fits, regions, store_fits,
)


def region_counts(region: str, bam: Path) -> tuple[int, int, int]:
    """``(sites, reads showing another base, reads)`` at the confident hom-alt SNPs of one region (1-based
    inclusive ``region`` string)."""
    from genotorch.io.intervals import parse_region
    from genotorch.io.reference import Reference
    from genotorch.variants.allele_balance import count_other_bases

    ref = Reference(HG2_REF)
    iv = parse_region(region, ref.lengths)
    confident = confident_spans(iv, ref.lengths)
    with pysam.VariantFile(str(HG2_TRUTH)) as truth, pysam.AlignmentFile(str(bam)) as reads:
        sites = [(v.start, v.alts[0]) for v in truth.fetch(iv.contig, iv.start, iv.end)
                 if len(v.ref) == 1 and len(v.alts) == 1 and len(v.alts[0]) == 1
                 and tuple(v.samples[0]["GT"]) == (1, 1) and any(a <= v.start < b for a, b in confident)]
        return (len(sites), *count_other_bases(reads, iv.contig, sites))


def indel_region_counts(region: str, bam: Path, config) -> tuple[int, int, int]:
    """``(sites, reads at the reference length, reads)`` at the confident hom-alt indels outside repeat tracts of one
    region, from make-examples' candidates (``AD`` of informative reads) under the make-examples ``config``."""
    import functools

    from genotorch.variants.allele_balance import in_repeat_tract
    from genotorch.variants.make_examples import Inputs, iter_chunk_results, open_run

    inputs = Inputs(str(HG2_REF), str(bam))
    probe, (iv,), chunks = open_run(inputs, config, [region], None)
    fetch = functools.partial(probe.reference.fetch, iv.contig)
    confident = confident_spans(iv, probe.reference.lengths)
    with pysam.VariantFile(str(HG2_TRUTH)) as truth:
        sites = {(v.start, v.ref, v.alts[0]) for v in truth.fetch(iv.contig, iv.start, iv.end)
                 if len(v.alts) == 1 and len(v.ref) != len(v.alts[0]) and tuple(v.samples[0]["GT"]) == (1, 1)
                 and any(a <= v.start and v.stop <= b for a, b in confident) and not in_repeat_tract(fetch, v.start)}
    found, ref_reads, reads = set(), 0, 0
    for res in iter_chunk_results(inputs, chunks, config, 1, probe):
        for c in res.candidates:
            if (c.pos, c.ref, c.alt) in sites:
                found.add((c.pos, c.ref, c.alt))
                ref_reads += c.ref_count
                reads += c.ref_count + c.alt_count
    if len(found) < len(sites):
        print(f"  {len(sites) - len(found)} of {len(sites)} hom-alt indels had no candidate", flush=True)
    return len(found), ref_reads, reads


def main(argv=None) -> int:
    args = fit_parser(__doc__, "allele_balance").parse_args(argv)
    from genotorch.models.checkpoint import read_checkpoint
    from genotorch.variants.allele_balance import AlleleBalance
    from genotorch.variants.make_examples import MakeExamplesConfig

    meta = read_checkpoint(args.shipped)["hyper_parameters"]["meta"]
    config = MakeExamplesConfig.from_dict(meta["example_info"]["config"])  # the counts `call` sees
    counts = {}
    for name, region, bam in regions():
        counts[name] = region_counts(region, bam) + indel_region_counts(region, bam, config)
        n, other, total, n_indel, ref_reads, reads = counts[name]
        print(f"{name}: {n} hom-alt SNPs, {other} of {total:,} reads show another base; {n_indel} hom-alt indels "
              f"outside repeats, {ref_reads} of {reads:,} informative reads at the reference length", flush=True)
    models = loro_fits(counts, lambda parts, source: AlleleBalance.from_counts(
        sum(p[1] for p in parts), sum(p[2] for p in parts), source=source,
        indel_counts=(sum(p[4] for p in parts), sum(p[5] for p in parts))),
        "hom-alt SNPs and indels", "scripts/fit_allele_balance.py", args.models, args.shipped)
    for path, m in models.items():
        print(f"{path.name}: error rate {m.error_rate:.4f}, indels {m.indel_error_rate:.4f}")
    if args.write:
        store_fits(models, "allele_balance", "allele-balance error rate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
