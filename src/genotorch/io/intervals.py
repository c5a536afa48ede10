"""Genomic intervals: region strings, BED files, contig-name matching.

Contract
--------
Inside genotorch every interval is 0-based and half-open, ``Interval(contig, start, end)`` like pysam and
Nucleus. 1-based, fully closed ``chr:start-end`` strings exist only at the command line (and in VCF POS); this
module has the one parser for them (:func:`parse_region`).

Contig names that differ only by a leading ``chr`` (``20`` vs ``chr20``, ``chrM`` vs ``M``) are matched by
:func:`match_contig`; that is the only renaming genotorch ever does.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from genotorch.errors import GenotorchError


@dataclass(frozen=True, order=True)
class Interval:
    """A 0-based, half-open genomic interval ``[start, end)`` on ``contig``."""

    contig: str
    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start

    def to_region_string(self) -> str:
        """1-based closed ``contig:start-end`` (samtools style)."""
        return f"{self.contig}:{self.start + 1}-{self.end}"


_REGION_RE = re.compile(r"^(?P<contig>[^:\s]+)(?::(?P<start>[\d,]+)(?:-(?P<end>[\d,]+))?)?$")


def parse_region(text: str, contig_lengths: Mapping[str, int] | None = None, flag: str = "--regions",
                 single_base: bool = False) -> Interval:
    """Parse a samtools-style region string into a 0-based half-open :class:`Interval`.

    Parameters
    ----------
    text: str
        ``chr20``, ``chr20:10000001`` (as samtools: from that base to the contig's end; one base with
        ``single_base``, for sites) or ``chr20:10,000,001-10,100,000`` (1-based, closed; commas allowed).
    contig_lengths: mapping of contig name to length in bp, optional
        When given, the contig must exist (a ``chr`` prefix difference is matched) and the region must lie inside it.
    flag: the option named in errors
    single_base: ``chr:pos`` is the one base ``pos`` (a site) rather than ``pos`` to the contig's end

    Returns
    -------
    Interval
        ``chr20:10,000,001-10,100,000`` -> ``Interval('chr20', 10000000, 10100000)``;
        ``chr20:10,000,001`` -> ``Interval('chr20', 10000000, 63025520)`` (``Interval('chr20', 10000000,
        10000001)`` with ``single_base``).

    Raises
    ------
    GenotorchError
        Malformed text, start > end, start < 1, unknown contig, or a region past the contig's end.
    """
    m = _REGION_RE.match(text.strip())
    if not m:
        raise GenotorchError(f"{flag} {text!r} is not of the form chr:start-end or chr:pos (1-based, e.g. "
                             f"chr20:10000001-10100000)")
    contig = m.group("contig")
    if contig_lengths is not None:
        contig = match_contig(contig, contig_lengths, what=f"{flag} {text!r}")
    length = contig_lengths[contig] if contig_lengths is not None else None
    if m.group("start") is None:
        if length is None:
            raise GenotorchError(f"region {text!r} names a whole contig; its length is unknown here, give start-end")
        return Interval(contig, 0, length)
    start = int(m.group("start").replace(",", ""))
    if m.group("end"):
        end = int(m.group("end").replace(",", ""))
    elif single_base or length is None:
        end = start
    else:
        end = max(length, start)  # samtools: chr:pos runs to the end of the contig
    if start < 1 or end < start:
        raise GenotorchError(f"{flag} {text!r}: start must be >= 1 and <= end (coordinates are 1-based, closed)")
    if length is not None and end > length:
        raise GenotorchError(
            f"{flag} {text!r} ends at {end:,} but contig {contig} is {length:,} bp long: fix {flag}"
        )
    return Interval(contig, start - 1, end)


def strip_chr(name: str) -> str:
    """A contig name without a leading ``chr`` (``chr20`` -> ``20``), the key by which contigs are matched."""
    return name[3:] if name.lower().startswith("chr") else name


def match_contig(name: str, contigs: Iterable[str], what: str = "contig") -> str:
    """Return the name in ``contigs`` that equals ``name`` up to a leading ``chr`` prefix.

    Raises
    ------
    GenotorchError
        If no contig matches.
    """
    contigs = list(contigs)
    if name in contigs:
        return name
    key = strip_chr(name)
    for c in contigs:
        if strip_chr(c) == key:
            return c
    shown = ", ".join(contigs[:5]) + (" ..." if len(contigs) > 5 else "")
    raise GenotorchError(f"{what}: contig {name!r} is not in the reference (which has {shown})")


def contig_alias(name: str, contigs: Iterable[str]) -> str | None:
    """Like :func:`match_contig` but returns None instead of raising."""
    try:
        return match_contig(name, contigs)
    except GenotorchError:
        return None


def read_bed(path: str | Path, contig_lengths: Mapping[str, int] | None = None) -> list[Interval]:
    """Read a BED file (0-based, half-open; only the first three columns are used), sorted and merged.

    Contig names are mapped onto ``contig_lengths`` by :func:`match_contig` when given; intervals on contigs absent
    there are dropped. Header, ``track`` and ``browser`` lines and blank lines are skipped.

    Raises
    ------
    GenotorchError
        Missing file or a malformed line (the line number is given).
    """
    return merge_intervals(iv for iv, _ in read_bed_records(path, contig_lengths))


def read_bed_records(path: str | Path, contig_lengths: Mapping[str, int] | None = None
                     ) -> list[tuple[Interval, list[str]]]:
    """The BED lines of ``path`` in file order, unmerged: ``(interval, all tab-separated fields)``; the same
    contig mapping, skipping and errors as :func:`read_bed`."""
    path = Path(path)
    if not path.exists():
        raise GenotorchError(f"BED file {path} does not exist")
    out: list[tuple[Interval, list[str]]] = []
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            fields = line.rstrip("\n").split("\t") if "\t" in line else line.split()
            try:
                contig, start, end = fields[0], int(fields[1]), int(fields[2])
            except (IndexError, ValueError):
                raise GenotorchError(f"{path}:{lineno}: not a BED line (need contig<TAB>start<TAB>end)") from None
            if end < start or start < 0:
                raise GenotorchError(f"{path}:{lineno}: end {end} < start {start}")
            if contig_lengths is not None:
                alias = contig_alias(contig, contig_lengths)
                if alias is None:
                    continue
                contig = alias
            out.append((Interval(contig, start, end), fields))
    return out


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and merge overlapping or touching intervals."""
    merged: list[Interval] = []
    for iv in sorted(intervals):
        if merged and merged[-1].contig == iv.contig and iv.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Interval(last.contig, last.start, max(last.end, iv.end))
        else:
            merged.append(iv)
    return merged


def split_region_specs(specs: Sequence[str]) -> list[str]:
    """Region arguments as a flat list: each argument may hold several regions separated by spaces or by commas
    before a contig name (commas inside numbers stay: ``chr20:10,000,001-10,100,000,chr21`` is two regions)."""
    out = []
    for spec in specs:
        for word in spec.split():
            out.extend(p for p in re.split(r",(?=[^\d,])", word) if p)
    return out


def parse_regions(specs: Sequence[str], contig_lengths: Mapping[str, int], flag: str = "--regions",
                  single_base: bool = False) -> list[Interval]:
    """Regions from a mix of region strings and BED paths (a spec that is an existing file is read as BED), as
    the command line gives them (:func:`split_region_specs`), merged; ``single_base`` as in :func:`parse_region`."""
    out: list[Interval] = []
    for spec in split_region_specs(specs):
        if Path(spec).is_file():
            out.extend(read_bed(spec, contig_lengths))
        else:
            out.append(parse_region(spec, contig_lengths, flag, single_base))
    return merge_intervals(out)


class IntervalIndex:
    """Point and interval containment queries against a merged list of intervals (e.g. confident regions)."""

    def __init__(self, intervals: Iterable[Interval]):
        import bisect  # local: keep module import light

        self._bisect = bisect
        self._by_contig: dict[str, tuple[list[int], list[int]]] = {}
        for iv in merge_intervals(intervals):
            starts, ends = self._by_contig.setdefault(strip_chr(iv.contig), ([], []))
            starts.append(iv.start)
            ends.append(iv.end)

    def contains(self, contig: str, start: int, end: int | None = None) -> bool:
        """True if ``[start, end)`` (default: the single base ``start``) lies inside one interval."""
        end = start + 1 if end is None else max(end, start + 1)
        entry = self._by_contig.get(strip_chr(contig))
        if entry is None:
            return False
        starts, ends = entry
        i = self._bisect.bisect_right(starts, start) - 1
        return i >= 0 and end <= ends[i]

    def overlaps(self, contig: str, start: int, end: int) -> bool:
        """True if ``[start, end)`` shares at least one base with an interval."""
        entry = self._by_contig.get(strip_chr(contig))
        if entry is None:
            return False
        starts, ends = entry
        i = self._bisect.bisect_left(starts, end) - 1  # the last interval starting before ``end`` (merged: ends grow)
        return i >= 0 and ends[i] > start

    def __len__(self) -> int:
        return sum(len(s) for s, _ in self._by_contig.values())


def shard_intervals(intervals: Sequence[Interval], chunk_bp: int) -> list[Interval]:
    """Split intervals into chunks of at most ``chunk_bp`` bp (deterministic; the unit of parallel work)."""
    if chunk_bp <= 0:
        raise GenotorchError(f"chunk size must be positive, got {chunk_bp}")
    out: list[Interval] = []
    for iv in intervals:
        for s in range(iv.start, iv.end, chunk_bp):
            out.append(Interval(iv.contig, s, min(iv.end, s + chunk_bp)))
    return out
