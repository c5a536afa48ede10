"""Pileup tensors for candidate variants, with DeepVariant's channel value encodings.

Contract
--------
One example is a ``uint8`` array of shape ``(C, H, W)`` (channels first, as torch wants; DeepVariant stores
``(H, W, C)``). ``W`` is odd and the candidate's first REF base sits at column ``W // 2``: column ``j`` shows
reference position ``pos - W // 2 + j`` (0-based). The top ``reference_band_height`` rows show the reference; then
one row per read, sorted by alignment start clipped to the window (DeepVariant trims reads to
the window before sorting), then read name, then mate; rows past the last read are zero. With
``row_order="haplotype"`` (the long-read presets; DeepVariant's ``sort_by_haplotypes``) reads tagged ``HP:i:1`` come
first, then ``HP:i:2``, then untagged reads, each group by clipped start and then a CRC32 of the read name (not the
name itself: a simulator's read names can give away the haplotype a read came from).

Channel encodings (DeepVariant v1.x, ``pileup_channel_lib.h``; pixel scale 254):

=======================  ===================================================================================
read_base                A=250, G=180, T=100, C=30, other=0; the anchor base of an indel in the read is drawn
                         as ``*`` (0). Reference rows: the reference base.
base_quality             int(254 * min(q, 40) / 40); reference rows: q=60 -> 254.
mapping_quality          int(254 * min(mapq, 60) / 60) on every drawn column; reference rows 254.
strand                   forward 70, reverse 240; reference rows 70.
read_supports_variant    254 if the read carries the candidate's alt allele, else int(254 * 0.6) = 152;
                         reference rows 152.
base_differs_from_ref    int(254 * 1.0) = 254 if the drawn base differs from the reference (indel anchors always
                         do), else int(254 * 0.2) = 50; reference rows 50.
insert_size              int(254 * min(|TLEN|, 1000) / 1000); reference rows 254.
=======================  ===================================================================================

A column is drawn for every aligned base, and for the anchor of each insertion (quality of the first inserted
base) and deletion (quality of the anchor base); deleted bases, soft clips and skips are not drawn. A read whose
drawn quality at the candidate column is below ``min_base_quality`` is left out, as DeepVariant does.
Reads overlapping ``[pos - 5, end + 5)`` are drawn; above ``H - reference_band_height`` of them a seeded,
position-keyed random subset is kept, so a tensor does not depend on how the work was sharded. For an indel example
(``spanning_indel_reads``, on unless a saved config predates it) only reads aligned across the indel's homopolymer or
STR tract, with one more base each side (:func:`genotorch.encode.repeats.indel_tract`), are drawn: a read that ends
inside the tract looks like the reference there whatever the repeat's length in its molecule, and in a 14-22 bp
homopolymer a third of the overlapping reads do (HG002 HiSeq X), which made hom-alt indels look het. DeepVariant
draws them; its users ask about the same problem (google/deepvariant#213).

Reads reach this module after haplotype-aware local realignment (:mod:`genotorch.variants.realign`, after
DeepVariant's realigner, on by default for short reads); tensors still differ from DeepVariant's where the two
realigners place a read differently.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from genotorch.encode.read_events import ReadEvents, aligned_bases, read_allele_at
from genotorch.encode.repeats import indel_tract
from genotorch.errors import GenotorchError

ALL_CHANNELS = (
    "read_base",
    "base_quality",
    "mapping_quality",
    "strand",
    "read_supports_variant",
    "base_differs_from_ref",
    "insert_size",
)
DEFAULT_CHANNELS = ALL_CHANNELS

MAX_PIXEL = 254.0
BASE_COLOR = np.zeros(256, dtype=np.uint8)
for _b, _v in {"A": 250, "G": 180, "T": 100, "C": 30}.items():
    BASE_COLOR[ord(_b)] = _v
    BASE_COLOR[ord(_b.lower())] = _v
STRAND_FORWARD, STRAND_REVERSE = 70, 240
SUPPORTS_ALT, SUPPORTS_OTHER = int(MAX_PIXEL * 1.0), int(MAX_PIXEL * 0.6)
MATCHES_REF, DIFFERS_FROM_REF = int(MAX_PIXEL * 0.2), int(MAX_PIXEL * 1.0)


ROW_ORDERS = ("name", "haplotype")


@dataclass(frozen=True)
class PileupConfig:
    """Shape and encodings of pileup tensors. Defaults are DeepVariant's (100 x 221, 7 channels)."""

    height: int = 100
    width: int = 221
    reference_band_height: int = 5
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    base_quality_cap: int = 40
    mapping_quality_cap: int = 60
    reference_base_quality: int = 60
    min_base_quality: int = 10
    read_overlap_buffer_bp: int = 5
    max_fragment_length: int = 1000
    seed: int = 2101079370
    row_order: str = "name"  # "name" (DeepVariant's default) or "haplotype" (HP tag groups first; long reads)
    # indel examples draw only reads aligned across the indel's repeat tract (encode.repeats.indel_tract); a config
    # saved before this existed loads with it off (make_examples.MakeExamplesConfig.from_dict)
    spanning_indel_reads: bool = True

    def __post_init__(self):
        if self.width % 2 != 1 or self.width < 3:
            raise GenotorchError(f"--width {self.width}: the pileup width must be odd and >= 3")
        if self.height <= self.reference_band_height:
            raise GenotorchError(f"--height {self.height}: the pileup height must exceed the "
                                 f"{self.reference_band_height} reference rows")
        if self.min_base_quality < 0:
            raise GenotorchError(f"--min-base-quality {self.min_base_quality}: a phred score, give 0 or more")
        if self.row_order not in ROW_ORDERS:
            raise GenotorchError(f"row_order {self.row_order!r}: choose one of {', '.join(ROW_ORDERS)}")
        unknown = [c for c in self.channels if c not in ALL_CHANNELS]
        if unknown:
            raise GenotorchError(f"unknown pileup channel(s) {unknown}; known: {list(ALL_CHANNELS)}")
        object.__setattr__(self, "channels", tuple(self.channels))

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of one pileup."""
        return (len(self.channels), self.height, self.width)

    @property
    def max_reads(self) -> int:
        """Read rows below the reference band: ``height - reference_band_height``."""
        return self.height - self.reference_band_height

    def encodings(self) -> dict[str, str]:
        """Human-readable value encodings, written into example_info.json."""
        return {
            "read_base": "A=250 G=180 T=100 C=30 other/indel-anchor=0",
            "base_quality": f"int(254*min(q,{self.base_quality_cap})/{self.base_quality_cap})",
            "mapping_quality": f"int(254*min(mapq,{self.mapping_quality_cap})/{self.mapping_quality_cap})",
            "strand": "forward=70 reverse=240",
            "read_supports_variant": "supports candidate alt=254 otherwise=152",
            "base_differs_from_ref": "differs=254 matches=50",
            "insert_size": f"int(254*min(|tlen|,{self.max_fragment_length})/{self.max_fragment_length})",
        }


def _scale(value, cap: int) -> np.ndarray:
    v = np.minimum(np.asarray(value, dtype=np.float32), np.float32(cap))
    return (np.float32(MAX_PIXEL) * (v / np.float32(cap))).astype(np.uint8)


@functools.lru_cache(maxsize=16)
def _scale_table(cap: int) -> tuple[int, ...]:
    """``_scale(v, cap)`` for the integers ``v = 0..cap``: the read-level channels look values up (same numbers)."""
    return tuple(int(x) for x in _scale(np.arange(cap + 1), cap))


def _scale_int(value: int, cap: int) -> int:
    return _scale_table(cap)[min(max(int(value), 0), cap)]


@dataclass
class EncodedRead:
    """A read drawn once over its span; candidates copy slices of it.

    ``image[k, j]`` is the value of channel k of ``config.channels`` at reference position ``start + j``, as a pileup
    row shows it, with ``read_supports_variant`` drawn as "does not support" (a candidate that the read carries
    redraws that channel); ``drawn[j]`` marks drawn columns; ``qual[j]`` the raw phred quality drawn. The arrays may
    be views into one buffer shared by the reads encoded together: read them, do not write them.
    """

    events: ReadEvents
    start: int
    image: np.ndarray
    drawn: np.ndarray
    qual: np.ndarray
    sort_key: tuple = ()

    @property
    def end(self) -> int:
        """0-based end (exclusive) of the drawn span."""
        return self.start + self.drawn.shape[0]


def encode_read(ev: ReadEvents, ref_seq: str, ref_offset: int, config: PileupConfig) -> EncodedRead:
    """Draw ``ev`` over its span. ``ref_seq`` (upper case) starts at 0-based ``ref_offset`` and must cover the read."""
    return encode_reads([ev], ref_seq, ref_offset, config)[0]


def encode_reads(events: Sequence[ReadEvents], ref_seq: str, ref_offset: int, config: PileupConfig
                 ) -> list[EncodedRead]:
    """Draw each read of ``events`` over its span (see :class:`EncodedRead`), all in one pass over one buffer.
    ``ref_seq`` (upper case) starts at 0-based ``ref_offset`` and must cover every read."""
    if not events:
        return []
    n_reads = len(events)
    starts = np.fromiter((ev.start for ev in events), dtype=np.int64, count=n_reads)
    spans = np.fromiter((ev.end for ev in events), dtype=np.int64, count=n_reads) - starts
    col0 = np.cumsum(spans) - spans  # each read's first column in the buffer
    total = int(spans.sum())
    planes = np.zeros((3, total), dtype=np.uint8)  # read_base, base_quality, base_differs_from_ref
    drawn = np.zeros(total, dtype=bool)
    qual = np.zeros(total, dtype=np.int16)
    a = aligned_bases(events, missing_quality=60)
    cols = a.ref_pos + np.repeat(col0 - starts, a.n_aligned)
    bases = a.bases[a.seq_index]
    ref = np.frombuffer(ref_seq.encode(), dtype=np.uint8)[a.ref_pos - ref_offset]
    planes[0, cols] = BASE_COLOR[bases]
    qual[cols] = a.quals[a.seq_index]
    planes[2, cols] = np.where((bases & 0xDF) == ref, MATCHES_REF, DIFFERS_FROM_REF)
    drawn[cols] = True
    for k, ev in enumerate(events):  # indel anchors, drawn over their aligned base
        if ev.insertions or ev.deletions:
            c0, n, s0 = int(col0[k]), int(spans[k]), int(a.read_offset[k])
            for anchor, first, _, _ in ev.insertions:
                _draw_anchor(planes, qual, c0, n, anchor - ev.start, a.quals[s0 + first])
            for anchor, _, anchor_read_i in ev.deletions:
                _draw_anchor(planes, qual, c0, n, anchor - ev.start, a.quals[s0 + anchor_read_i])
    planes[1] = _scale(qual, config.base_quality_cap)  # undrawn columns have quality 0 -> 0
    level = np.zeros((n_reads, len(ALL_CHANNELS)), dtype=np.uint8)  # read-level values, columns as ALL_CHANNELS
    mq, strand, insert, support = (ALL_CHANNELS.index(c) for c in ("mapping_quality", "strand", "insert_size",
                                                                    "read_supports_variant"))
    keys = []
    for k, ev in enumerate(events):
        read = ev.read
        level[k, mq] = _scale_int(read.mapping_quality, config.mapping_quality_cap)
        level[k, strand] = STRAND_REVERSE if read.is_reverse else STRAND_FORWARD
        level[k, insert] = _scale_int(abs(read.template_length), config.max_fragment_length)
        mate = 0 if (read.is_read1 or not read.is_paired) else 1
        if config.row_order == "haplotype":
            hp = read.get_tag("HP") if read.has_tag("HP") else 0
            keys.append((ev.start, zlib.crc32(read.query_name.encode()), mate, hp if hp in (1, 2) else 3))
        else:
            keys.append((ev.start, read.query_name, mate, 0))
    level[:, support] = SUPPORTS_OTHER
    image = np.zeros((len(config.channels), total), dtype=np.uint8)
    for c, ch in enumerate(config.channels):
        if ch in _PLANE:
            image[c] = planes[_PLANE[ch]]
        else:
            image[c] = np.repeat(level[:, ALL_CHANNELS.index(ch)], spans) * drawn
    return [EncodedRead(ev, ev.start, image[:, a:a + n], drawn[a:a + n], qual[a:a + n], key)
            for ev, a, n, key in zip(events, col0.tolist(), spans.tolist(), keys)]


_PLANE = {"read_base": 0, "base_quality": 1, "base_differs_from_ref": 2}


def _draw_anchor(planes: np.ndarray, qual: np.ndarray, col0: int, n: int, col: int, q: int) -> None:
    if 0 <= col < n:
        planes[0, col0 + col] = 0  # '*' has no base colour
        planes[2, col0 + col] = DIFFERS_FROM_REF
        qual[col0 + col] = q


def reference_rows(ref_window: str, config: PileupConfig) -> np.ndarray:
    """The reference band: ``uint8`` array of shape ``(C, reference_band_height, W)``."""
    w = len(ref_window)
    values = {
        "read_base": BASE_COLOR[np.frombuffer(ref_window.encode(), dtype=np.uint8)],
        "base_quality": _scale(config.reference_base_quality, config.base_quality_cap),
        "mapping_quality": _scale(config.reference_base_quality, config.base_quality_cap),
        "strand": STRAND_FORWARD,
        "read_supports_variant": SUPPORTS_OTHER,
        "base_differs_from_ref": MATCHES_REF,
        "insert_size": int(MAX_PIXEL),
    }
    band = np.zeros((len(config.channels), config.reference_band_height, w), dtype=np.uint8)
    for k, ch in enumerate(config.channels):
        band[k, :, :] = values[ch]
    return band


def select_reads(reads: list[EncodedRead], contig: str, pos: int, end: int, config: PileupConfig,
                 must_span: tuple[int, int] | None = None) -> list[EncodedRead]:
    """Reads to draw for a candidate at ``[pos, end)``: overlapping ``[pos - 5, end + 5)``, without a low-quality
    drawn base at ``pos``, at most ``max_reads`` (seeded by ``config.seed`` and the site), sorted for display. With
    ``must_span = (a, b)``, only reads aligned over ``[a - 1, b + 1)`` (an indel's tract and one base each side)."""
    lo, hi = pos - config.read_overlap_buffer_bp, end + config.read_overlap_buffer_bp
    chosen = []
    for r in reads:
        if r.start >= hi or r.end <= lo:
            continue
        if must_span is not None and (r.start > must_span[0] - 1 or r.end < must_span[1] + 1):
            continue
        j = pos - r.start
        if 0 <= j < len(r.drawn) and r.drawn[j] and r.qual[j] < config.min_base_quality:
            continue
        chosen.append(r)
    chosen.sort(key=lambda r: r.sort_key)  # sample from a canonical order: the result must not depend on input order
    if len(chosen) > config.max_reads:
        rng = np.random.default_rng([config.seed, zlib.crc32(contig.encode()), pos])
        keep = np.sort(rng.choice(len(chosen), size=config.max_reads, replace=False))
        chosen = [chosen[i] for i in keep]
    win_start = pos - config.width // 2
    chosen.sort(key=lambda r: (r.sort_key[3], max(r.start, win_start)) + r.sort_key[1:3])  # [3]: haplotype group
    return chosen


def window_bases(window: str, window_start: int, a: int, b: int) -> str:
    """Reference bases ``[a, b)`` (0-based) from ``window``, the reference from ``window_start`` on; N outside it.
    ``functools.partial(window_bases, window, window_start)`` is a :data:`genotorch.encode.repeats.FetchRef`."""
    i, j = a - window_start, b - window_start
    core = window[max(0, i):max(0, min(j, len(window)))]
    lead = min(b - a, max(0, -i))
    return "N" * lead + core + "N" * (b - a - lead - len(core))


def build_pileup(
    reads: list[EncodedRead], contig: str, pos: int, alleles: Sequence[tuple[str, str]], ref_window: str,
    config: PileupConfig
) -> np.ndarray:
    """The pileup tensor of one candidate allele, or of a set of alt alleles at one position (DeepVariant's
    multi-allelic examples: a read supports the example when it carries any of them).

    Parameters
    ----------
    reads: encoded reads near the site (any order; see :func:`select_reads`)
    pos: int
        0-based position of the candidates' first REF base; drawn at column ``W // 2``.
    alleles: sequence of (ref, alt)
        The alleles in VCF convention, each in its own minimal form.
    ref_window: str
        Reference bases of ``[pos - W // 2, pos + W // 2 + 1)``, upper case, length ``W``.

    Returns
    -------
    np.ndarray, shape=(C, H, W), dtype=uint8
    """
    w, half = config.width, config.width // 2
    if len(ref_window) != w:
        raise ValueError(f"ref_window has {len(ref_window)} bases, expected width {w}")
    image = np.zeros(config.shape, dtype=np.uint8)
    rb = config.reference_band_height
    image[:, :rb, :] = reference_rows(ref_window, config)
    win_start = pos - half
    support = config.channels.index("read_supports_variant") if "read_supports_variant" in config.channels else -1
    end = pos + max(len(ref) for ref, _ in alleles)
    must_span = None
    if config.spanning_indel_reads and any(len(ref) != len(alt) for ref, alt in alleles):
        fetch = functools.partial(window_bases, ref_window, win_start)
        tracts = [indel_tract(fetch, pos, ref, alt) for ref, alt in alleles if len(ref) != len(alt)]
        must_span = (min(t[0] for t in tracts), max(t[1] for t in tracts))
    for row, r in enumerate(select_reads(reads, contig, pos, end, config, must_span), start=rb):
        a, b = max(win_start, r.start), min(win_start + w, r.end)
        if a >= b:
            continue
        src, dst = slice(a - r.start, b - r.start), slice(a - win_start, b - win_start)
        image[:, row, dst] = r.image[:, src]
        if support >= 0 and any(read_allele_at(r.events, pos, ref, alt) for ref, alt in alleles):
            image[support, row, dst] = np.where(r.drawn[src], SUPPORTS_ALT, 0)
    return image
