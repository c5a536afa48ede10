"""VCF files through pysam (htslib): opening and checking truth and call sets, and writing genotorch's calls and
GT-only truth sets (bgzipped + tabix-indexed).

The calls' header carries the reference's contigs with lengths, FILTER definitions (PASS, RefCall, LowQual), FORMAT
GT:GQ:DP:AD:VAF:PL, the sample name, and the genotorch version, model and command line that made the file.
Files are written under a temporary name and renamed with their index when complete. :class:`CallRecord` is the
record type the writer takes; positions in it are 0-based (VCF POS - 1).
"""

from __future__ import annotations

import os
from pathlib import Path
from dataclasses import dataclass
from typing import Iterable, Sequence

import pysam

import genotorch
from genotorch.io.files import prepare_output, temporary_name
from genotorch.errors import GenotorchError
from genotorch.io.intervals import contig_alias
from genotorch.io.reference import Reference

@dataclass
class CallRecord:
    """One VCF record. ``pos`` is 0-based; ``ad`` has one entry per allele (REF first)."""

    contig: str
    pos: int
    ref: str
    alts: list[str]
    gt: tuple[int, int]
    gq: int
    qual: float
    pl: list[int]
    filter: str
    dp: int
    ad: list[int]
    vaf: list[float]


def open_vcf(path: str | Path, what: str, flag: str) -> pysam.VariantFile:
    """Open a VCF/BCF with pysam. Raises GenotorchError naming ``what``, the path and ``flag`` when it is missing or
    unreadable."""
    path = Path(path)
    if not path.exists():
        raise GenotorchError(f"{what} {path} does not exist: check {flag}")
    try:
        return pysam.VariantFile(str(path))
    except (OSError, ValueError) as e:
        raise GenotorchError(f"{what} {path} cannot be read as VCF ({e}): check {flag}") from None


def vcf_records(vf: pysam.VariantFile, path: str | Path, flag: str, *fetch):
    """Records of ``vf`` (all, or ``vf.fetch(*fetch)``), turning htslib's parse errors into one clear line.

    Raises
    ------
    GenotorchError
        A record that cannot be parsed (bad POS, too few columns, ...), naming the file, the record after the last
        good one and the flag.
    """
    last = None
    try:
        for rec in vf.fetch(*fetch) if fetch else vf:
            last = rec
            yield rec
    except (OSError, ValueError):
        where = f"after {last.contig}:{last.pos}" if last is not None else "at its first record"
        raise GenotorchError(f"{path}: the record {where} cannot be parsed (a POS that is not a number, too few "
                             f"columns, ...): fix it or check {flag}") from None


def check_vcf_matches_reference(vf: pysam.VariantFile, reference: Reference, path: Path, flag: str,
                                sample_records: int = 200) -> None:
    """A VCF's contigs (when its header gives lengths) and the REF bases of its first records must match the
    reference. A reference contig shorter than the VCF's is taken for a slice of it (the first bases of the
    contig, as test and demo references are) and only its REF bases are checked.

    Raises
    ------
    GenotorchError
        A reference contig longer than the VCF's, or more than 10 % of the first ``sample_records`` REF alleles
        differ from the reference (a VCF made on another build).
    """
    for name, contig in vf.header.contigs.items():
        alias = contig_alias(name, reference.lengths)
        if alias and contig.length and contig.length < reference.lengths[alias]:
            raise GenotorchError(
                f"{path}: contig {name} is {contig.length:,} bp but {alias} is {reference.lengths[alias]:,} bp in "
                f"{reference.path}: {flag} was made on another reference build"
            )
    seen = bad = 0
    for rec in vcf_records(vf, path, flag, *(() if vf.index is None else (None,))):
        alias = contig_alias(rec.contig, reference.lengths)
        if alias is None:
            continue
        seq = reference.fetch(alias, rec.start, rec.start + len(rec.ref))
        if set(seq) == {"N"}:
            continue
        seen += 1
        bad += seq != rec.ref.upper()
        if seen >= sample_records:
            break
    if seen and bad / seen > 0.1:
        raise GenotorchError(
            f"{path}: {bad} of the first {seen} REF alleles differ from {reference.path}: {flag} was made on "
            f"another reference build"
        )


FORMAT_LINES = [
    ("GT", "1", "String", "Genotype"),
    ("GQ", "1", "Integer", "Conditional genotype quality: -10log10(1 - P(GT))"),
    ("DP", "1", "Integer", "Read depth at the site (reads with a counted base)"),
    ("AD", "R", "Integer", "Read depth for each allele"),
    ("VAF", "A", "Float", "Variant allele fractions"),
    ("PL", "G", "Integer", "Phred-scaled genotype likelihoods rounded to the closest integer"),
]


def make_header(contigs: dict[str, int], sample: str, extra: Sequence[str] = ()) -> pysam.VariantHeader:
    """The header of genotorch's calls: contigs with lengths, FILTERs, FORMAT fields, ``extra`` lines and the
    sample."""
    h = pysam.VariantHeader()
    h.add_line(f"##source=genotorch-{genotorch.__version__}")
    for name, length in contigs.items():
        h.contigs.add(name, length=length)
    h.filters.add("RefCall", None, None, "Genotyping model thinks this site is reference")
    h.filters.add("LowQual", None, None, "QUAL below the calling threshold")
    for fid, num, typ, desc in FORMAT_LINES:
        h.formats.add(fid, num, typ, desc)
    for line in extra:
        h.add_line(line)
    h.add_sample(sample)
    return h


def write_vcf(path: str | Path, records: Iterable[CallRecord], contigs: dict[str, int], sample: str,
              extra_header: Sequence[str] = ()) -> Path:
    """Write ``path`` (``.vcf.gz``) and ``path.tbi``; returns the path. Records must be sorted."""
    path = prepare_output(path, "--output")
    tmp = temporary_name(path, ".vcf")
    header = make_header(contigs, sample, extra_header)
    try:
        with pysam.VariantFile(str(tmp), "w", header=header) as vf:
            for r in records:
                rec = vf.new_record(contig=r.contig, start=r.pos, stop=r.pos + len(r.ref),
                                    alleles=(r.ref, *r.alts), qual=r.qual, filter=r.filter)
                s = rec.samples[sample]
                s["GT"] = r.gt
                s["GQ"] = r.gq
                s["DP"] = r.dp
                s["AD"] = tuple(r.ad)
                s["VAF"] = tuple(r.vaf)
                s["PL"] = tuple(r.pl)
                vf.write(rec)
        gz = pysam.tabix_index(str(tmp), preset="vcf", force=True, keep_original=False)
        os.replace(gz, path)
        os.replace(gz + ".tbi", str(path) + ".tbi")
    finally:
        for p in (tmp, Path(str(tmp) + ".gz"), Path(str(tmp) + ".gz.tbi")):
            if p.exists():
                p.unlink()
    return path


def write_genotype_vcf(path: str | Path, rows: Sequence[tuple[str, int, tuple[str, ...], tuple[int, int], bool]],
                       contigs: dict[str, int], sample: str, gt_description: str, source: str) -> str:
    """Write ``(contig, 0-based start, alleles, gt, phased)`` rows, sorted by contig order, as a one-sample GT-only
    VCF at ``path`` (plain text); bgzip + tabix it and return the ``.vcf.gz`` path. ``source`` names the command
    in the ``##source`` line."""
    order = {c: i for i, c in enumerate(contigs)}
    header = pysam.VariantHeader()
    header.add_line(f"##source=genotorch-{genotorch.__version__} {source}")
    for name, length in contigs.items():
        header.contigs.add(name, length=length)
    header.formats.add("GT", 1, "String", gt_description)
    header.add_sample(sample)
    with pysam.VariantFile(str(path), "w", header=header) as vf:
        for contig, start, alleles, gt, phased in sorted(rows, key=lambda r: (order[r[0]], r[1])):
            rec = vf.new_record(contig=contig, start=start, stop=start + len(alleles[0]), alleles=alleles)
            rec.samples[sample]["GT"] = gt
            rec.samples[sample].phased = phased
            vf.write(rec)
    return pysam.tabix_index(str(path), preset="vcf", force=True)
