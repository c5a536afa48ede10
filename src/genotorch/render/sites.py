"""Sites to picture, read from a VCF or BED, and IGV batch scripts for users who want real IGV snapshots.

Sites are ``(contig, pos)`` with ``pos`` 0-based (a VCF record's POS - 1; a BED interval's centre). Negative
sites for screenshot datasets are drawn by :mod:`genotorch.variants.negative_sites`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence


from genotorch.errors import GenotorchError
from genotorch.io.files import atomic_write_text
from genotorch.io.intervals import read_bed


def read_sites(path: str | Path, contig_lengths=None, flag: str = "--sites") -> list[tuple[str, int]]:
    """Sites ``(contig, 0-based position)`` from a VCF (POS) or a BED (interval centre).

    Raises
    ------
    GenotorchError
        A missing or unreadable file, naming it and ``flag``.
    """
    path = Path(path)
    if not path.exists():
        raise GenotorchError(f"{flag} {path} does not exist")
    name = path.name.lower()
    if name.endswith((".vcf", ".vcf.gz", ".bcf")):
        import pysam

        try:
            with pysam.VariantFile(str(path)) as vf:
                return [(r.contig, r.start) for r in vf]
        except (OSError, ValueError) as e:
            raise GenotorchError(f"{flag} {path} is not a readable VCF ({str(e).split('[')[0].strip()})") from None
    try:
        return [(iv.contig, (iv.start + iv.end - 1) // 2) for iv in read_bed(path, contig_lengths)]
    except UnicodeDecodeError:
        raise GenotorchError(f"{flag} {path} is neither VCF nor BED text") from None
    except GenotorchError as e:
        raise GenotorchError(f"{flag}: {e}") from None


def site_name(contig: str, pos: int, flank: int) -> str:
    """``chr1_7,196,997_7,197,297``-style names (1-based window), as the IGV-screenshot tools named snapshots."""
    return f"{contig}_{pos + 1 - flank:,}_{pos + 1 + flank:,}"


def igv_batch(sites: Sequence[tuple[str, int]], genome: str, reads: Sequence[str], snapshot_dir: str,
              flank: int = 150, layout: str = "collapse", max_panel_height: int = 500,
              preference_lines: Iterable[str] = ()) -> str:
    """An IGV batch script (IGV's documented commands: new, genome, load, snapshotDirectory, maxPanelHeight, goto,
    collapse/squish/expand, snapshot, exit) taking one snapshot of ``[pos - flank, pos + flank]`` per site."""
    if layout not in ("collapse", "squish", "expand"):
        raise GenotorchError(f"--layout {layout}: choose collapse, squish or expand")
    for flag, values in (("--genome", [genome]), ("--reads", list(reads)), ("--snapshot-dir", [snapshot_dir])):
        for v in values:
            if any(ord(ch) < 32 or ord(ch) == 127 for ch in v):
                raise GenotorchError(f"{flag} {v!r} holds a control character (a newline would add commands to "
                                     f"the IGV batch script): give a plain path or name")
    lines = ["new", f"genome {genome}"]
    lines += [f"load {r}" for r in reads]
    lines += list(preference_lines)
    lines += [f"snapshotDirectory {snapshot_dir}", f"maxPanelHeight {max_panel_height}"]
    for contig, pos in sites:
        lines += [f"goto {contig}:{pos + 1 - flank}-{pos + 1 + flank}", layout,
                  f"snapshot {site_name(contig, pos, flank).replace(',', '')}.png"]
    lines.append("exit")
    return "\n".join(lines) + "\n"


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (``--output``)."""
    atomic_write_text(path, text, "--output")
