"""VCF files through pysam (htslib): opening and checking truth and call sets, and writing genotorch's calls and
GT-only truth sets (bgzipped + tabix-indexed).

The calls' header carries the reference's contigs with lengths, FILTER definitions (PASS, RefCall, LowQual), FORMAT
GT:GQ:DP:AD:VAF:PL, the sample name, and the genotorch version, model and command line that made the file.
Files are written under a temporary name and renamed with their index when complete. :class:`CallRecord` is the
record type the writer takes; positions in it are 0-based (VCF POS - 1).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

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


@dataclass
class RefBlock:
    """A gVCF reference block: ``[pos, end)`` 0-based half-open on ``contig``, written as ``ref <*>`` with
    ``END``, ``GT`` 0/0 (``./.`` when ``called`` is False: the likelihoods do not favour 0/0), ``GQ`` (the block's
    lowest), ``MIN_DP`` and the ``PL`` of its lowest-GQ site (DeepVariant's gVCF record)."""

    contig: str
    pos: int
    end: int
    ref: str
    gq: int
    min_dp: int
    pl: tuple[int, int, int]
    called: bool = True


GVCF_ALT = "<*>"
NON_REF_PL = 990  # the PL DeepVariant gives genotypes holding <*> in a variant record


def make_header(contigs: dict[str, int], sample: str, extra: Sequence[str] = (), gvcf: bool = False
                ) -> pysam.VariantHeader:
    """The header of genotorch's calls: contigs with lengths, FILTERs, FORMAT fields, ``extra`` lines and the
    sample; with ``gvcf``, also INFO END and FORMAT MIN_DP."""
    h = pysam.VariantHeader()
    h.add_line(f"##source=genotorch-{genotorch.__version__}")
    for name, length in contigs.items():
        h.contigs.add(name, length=length)
    h.filters.add("RefCall", None, None, "Genotyping model thinks this site is reference")
    h.filters.add("LowQual", None, None, "QUAL below the calling threshold")
    if gvcf:
        h.info.add("END", "1", "Integer", "End position (for use with symbolic alleles)")
        h.add_line('##ALT=<ID=*,Description="Any allele other than the ones given (gVCF)">')
    for fid, num, typ, desc in FORMAT_LINES:
        h.formats.add(fid, num, typ, desc)
    if gvcf:
        h.formats.add("MIN_DP", "1", "Integer", "Minimum DP observed within the gVCF block")
    for line in extra:
        h.add_line(line)
    h.add_sample(sample)
    return h


@contextmanager
def indexed_vcf_output(path: str | Path, flag: str = "--output") -> Iterator[Path]:
    """Yield a temporary plain-text VCF path to write; on success it is bgzipped, tabix-indexed and renamed to
    ``path`` (``.vcf.gz``) with ``path.tbi``; on any error nothing is left under either name.

    Raises
    ------
    GenotorchError
        ``path`` cannot be written (see :func:`genotorch.io.files.prepare_output`).
    """
    path = prepare_output(path, flag)
    tmp = temporary_name(path, ".vcf")
    try:
        yield tmp
        gz = pysam.tabix_index(str(tmp), preset="vcf", force=True, keep_original=False)
        os.replace(gz, path)
        os.replace(gz + ".tbi", str(path) + ".tbi")
    finally:
        for p in (tmp, Path(str(tmp) + ".gz"), Path(str(tmp) + ".gz.tbi")):
            p.unlink(missing_ok=True)


class VcfWriter:
    """Write records to ``path`` (``.vcf.gz``) as they come, then bgzip + tabix and rename into place on a clean
    exit (a context manager); on an error nothing is left under ``path``. Records must come sorted. With ``gvcf``
    the file is a gVCF: :class:`RefBlock` records are accepted, variant records get the ``<*>`` allele, and RefCall
    records are written no-call (``./.``), as in DeepVariant's gVCF."""

    def __init__(self, path: str | Path, contigs: dict[str, int], sample: str, extra_header: Sequence[str] = (),
                 gvcf: bool = False, flag: str = "--output"):
        self.path = Path(path)
        self._output = indexed_vcf_output(path, flag)
        self.tmp = self._output.__enter__()
        self.sample, self.gvcf = sample, gvcf
        header = make_header(contigs, sample, extra_header, gvcf)
        # a gVCF is written as text: htslib would give every variant record an INFO END (it holds a symbolic allele)
        self.vf = pysam.VariantFile(os.devnull if gvcf else str(self.tmp), "w", header=header)
        self.text = open(self.tmp, "w") if gvcf else None
        if self.text:
            self.text.write(str(header))

    def write(self, r: CallRecord | RefBlock) -> None:
        """Write one record (a :class:`RefBlock` only to a gVCF)."""
        if isinstance(r, RefBlock):
            rec = self.vf.new_record(contig=r.contig, start=r.pos, stop=r.end, alleles=(r.ref, GVCF_ALT), qual=0)
            s = rec.samples[self.sample]
            s["GT"] = (0, 0) if r.called else (None, None)
            s["GQ"], s["MIN_DP"], s["PL"] = r.gq, r.min_dp, tuple(r.pl)
            self.text.write(str(rec))
            return
        alts, ad, vaf, pl = list(r.alts), list(r.ad), list(r.vaf), list(r.pl)
        if self.gvcf:
            n = len(alts) + 2  # alleles with <*>
            alts, ad, vaf = alts + [GVCF_ALT], ad + [0], vaf + [0.0]
            pl = pl + [NON_REF_PL] * n  # genotypes k/<*>, k = 0..n-1, come last in VCF order
        rec = self.vf.new_record(contig=r.contig, start=r.pos, alleles=(r.ref, *alts), qual=r.qual,
                                 filter=r.filter)
        s = rec.samples[self.sample]
        # a gVCF writes RefCall records no-call (./.), as DeepVariant does: better for cohort merging
        s["GT"] = (None, None) if self.gvcf and r.filter == "RefCall" else r.gt
        s["GQ"], s["DP"] = r.gq, r.dp
        s["AD"], s["VAF"], s["PL"] = tuple(ad), tuple(vaf), tuple(pl)
        if self.text:
            fields = str(rec).rstrip("\n").split("\t")
            fields[7] = ";".join(kv for kv in fields[7].split(";") if not kv.startswith("END=")) or "."
            self.text.write("\t".join(fields) + "\n")
        else:
            self.vf.write(rec)

    def __enter__(self) -> "VcfWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.vf.close()
        if self.text:
            self.text.close()
        self._output.__exit__(exc_type, exc, tb)


def write_vcf(path: str | Path, records: Iterable[CallRecord], contigs: dict[str, int], sample: str,
              extra_header: Sequence[str] = ()) -> Path:
    """Write ``path`` (``.vcf.gz``) and ``path.tbi``; returns the path. Records must be sorted."""
    with VcfWriter(path, contigs, sample, extra_header) as w:
        for r in records:
            w.write(r)
    return w.path


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
