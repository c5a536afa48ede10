"""A diploid sample's two haplotype sequences from a reference and a phased VCF (the first step of simulating
training reads whose truth is known everywhere: haplotypes -> read simulator -> aligner -> BAM).

Contract
--------
``build_haplotypes`` returns two upper-case strings for ``region`` (0-based, half-open). Haplotype h carries the
alt allele ``GT[h]`` of every phased record (``0|1`` puts the alt on haplotype 2); hom-alt records (``1/1``,
phased or not) go on both. Unphased heterozygous records cannot be placed and are skipped; so are records that
overlap one already applied on that haplotype, symbolic alleles and records not wholly inside the region.
The counts of each are returned so a caller can report them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from genotorch.io.intervals import Interval, strip_chr
from genotorch.io.reference import Reference
from genotorch.variants.labels import open_vcf


@dataclass
class HaplotypeBuild:
    sequences: tuple[str, str]
    applied: list[int] = field(default_factory=lambda: [0, 0])
    skipped_unphased: int = 0
    skipped_overlap: int = 0
    skipped_other: int = 0


def build_haplotypes(reference: Reference, phased_vcf: str | Path, region: Interval,
                     sample: str | None = None) -> HaplotypeBuild:
    """Apply the phased genotypes of ``sample`` (default: the first) to ``region`` of the reference.

    Raises
    ------
    GenotorchError
        Unreadable VCF (see :func:`genotorch.variants.labels.open_vcf`).
    """
    vf = open_vcf(phased_vcf, "phased truth VCF", "--truth")
    names = {strip_chr(c): c for c in vf.header.contigs}
    ref_seq = reference.fetch(region.contig, region.start, region.end)
    pieces: list[list[str]] = [[], []]
    cursor = [region.start, region.start]
    build = HaplotypeBuild(("", ""))
    name = names.get(strip_chr(region.contig))
    records = vf.fetch(name, region.start, region.end) if name else []
    for rec in records:
        s = rec.samples[sample] if sample else rec.samples[0]
        gt = s.get("GT") or ()
        if len(gt) != 2 or rec.start < region.start or rec.stop > region.end:
            build.skipped_other += 1
            continue
        hom = gt[0] == gt[1] and gt[0] not in (None, 0)
        if not s.phased and not hom:
            build.skipped_unphased += int(any(a not in (None, 0) for a in gt))
            continue
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
    for h in (0, 1):
        pieces[h].append(ref_seq[cursor[h] - region.start :])
    build.sequences = ("".join(pieces[0]), "".join(pieces[1]))
    return build


def write_fasta(path: str | Path, records: dict[str, str], width: int = 60) -> Path:
    """Plain FASTA, written to a temporary name and renamed."""
    import os

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w") as fh:
        for name, seq in records.items():
            fh.write(f">{name}\n")
            for i in range(0, len(seq), width):
                fh.write(seq[i : i + width] + "\n")
    os.replace(tmp, path)
    return path
