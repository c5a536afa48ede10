"""Count the Illumina models' stutter tables on the hom-ref repeat tracts of the HG002 regions, leave-one-region-out.

    .venv/bin/python scripts/fit_stutter_table.py [--models benchmarks/models]
                                                  [--shipped src/genotorch/models/default/pileup_illumina.pt]
                                                  [--write]

``call`` turns a CNN het call of an indel in a homopolymer/STR into hom-alt when the spanning reads' repeat lengths
say so (:mod:`genotorch.variants.repeat_genotypes`); the stutter table it needs (how often a read shows a repeat
shifted by k units, by unit and length) is counted here on the real HG002 HiSeq X reads, the same reads the models
are fine-tuned on:

* a tract (a homopolymer or STR of unit 1-4, >= 6 bp) counts when it lies in the GIAB confident BED with 5 bp either
  side and no GIAB v4.2.1 variant starts within 5 bp of it (hom-ref), over each region's reads at full depth;
* each leave-one-region-out model (``loro_<region>.pt``) gets the table of the *other four* regions, and the shipped
  model the table of all five, so no held-out region's reads shape the table it is called with.

``--write`` stores the table in each checkpoint's ``meta.stutter`` (weights and temperatures untouched); without it
the script prints the tables' sizes and the homopolymer shift rates.
"""

from __future__ import annotations

import functools
import sys
from collections import Counter
from pathlib import Path

import pysam

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from train_default_model import (  # noqa: E402
    HG2_REF, HG2_TRUTH, confident_spans, fit_parser, loro_fits, regions, store_fits,
)


def region_counts(region: str, bam: Path) -> dict[str, Counter]:
    """Bucket -> shift counts over the hom-ref tracts of one region (1-based inclusive ``region`` string)."""
    from genotorch.io.intervals import parse_region
    from genotorch.io.reference import Reference
    from genotorch.variants.repeat_genotypes import count_stutter

    ref = Reference(HG2_REF)
    iv = parse_region(region, ref.lengths)
    confident = confident_spans(iv, ref.lengths)
    with pysam.VariantFile(str(HG2_TRUTH)) as truth, pysam.AlignmentFile(str(bam)) as reads:
        positions = [v.pos - 1 for v in truth.fetch(iv.contig, iv.start, iv.end)]
        return count_stutter(reads, functools.partial(ref.fetch, iv.contig), iv.contig, iv.start, iv.end, positions,
                             confident)


def merged(parts) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for part in parts:
        for b, c in part.items():
            out.setdefault(b, Counter()).update(c)
    return out


def main(argv=None) -> int:
    args = fit_parser(__doc__, "stutter").parse_args(argv)
    from genotorch.variants.repeat_genotypes import StutterTable

    counts = {}
    for name, region, bam in regions():
        counts[name] = region_counts(region, bam)
        print(f"{name}: {sum(sum(c.values()) for c in counts[name].values()):,} reads over hom-ref tracts", flush=True)
    tables = loro_fits(counts, lambda parts, source: StutterTable.from_counts(merged(parts), source=source),
                       "hom-ref tracts", "scripts/fit_stutter_table.py", args.models, args.shipped)
    shipped = tables[args.shipped]
    for length in (6, 10, 14, 18):
        p = shipped.probs.get(f"1:{length}")
        if p:
            print(f"homopolymer {length} bp: -1 {p['-1']:.3f}  0 {p['0']:.3f}  +1 {p['1']:.3f}")
    if args.write:
        store_fits(tables, "stutter", "stutter table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
