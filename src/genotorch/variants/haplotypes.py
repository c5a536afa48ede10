"""A diploid sample's two haplotype sequences from a reference and a phased VCF (the first step of simulating
training reads whose truth is known everywhere: haplotypes -> read simulator -> aligner -> BAM).

Contract
--------
``build_haplotypes`` returns two upper-case strings for ``region`` (0-based, half-open). Haplotype h carries the
alt allele ``GT[h]`` of every phased record (``0|1`` puts the alt on haplotype 2); hom-alt records (``1/1``,
phased or not) go on both. Unphased heterozygous records cannot be placed and are skipped; so are records that
overlap one already applied on that haplotype, symbolic alleles and records not wholly inside the region.
The counts of each are returned so a caller can report them, and ``placed`` lists every record that went on at
least one haplotype with the genotype actually applied (the truth of a simulation made from these sequences).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from genotorch.io.intervals import Interval, contig_alias
from genotorch.io.reference import Reference
from genotorch.io.variants import open_vcf


@dataclass(frozen=True)
class PlacedVariant:
    """A record applied to the haplotypes: 0-based ``start``, VCF alleles, ``gt`` = allele index per haplotype."""

    contig: str
    start: int
    alleles: tuple[str, ...]
    gt: tuple[int, int]


@dataclass
class HaplotypeBuild:
    """The two haplotype sequences of a region and what went into them (see the module docstring)."""
    sequences: tuple[str, str]
    applied: list[int] = field(default_factory=lambda: [0, 0])
    skipped_unphased: int = 0
    skipped_overlap: int = 0
    skipped_other: int = 0
    placed: list[PlacedVariant] = field(default_factory=list)


def build_haplotypes(reference: Reference, phased_vcf: str | Path, region: Interval,
                     sample: str | None = None) -> HaplotypeBuild:
    """Apply the phased genotypes of ``sample`` (default: the first) to ``region`` of the reference.

    Raises
    ------
    GenotorchError
        Unreadable VCF (see :func:`genotorch.variants.labels.open_vcf`).
    """
    ref_seq = reference.fetch(region.contig, region.start, region.end)
    pieces: list[list[str]] = [[], []]
    cursor = [region.start, region.start]
    build = HaplotypeBuild(("", ""))
    with open_vcf(phased_vcf, "phased truth VCF", "--truth") as vf:
        name = contig_alias(region.contig, vf.header.contigs)
        for rec in vf.fetch(name, region.start, region.end) if name else ():
            _apply(rec, sample, region, ref_seq, pieces, cursor, build)
    for h in (0, 1):
        pieces[h].append(ref_seq[cursor[h] - region.start :])
    build.sequences = ("".join(pieces[0]), "".join(pieces[1]))
    return build


def _apply(rec, sample, region: Interval, ref_seq: str, pieces: list[list[str]], cursor: list[int],
           build: HaplotypeBuild) -> None:
    """Put one record's alleles on the haplotypes its genotype names (or count why not)."""
    s = rec.samples[sample] if sample else rec.samples[0]
    gt = s.get("GT") or ()
    if len(gt) != 2 or rec.start < region.start or rec.stop > region.end:
        build.skipped_other += 1
        return
    hom = gt[0] == gt[1] and gt[0] not in (None, 0)
    if not s.phased and not hom:
        build.skipped_unphased += int(any(a not in (None, 0) for a in gt))
        return
    put = [0, 0]
    for h in (0, 1):
        a = gt[h]
        if a in (None, 0):
            continue
        alt = rec.alleles[a]
        if alt.startswith("<") or alt == "*":
            build.skipped_other += 1
            continue
        if rec.start < cursor[h]:
            build.skipped_overlap += 1
            continue
        pieces[h].append(ref_seq[cursor[h] - region.start : rec.start - region.start])
        pieces[h].append(alt.upper())
        cursor[h] = rec.start + len(rec.ref)
        build.applied[h] += 1
        put[h] = a
    if any(put):
        build.placed.append(PlacedVariant(region.contig, rec.start, tuple(a.upper() for a in rec.alleles),
                                          (put[0], put[1])))
