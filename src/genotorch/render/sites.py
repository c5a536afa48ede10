"""Sites to picture: read from a VCF or BED, or drawn as reproducible negatives for screenshot datasets; and IGV
batch scripts for users who want real IGV snapshots.

Sites are ``(contig, pos)`` with ``pos`` 0-based (a VCF record's POS - 1; a BED interval's centre).

Negatives (:func:`negative_sites`, seeded), as the IGV-screenshot classifiers built them:

* ``random``: uniform positions inside the given regions where the reads cover the site (depth >= ``min_depth``)
  and no truth variant lies within ``min_distance`` bp;
* ``near``: positions 2-50 bp (``near_range``) from a truth variant, on either side, not within 2 bp of any other;
* ``lookalike``: candidate sites (reads show an alt allele: genotorch's candidate finder) absent from the truth.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from genotorch.errors import GenotorchError
from genotorch.io.files import atomic_write_text
from genotorch.io.intervals import Interval, read_bed


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


def negative_sites(kind: str, n: int, seed: int, *, truth_sites: Sequence[tuple[str, int]],
                   regions: Sequence[Interval] = (), reads: str | None = None, ref: str | None = None,
                   min_depth: int = 5, near_range: tuple[int, int] = (2, 50),
                   min_distance: int = 50) -> list[tuple[str, int]]:
    """Up to ``n`` negative sites of ``kind`` (random | near | lookalike), sorted; the same seed gives the same
    sites. ``random`` and ``lookalike`` need ``regions``, ``reads`` (BAM/CRAM path) and ``ref`` (FASTA path).

    Raises
    ------
    GenotorchError
        An unknown kind, missing inputs for it, or unreadable files.
    """
    if n < 1:
        raise GenotorchError(f"--number/-n {n}: give 1 or more sites")
    rng = np.random.default_rng(seed)
    from genotorch.io.intervals import strip_chr

    truth = {}
    for c, p in truth_sites:
        truth.setdefault(strip_chr(c), []).append(p)
    truth = {c: np.sort(np.array(v)) for c, v in truth.items()}

    def distance(c: str, p: int) -> int:
        t = truth.get(strip_chr(c))
        if t is None or not len(t):
            return 1 << 30
        i = int(np.searchsorted(t, p))
        return int(min(abs(p - t[j]) for j in (i - 1, i) if 0 <= j < len(t)))

    out: set[tuple[str, int]] = set()
    if kind == "near":
        names = {strip_chr(c): c for c, _ in truth_sites}
        pool = [(names[c], int(p)) for c, ps in truth.items() for p in ps]
        order = rng.permutation(len(pool))
        for k in order:
            c, p = pool[k]
            off = int(rng.integers(near_range[0], near_range[1] + 1)) * (1 if rng.random() < 0.5 else -1)
            q = p + off
            if q >= 0 and distance(c, q) >= near_range[0]:
                out.add((c, q))
            if len(out) >= n:
                break
    elif kind == "random":
        if not regions or not reads or not ref:
            raise GenotorchError("random negatives need --regions, --reads and --ref")
        from genotorch.io.alignments import open_alignments
        from genotorch.io.reference import Reference

        alignments = open_alignments(reads, Reference(ref))
        sizes = np.array([len(r) for r in regions], dtype=np.float64)
        tries = 0
        while len(out) < n and tries < 50 * n:
            tries += 1
            r = regions[int(rng.choice(len(regions), p=sizes / sizes.sum()))]
            p = int(rng.integers(r.start, r.end))
            if distance(r.contig, p) < min_distance:
                continue
            depth = alignments.count(r.contig, p, p + 1)
            if depth >= min_depth:
                out.add((r.contig, p))
    elif kind == "lookalike":
        if not regions or not reads or not ref:
            raise GenotorchError("look-alike negatives need --regions, --reads and --ref")
        from genotorch.variants.make_examples import ChunkProcessor, Inputs, MakeExamplesConfig

        proc = ChunkProcessor(Inputs(ref, reads), MakeExamplesConfig())
        pool = sorted({(c.contig, c.pos) for r in regions for c in proc(r).candidates if distance(c.contig, c.pos) > 0})
        if len(pool) > n:
            pool = [pool[i] for i in np.sort(rng.choice(len(pool), n, replace=False))]
        out = set(pool)
    else:
        raise GenotorchError(f"--kind {kind}: choose random, near or lookalike")
    return sorted(out)
