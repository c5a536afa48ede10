"""Aligned reads (BAM/CRAM) through pysam, with the checks a user needs before a long run.

Read filters follow DeepVariant's defaults: reads that are unmapped, secondary, supplementary, duplicates or fail
vendor QC are skipped, and so are reads with mapping quality below ``min_mapping_quality`` (phred).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pysam

from genotorch.errors import GenotorchError
from genotorch.io.intervals import strip_chr
from genotorch.io.reference import Reference

_SKIP_FLAGS = 0x4 | 0x100 | 0x200 | 0x400 | 0x800  # unmapped, secondary, QC-fail, duplicate, supplementary


@dataclass(frozen=True)
class ReadFilter:
    """Which reads count. ``min_mapping_quality`` in phred."""

    min_mapping_quality: int = 5

    def passes(self, read: pysam.AlignedSegment) -> bool:
        """True if ``read`` is mapped, primary, not a duplicate or QC failure, with MAPQ >= ``min_mapping_quality``."""
        return not (read.flag & _SKIP_FLAGS) and read.mapping_quality >= self.min_mapping_quality


def open_alignments(path: str | Path, reference: Reference) -> pysam.AlignmentFile:
    """Open an indexed BAM or CRAM and check it against the reference.

    Raises
    ------
    GenotorchError
        Missing file, missing index (with the ``samtools index`` command that builds it), a truncated file (no BGZF
        EOF marker), or contigs that do not match the reference (names up to a ``chr`` prefix, and lengths).
    """
    path = Path(path)
    if not path.exists():
        raise GenotorchError(f"reads file {path} does not exist: check --reads")
    try:
        af = pysam.AlignmentFile(str(path), reference_filename=str(reference.path), check_sq=True)
    except (OSError, ValueError) as e:
        raise GenotorchError(f"reads file {path} cannot be opened as BAM/CRAM ({e}): check --reads") from None
    if not (af.is_bam or af.is_cram):
        af.close()
        raise GenotorchError(
            f"reads file {path} is SAM text, which cannot be indexed for random access: convert it with "
            f"`samtools sort -o {path.with_suffix('.bam')} {path} && samtools index {path.with_suffix('.bam')}`")
    if af.is_bam and not _has_eof_marker(path):
        af.close()
        raise GenotorchError(
            f"reads file {path} is truncated (no BGZF end-of-file marker): re-copy or re-create it"
        )
    if not af.has_index():
        af.close()
        raise GenotorchError(
            f"reads file {path} has no index (.bai/.csi/.crai): run `samtools index {path}` and try again"
        )
    check_contigs_match(af, reference, path)
    return af


def _has_eof_marker(path: Path) -> bool:
    eof = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        if size < len(eof):
            return False
        fh.seek(size - len(eof))
        return fh.read() == eof


def check_contigs_match(af: pysam.AlignmentFile, reference: Reference, path: Path) -> None:
    """Every contig of the reads that the reference also names (up to ``chr``) must have the same length, and at
    least one contig must be shared.

    Raises
    ------
    GenotorchError
        No shared contig, or a shared contig with a different length (a different genome build).
    """
    ref_by_key = {strip_chr(c): (c, n) for c, n in reference.lengths.items()}
    shared = 0
    for name, length in zip(af.references, af.lengths):
        hit = ref_by_key.get(strip_chr(name))
        if hit is None:
            continue
        if hit[1] != length:
            raise GenotorchError(
                f"contig {name} is {length:,} bp in {path} but {hit[0]} is {hit[1]:,} bp in {reference.path}: "
                f"make sure --ref is the build the reads in --reads were aligned to"
            )
        shared += 1
    if shared == 0:
        raise GenotorchError(
            f"no contig of {path} ({', '.join(af.references[:3])} ...) is in {reference.path} "
            f"({', '.join(reference.contigs[:3])} ...): make sure --ref matches the build used for --reads"
        )


def reference_md5_mismatches(af: pysam.AlignmentFile, reference: Reference, contigs) -> list[str]:
    """Contigs among ``contigs`` whose reference sequence does not have the ``M5`` (MD5 of the upper-case sequence,
    SAM spec 1.3) that the reads' header gives for them; contigs without an ``M5`` are not checked.

    A mismatch means another sequence under the same name and length: another build, or a masked copy (N-masked
    slices and analysis sets differ from the full sequence only where they are N)."""
    import hashlib

    m5 = {strip_chr(sq["SN"]): sq["M5"].lower() for sq in af.header.to_dict().get("SQ", []) if sq.get("M5")}
    out = []
    for contig in sorted(contigs):
        want = m5.get(strip_chr(contig))
        if want and hashlib.md5(reference.fetch(contig, 0, reference.lengths[contig]).encode()).hexdigest() != want:
            out.append(contig)
    return out


def reads_contig(af: pysam.AlignmentFile, contig: str) -> str | None:
    """The reads file's name for a reference contig (``chr`` prefix tolerated), or None."""
    names = set(af.references)
    if contig in names:
        return contig
    for n in names:
        if strip_chr(n) == strip_chr(contig):
            return n
    return None


def fetch_reads(
    af: pysam.AlignmentFile, contig: str, start: int, end: int, read_filter: ReadFilter
) -> Iterator[pysam.AlignedSegment]:
    """Reads overlapping ``[start, end)`` that pass ``read_filter``, in coordinate order."""
    name = reads_contig(af, contig)
    if name is None:
        return
    try:
        for read in af.fetch(name, max(0, start), end):
            if read_filter.passes(read):
                yield read
    except OSError as e:
        if af.is_cram:
            raise GenotorchError(
                f"CRAM {af.filename.decode()} cannot be decoded near {contig}:{start + 1} with the reference given: "
                f"the reference lacks {contig} or has other bases there (the CRAM's slice MD5s differ): give the "
                f"--ref the CRAM was written against") from None
        raise GenotorchError(f"reads file {af.filename.decode()} is corrupt near {contig}:{start + 1} ({e})") from None


def has_reads(af: pysam.AlignmentFile, intervals) -> bool:
    """Whether any primary mapped read overlaps one of ``intervals`` (objects with ``contig``, 0-based ``start``
    and ``end``); stops at the first one found."""
    for iv in intervals:
        name = reads_contig(af, iv.contig)
        if name is None:
            continue
        for read in af.fetch(name, max(0, iv.start), iv.end):
            if not (read.is_unmapped or read.is_secondary or read.is_supplementary):
                return True
    return False


def median_read_length(af: pysam.AlignmentFile, contig: str, start: int, end: int, n: int = 200) -> int:
    """Median query length (bp) of the first ``n`` primary reads overlapping ``[start, end)`` (0 when none)."""
    import statistics

    name = reads_contig(af, contig)
    lengths = []
    if name is not None:
        for read in af.fetch(name, max(0, start), end):
            if not read.is_secondary and not read.is_supplementary and read.query_length:
                lengths.append(read.query_length)
                if len(lengths) >= n:
                    break
    return int(statistics.median(lengths)) if lengths else 0


@dataclass(frozen=True)
class DuplicateCheck:
    """Primary mapped paired reads looked at (``reads``), how many carry the duplicate flag (``flagged``), and how many
    unflagged ones repeat an earlier read's position, strand, mate position, insert size and mate number
    (``unflagged_copies``: the read of a duplicate fragment that a duplicate marker would flag)."""

    reads: int
    flagged: int
    unflagged_copies: int

    @property
    def unflagged_fraction(self) -> float:
        """``unflagged_copies / reads`` (0.0 when no read was looked at)."""
        return self.unflagged_copies / self.reads if self.reads else 0.0


def check_duplicates(af: pysam.AlignmentFile, contig: str, start: int, end: int, n: int = 20000) -> DuplicateCheck:
    """:class:`DuplicateCheck` of the first ``n`` primary mapped paired reads overlapping ``[start, end)`` (0-based).
    A read is a copy when an earlier read had the same ``(reference_start, is_reverse, next_reference_start,
    template_length, is_read1)``: Picard MarkDuplicates' criterion, by alignment start instead of unclipped 5'
    end."""
    name = reads_contig(af, contig)
    seen: set = set()
    reads = flagged = copies = 0
    if name is not None:
        for read in af.fetch(name, max(0, start), end):
            if read.is_secondary or read.is_supplementary or read.is_unmapped or not read.is_paired:
                continue
            reads += 1
            if read.is_duplicate:
                flagged += 1
                continue
            key = (read.reference_start, read.is_reverse, read.next_reference_start, read.template_length,
                   read.is_read1)
            copies += key in seen
            seen.add(key)
            if reads >= n:
                break
    return DuplicateCheck(reads, flagged, copies)


def sample_name(af: pysam.AlignmentFile, default: str = "SAMPLE") -> str:
    """The SM of the first read group, or ``default``."""
    for rg in af.header.to_dict().get("RG", []):
        if rg.get("SM"):
            return rg["SM"]
    return default


def haplotype_tag_fraction(af: pysam.AlignmentFile, contig: str, start: int, end: int, n: int = 200) -> float:
    """Fraction of the first ``n`` primary reads overlapping ``[start, end)`` that carry an ``HP`` tag (WhatsHap's
    haplotag), 0.0 when none overlap."""
    name = reads_contig(af, contig)
    seen = tagged = 0
    if name is not None:
        for read in af.fetch(name, max(0, start), end):
            if not read.is_secondary and not read.is_supplementary:
                seen += 1
                tagged += read.has_tag("HP")
                if seen >= n:
                    break
    return tagged / seen if seen else 0.0
