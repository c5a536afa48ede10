"""Count the Illumina models' stutter tables on the hom-ref repeat tracts of the HG002 regions, leave-one-region-out.

    .venv/bin/python scripts/fit_stutter_table.py [--models benchmarks/models]
                                                  [--shipped src/genotorch/models/default/pileup_illumina.pt]
                                                  [--write]

``call`` turns a CNN het call of an indel in a homopolymer/STR into hom-alt, and a RefCall into het, when the
spanning reads' repeat lengths say so (:mod:`genotorch.variants.repeat_genotypes`); the stutter table it needs (how
often a read shows a repeat shifted by k units, by unit and length) is counted here on the real HG002 HiSeq X reads,
the same reads the models are fine-tuned on:

* a read counts over a tract when its alignment reaches ``--min-flank`` bp (20) beyond it on both sides, as where
  ``call`` uses the table (stored with it);
* a tract (a homopolymer or STR of unit 1-4, >= 6 bp) counts when it lies in the GIAB confident BED with 5 bp either
  side and no GIAB v4.2.1 variant starts within 5 bp of it (hom-ref), over each region's reads at full depth;
* each leave-one-region-out model (``loro_<region>.pt``) gets the table of the *other four* regions, and the shipped
  model the table of all five, so no held-out region's reads shape the table it is called with;
* with each table, for the RefCall -> het step: the Dirichlet-multinomial ``dispersion`` fitted on the same tracts
  (:func:`repeat_genotypes.fit_dispersion`), and ``het_threshold``, the largest het-vs-hom-ref log-likelihood ratio
  (:func:`repeat_genotypes.het_log_likelihood_ratio`) at those tracts, each region's tracts scored with the table of
  the table's *other* regions (so a tract never scores itself), at full depth and subsampled to 50% and 30% (the
  seeds the models' real training reads were subsampled with).

``--write`` stores the table in each checkpoint's ``meta.stutter`` (weights and temperatures untouched); without it
the script prints the tables' sizes, the homopolymer shift rates, the dispersions and the thresholds.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pysam

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from train_default_model import (  # noqa: E402
    FRACTIONS, HG2_REF, HG2_TRUTH, confident_spans, fit_parser, loro_fits, regions, store_fits, subsample,
)


@dataclasses.dataclass
class RegionTracts:
    """One region's hom-ref tracts: ``counts`` (bucket -> shift counts at full depth) and ``tracts`` (fraction ->
    ``(unit, length in units, shifts)`` per tract, at each of ``FRACTIONS``)."""

    counts: dict[str, Counter]
    tracts: dict[float, list[tuple[int, float, Counter]]]


def region_tracts(region: str, bam: Path, tmp: Path, min_flank: int) -> RegionTracts:
    """The hom-ref tracts of one region (1-based inclusive ``region`` string) and the reads' shifts over them."""
    from genotorch.io.intervals import parse_region
    from genotorch.io.reference import Reference
    from genotorch.variants.repeat_genotypes import add_shifts, hom_ref_tracts, length_shifts

    ref = Reference(HG2_REF)
    iv = parse_region(region, ref.lengths)
    with pysam.VariantFile(str(HG2_TRUTH)) as truth:
        positions = [v.pos - 1 for v in truth.fetch(iv.contig, iv.start, iv.end)]
    tracts = list(hom_ref_tracts(functools.partial(ref.fetch, iv.contig), iv.start, iv.end, positions,
                                 confident_spans(iv, ref.lengths)))
    out: dict[float, list] = {}
    for fraction, seed in FRACTIONS:
        reads = bam if fraction == 1 else subsample(bam, tmp / f"{bam.stem}_{fraction}.bam", fraction, seed)
        with pysam.AlignmentFile(str(reads)) as aln:
            out[fraction] = [(u, (t1 - t0) / u, length_shifts(aln, iv.contig, t0, t1, u, min_flank=min_flank))
                             for t0, t1, u in tracts]
    counts: dict[str, Counter] = {}
    for unit, length, shifts in out[1.0]:
        add_shifts(counts, unit, length, shifts)
    return RegionTracts(counts, out)


def merged(parts) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for part in parts:
        for b, c in part.items():
            out.setdefault(b, Counter()).update(c)
    return out


def fit_table(parts: list[RegionTracts], source: str, min_flank: int):
    """The stutter table of ``parts``, with its dispersion and het threshold (module docstring)."""
    from genotorch.variants.repeat_genotypes import StutterTable, fit_dispersion, het_log_likelihood_ratio

    table = StutterTable.from_counts(merged(p.counts for p in parts), source=source, min_flank=min_flank)
    alpha = fit_dispersion(table, [t for p in parts for t in p.tracts[1.0]])
    threshold = 0.0
    for p in parts:
        inner = dataclasses.replace(StutterTable.from_counts(merged(q.counts for q in parts if q is not p),
                                                             min_flank=min_flank), dispersion=alpha)
        for tracts in p.tracts.values():
            for unit, length, shifts in tracts:
                threshold = max(threshold, het_log_likelihood_ratio(inner, unit, length, shifts)[0])
    return dataclasses.replace(table, dispersion=alpha, het_threshold=round(threshold, 3))


def main(argv=None) -> int:
    from genotorch.variants.repeat_genotypes import SPANNING_FLANK_BP

    parser = fit_parser(__doc__, "stutter")
    parser.add_argument("--min-flank", type=int, default=SPANNING_FLANK_BP,
                        help="bp a read must align beyond the tract on each side to count (default "
                             f"{SPANNING_FLANK_BP}, repeat_genotypes.SPANNING_FLANK_BP)")
    args = parser.parse_args(argv)

    data = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, region, bam in regions():
            data[name] = region_tracts(region, bam, Path(tmp), args.min_flank)
            n = sum(sum(c.values()) for c in data[name].counts.values())
            print(f"{name}: {len(data[name].tracts[1.0]):,} hom-ref tracts, {n:,} reads over them", flush=True)
    tables = loro_fits(data, functools.partial(fit_table, min_flank=args.min_flank), "hom-ref tracts",
                       "scripts/fit_stutter_table.py", args.models, args.shipped)
    shipped = tables[args.shipped]
    for length in (6, 10, 14, 18):
        p = shipped.probs.get(f"1:{length}")
        if p:
            print(f"homopolymer {length} bp: -1 {p['-1']:.3f}  0 {p['0']:.3f}  +1 {p['1']:.3f}")
    for path, t in tables.items():
        print(f"{path.name}: dispersion {t.dispersion:.1f}, het threshold {t.het_threshold:.3f}")
    if args.write:
        store_fits(tables, "stutter", "stutter table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
