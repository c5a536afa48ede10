"""IGV-like pictures of the reads around a site, drawn straight from a BAM/CRAM (no IGV, no screenshots).

Layout (top to bottom), for a window of ``2 * flank + 1`` reference bases centred on the site, ``px_per_base``
pixels per base:

* coverage track (``coverage_px`` high): grey bars, scaled to the window's maximum depth; a column is drawn in the
  colours of its bases when a non-reference base reaches 20% of it (IGV's allele-fraction threshold default);
* reference track (``ref_px``): one coloured block per base;
* reads, one per row (``row_px`` high, ``gap_px`` between rows), packed IGV-style ("collapsed"/"expanded" pack
  several reads into one row when they do not overlap; here ``layout="collapsed"`` packs, ``"one_per_row"`` does
  not); matching bases grey (forward strand lighter than reverse), mismatches in IGV's base colours (A green,
  C blue, G orange, T red; shaded by base quality), deletions a black line, insertions a purple I-bar at the
  junction, MAPQ-0 reads hollow;
* a centre box around the site's base, full height.

The picture always has the same size: rows beyond ``max_rows`` are dropped after a deterministic downsampling
(seeded by ``seed``, the contig and the position, so the same site always gives the same picture); empty rows
stay white. Reads are filtered as for make-examples (no unmapped/secondary/supplementary/duplicate/QC-fail).

Output: ``uint8`` RGB array ``(H, W, 3)``; :func:`save_png` writes it (temp file, then rename).
Coordinates: ``pos`` is 0-based.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genotorch.encode.read_events import read_events
from genotorch.errors import GenotorchError
from genotorch.io.alignments import ReadFilter, fetch_reads
from genotorch.io.files import atomic_output

BASE_RGB = {"A": (0, 150, 0), "C": (0, 0, 255), "G": (209, 113, 5), "T": (255, 0, 0), "N": (100, 100, 100)}
MATCH_FWD = (200, 200, 200)
MATCH_REV = (170, 170, 185)
DELETION = (0, 0, 0)
INSERTION = (138, 43, 226)
WHITE = (255, 255, 255)


@dataclass(frozen=True)
class RenderConfig:
    """Picture settings: bases each side of the site, pixels per base and per row, rows drawn (seeded downsampling
    above), row layout (``collapsed`` or ``one_per_row``), MAPQ filter."""
    flank: int = 50
    px_per_base: int = 6
    row_px: int = 4
    gap_px: int = 1
    max_rows: int = 60
    coverage_px: int = 30
    ref_px: int = 8
    layout: str = "collapsed"  # collapsed | one_per_row
    min_mapping_quality: int = 0
    seed: int = 0

    def __post_init__(self):
        if self.layout not in ("collapsed", "one_per_row"):
            raise GenotorchError(f"--layout {self.layout}: choose collapsed or one_per_row")
        for flag, v, lo in (("--flank", self.flank, 0), ("--px-per-base", self.px_per_base, 1),
                            ("--max-rows", self.max_rows, 1)):
            if v < lo:
                raise GenotorchError(f"{flag} {v}: give {lo} or more")

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) in pixels."""
        w = (2 * self.flank + 1) * self.px_per_base
        h = self.coverage_px + self.ref_px + 2 + self.max_rows * (self.row_px + self.gap_px)
        return h, w


def _pack(spans: list[tuple[int, int]], layout: str) -> list[int]:
    """Row index per read (reads sorted by start): first row whose last read ends before this one starts."""
    if layout == "one_per_row":
        return list(range(len(spans)))
    ends: list[int] = []
    rows = []
    for s, e in spans:
        for k, last in enumerate(ends):
            if last < s:  # one base of space between reads, as IGV leaves
                ends[k] = e
                rows.append(k)
                break
        else:
            ends.append(e)
            rows.append(len(ends) - 1)
    return rows


def render_site(alignments, reference, contig: str, pos: int, cfg: RenderConfig = RenderConfig(),
                realign=None) -> np.ndarray:
    """The picture of ``[pos - flank, pos + flank]`` (0-based ``pos``); see the module docstring.

    ``realign``: optional ``realign(events, fetch, start, end) -> events`` applied to the reads first (e.g.
    :func:`genotorch.variants.realign.realign_reads` with its config bound), to draw them as make-examples sees
    them after local realignment."""
    lo, hi = pos - cfg.flank, pos + cfg.flank + 1
    n_bp, ppb = hi - lo, cfg.px_per_base
    H, W = cfg.size
    img = np.full((H, W, 3), 255, np.uint8)
    ref = reference.fetch(contig, lo, hi)
    margin = 300 if realign else 0  # realignment windows need the reads and sequence around the picture
    events = [read_events(r) for r in fetch_reads(alignments, contig, lo - margin, hi + margin,
                                                  ReadFilter(cfg.min_mapping_quality)) if r.query_sequence]
    if realign:
        events = realign(events, lambda a, b: reference.fetch(contig, a, b), lo - margin // 2, hi + margin // 2)
    events = [ev for ev in events if ev.read.reference_start < hi and ev.read.reference_end > lo]
    events.sort(key=lambda ev: (ev.read.reference_start, ev.read.query_name, ev.read.is_reverse))
    # coverage and base counts over the window
    counts = np.zeros((n_bp, 5), np.int32)
    drawn = []
    for ev in events:
        r = ev.read
        m = (ev.ref_pos >= lo) & (ev.ref_pos < hi)
        drawn.append((r, ev, m))
        for rp, qp in zip(ev.ref_pos[m], ev.read_pos[m]):
            counts[rp - lo, "ACGTN".find(r.query_sequence[qp]) if r.query_sequence[qp] in "ACGT" else 4] += 1
    depth = counts.sum(1)
    top = max(1, int(depth.max()))
    for j in range(n_bp):
        hgt = int(round(cfg.coverage_px * depth[j] / top))
        if not hgt:
            continue
        x0, x1 = j * ppb, (j + 1) * ppb - (1 if ppb > 2 else 0)
        y = cfg.coverage_px
        refb = ref[j]
        alt = [(k, counts[j, k]) for k in range(4) if "ACGT"[k] != refb and counts[j, k] > 0]
        if alt and sum(c for _, c in alt) >= 0.2 * depth[j]:
            for k in range(4):
                h = int(round(hgt * counts[j, k] / depth[j]))
                if h:
                    img[y - h:y, x0:x1] = BASE_RGB["ACGT"[k]]
                    y -= h
        else:
            img[y - hgt:y, x0:x1] = (160, 160, 160)
    # reference track
    y0 = cfg.coverage_px + 1
    for j, b in enumerate(ref):
        img[y0:y0 + cfg.ref_px, j * ppb:(j + 1) * ppb] = BASE_RGB.get(b, BASE_RGB["N"])
    # reads: deterministic downsampling to the rows that fit
    rows = _pack([(max(r.reference_start, lo), min(r.reference_end, hi)) for r, _, _ in drawn], cfg.layout)
    n_rows = max(rows, default=-1) + 1
    if n_rows > cfg.max_rows:
        rng = np.random.default_rng([cfg.seed, zlib.crc32(contig.encode()), pos])
        keep_rows = set(np.sort(rng.choice(n_rows, cfg.max_rows, replace=False)).tolist())
        remap = {r: i for i, r in enumerate(sorted(keep_rows))}
    else:
        remap = {r: r for r in range(n_rows)}
    y_reads = y0 + cfg.ref_px + 2
    for (r, ev, m), row in zip(drawn, rows):
        if row not in remap:
            continue
        y = y_reads + remap[row] * (cfg.row_px + cfg.gap_px)
        match = MATCH_REV if r.is_reverse else MATCH_FWD
        hollow = r.mapping_quality == 0
        quals = r.query_qualities
        for rp, qp in zip(ev.ref_pos[m], ev.read_pos[m]):
            x = (rp - lo) * ppb
            b = r.query_sequence[qp]
            if b != ref[rp - lo] and b in BASE_RGB:
                q = quals[qp] if quals is not None else 40
                shade = min(1.0, 0.25 + q / 40)  # faded colour for a low-quality mismatch
                col = tuple(int(255 - (255 - c) * shade) for c in BASE_RGB[b])
            else:
                col = match
            if hollow:
                img[y, x:x + ppb] = col
                img[y + cfg.row_px - 1, x:x + ppb] = col
            else:
                img[y:y + cfg.row_px, x:x + ppb] = col
        for anchor, length, _ in ev.deletions:
            a, b = max(lo, anchor + 1), min(hi, anchor + 1 + length)
            if a < b:
                img[y:y + cfg.row_px, (a - lo) * ppb:(b - lo) * ppb] = WHITE
                img[y + cfg.row_px // 2, (a - lo) * ppb:(b - lo) * ppb] = DELETION
        for anchor, _, bases, _ in ev.insertions:
            if lo <= anchor + 1 < hi:
                x = (anchor + 1 - lo) * ppb
                img[max(0, y - 1):y + cfg.row_px + 1, max(0, x - 1):x + 1] = INSERTION
    # centre box around the site's base (IGV's "center line" in base view)
    xc0, xc1 = cfg.flank * ppb - 1, (cfg.flank + 1) * ppb
    img[:, max(0, xc0)] = (0, 0, 0)
    img[:, min(W - 1, xc1)] = (0, 0, 0)
    return img


def render_tensor(pileup: np.ndarray, channels: list[str], scale: int = 2) -> np.ndarray:
    """A ``(C, H, W)`` uint8 pileup tensor as one grey PNG array: the channels side by side, each ``scale`` times
    enlarged, separated by a 4-px white gap. Shape ``(H * scale, C * (W * scale + 4) - 4)`` uint8."""
    c, h, w = pileup.shape
    tiles = []
    for k in range(c):
        tile = np.repeat(np.repeat(pileup[k], scale, 0), scale, 1)
        tiles.append(tile)
        if k < c - 1:
            tiles.append(np.full((h * scale, 4), 255, np.uint8))
    return np.concatenate(tiles, axis=1)


def save_png(arr: np.ndarray, path: str | Path, title: str | None = None) -> Path:
    """Write ``arr`` (``(H, W, 3)`` RGB or ``(H, W)`` grey uint8) as PNG; ``title`` goes into the PNG text."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    if title:
        info.add_text("Title", title)
    with atomic_output(path, "--output", suffix=".png") as tmp:
        Image.fromarray(arr).save(tmp, pnginfo=info)
    return Path(path)
