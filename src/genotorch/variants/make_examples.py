"""make-examples: reads + reference (+ truth) -> candidates -> pileup tensors -> HDF5 example shards.

The work is split into chunks of ``chunk_bp`` reference bases (deterministic); ``--shard i/n`` keeps chunks
``i, i+n, ...`` so a cluster can run one process per shard, and ``workers`` processes chunks of one shard in
parallel. Results are written in chunk order and every random choice is keyed by the site, so the output is the
same whatever the number of workers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

import genotorch
from genotorch.encode.pileup import EncodedRead, PileupConfig, build_pileup, encode_reads, window_bases
from genotorch.encode.read_events import read_events
from genotorch.errors import GenotorchError
from genotorch.io.alignments import ReadFilter, fetch_reads, has_reads, open_alignments, reference_md5_mismatches
from genotorch.io.examples import ExampleWriter
from genotorch.io.intervals import Interval, parse_regions, shard_intervals
from genotorch.io.reference import Reference
from genotorch.variants.candidates import (
    AlleleCounts, Candidate, CandidateConfig, Example, count_alleles, find_candidates, informative_indel_depths,
    plan_examples,
)
from genotorch.variants.haplotype_labels import mask_label
from genotorch.variants.labels import NO_LABEL, TruthLabeler
from genotorch.variants.realign import RealignConfig, realign_reads


DEFAULT_MAX_CANDIDATES_PER_KB = 100.0

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MakeExamplesConfig:
    """Everything that decides the examples. Saved into example_info.json and every checkpoint."""

    min_mapping_quality: int = 5
    candidates: CandidateConfig = field(default_factory=CandidateConfig)
    pileup: PileupConfig = field(default_factory=PileupConfig)
    chunk_bp: int = 20_000
    realign: RealignConfig = field(default_factory=RealignConfig)

    def __post_init__(self):
        if self.min_mapping_quality < 0:
            raise GenotorchError(f"--min-mapping-quality {self.min_mapping_quality}: a phred score, give 0 or more")
        if self.chunk_bp < 1:
            raise GenotorchError(f"chunk_bp {self.chunk_bp}: give 1 or more")

    def to_dict(self) -> dict:
        """The config as plain dicts (stored in example_info.json and every checkpoint)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "MakeExamplesConfig":
        """Rebuild a config saved by :meth:`to_dict`; one saved before realignment existed gets realignment off, and
        one saved before ``pileup.spanning_indel_reads`` existed gets it off."""
        d = dict(d)
        cand = CandidateConfig(**d.pop("candidates", {}))
        p = dict(d.pop("pileup", {}))
        if "channels" in p:
            p["channels"] = tuple(p["channels"])
        p.setdefault("spanning_indel_reads", False)  # saved before indel pileups kept spanning reads only: off
        realign = RealignConfig.from_dict(d.pop("realign", None))  # saved before realignment existed: off
        return cls(candidates=cand, pileup=PileupConfig(**p), realign=realign, **d)


def config_differences(examples_config: dict, model_config: dict) -> list[str]:
    """Settings (dotted names, ``chunk_bp`` aside) on which two saved make-examples configs differ, each as
    ``name (examples: X, model: Y)``; both are read with :meth:`MakeExamplesConfig.from_dict`, so a config saved
    before a setting existed compares as that setting's old behaviour."""
    def flat(d: dict, prefix: str = "") -> dict:
        out = {}
        for k, v in d.items():
            out.update(flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
        return out

    a = flat(MakeExamplesConfig.from_dict(examples_config).to_dict())
    b = flat(MakeExamplesConfig.from_dict(model_config).to_dict())
    return [f"{k} (examples: {a.get(k)}, model: {b.get(k)})" for k in sorted(set(a) | set(b))
            if k != "chunk_bp" and a.get(k) != b.get(k)]


@dataclass
class ChunkResult:
    """The examples of one chunk: variant-table rows, pileups ``(N, C, H, W)`` uint8, labels (-1 = none) and covered
    bp."""
    chunk: Interval
    candidates: list[Candidate]
    pileups: np.ndarray
    labels: list[int]
    covered_bp: int = 0  # reference positions of the chunk with at least one counted base
    site_counts: np.ndarray | None = None  # (chunk length, 2) int32: reads supporting the reference, all reads
    ref_bases: str = ""  # the chunk's reference bases (upper case)


class CandidateRateCheck:
    """Stop a run whose candidate rate says the reference is not the one the reads were aligned to.

    Real germline data gives about 1-3 candidates per kb of covered reference (HG002 HiSeq X, hard regions
    included: 1.3-2.3); a reference of the right names and lengths but other bases gives several hundred (most
    covered positions differ). After ``min_covered_bp`` covered bases the cumulative rate must stay at or below
    ``max_per_kb`` (default 100; 0 disables).

    Raises
    ------
    GenotorchError
        Naming the rate, the reference and the reads, and the flag that relaxes the check.
    """

    def __init__(self, max_per_kb: float, reference: str, reads: str, min_covered_bp: int = 1_000):
        self.max_per_kb, self.reference, self.reads, self.min_covered = max_per_kb, reference, reads, min_covered_bp
        self.candidates = self.covered = 0

    def add(self, res: "ChunkResult") -> None:
        """Count a chunk's candidates and covered bases; raise GenotorchError when the cumulative rate is too high."""
        self.candidates += len(res.candidates)
        self.covered += res.covered_bp
        if self.max_per_kb <= 0 or self.covered < self.min_covered:
            return
        rate = 1000.0 * self.candidates / self.covered
        if rate > self.max_per_kb:
            raise GenotorchError(
                f"{self.candidates:,} candidates in {self.covered:,} covered bp ({rate:.0f} per kb; real data gives "
                f"1-3): --ref {self.reference} is probably not the reference {self.reads} was aligned to (same "
                f"contig names and lengths, other bases). Check --ref, or raise --max-candidates-per-kb")


@dataclass(frozen=True)
class Inputs:
    """The input files of a run: reference FASTA, reads (BAM/CRAM), optional truth VCF and confident BED."""
    reference: str
    reads: str
    truth: str | None = None
    confident: str | None = None


class ChunkProcessor:
    """Opens the inputs once (per process) and turns chunks into examples."""

    def __init__(self, inputs: Inputs, config: MakeExamplesConfig):
        self.config = config
        self.reference = Reference(inputs.reference)
        self.alignments = open_alignments(inputs.reads, self.reference)
        self.labeler = (
            TruthLabeler(inputs.truth, inputs.confident, self.reference) if inputs.truth else None
        )
        self.read_filter = ReadFilter(config.min_mapping_quality)

    def __call__(self, chunk: Interval) -> ChunkResult:
        """Candidates of ``chunk`` -> examples (one per allele, one per pair of alleles at a multi-allelic site;
        :func:`genotorch.variants.candidates.plan_examples`), their pileups and labels. ``candidates`` of the
        result holds each example's variant-table row."""
        with gc_paused():
            return self._examples(chunk)

    def _examples(self, chunk: Interval) -> ChunkResult:
        events, ref_seq, lo = self._load(chunk)
        counts = count_alleles(events, chunk.contig, chunk.start, chunk.end, ref_seq, lo, self.config.candidates)
        candidates = find_candidates(counts, ref_seq, lo, self.config.candidates)
        if self.config.pileup.spanning_indel_reads:  # indel AD/DP from the reads an indel pileup draws
            candidates = informative_indel_depths(candidates, events, functools.partial(window_bases, ref_seq, lo))
        examples = plan_examples(candidates)
        pileups = self._pileups(events, ref_seq, lo, examples)
        if self.labeler:
            mask = dict(zip(candidates, self.labeler.masks_for(candidates, chunk)))
            labels = [NO_LABEL if any(mask[m] == NO_LABEL for m in e.members) else
                      mask_label(*(mask[m] for m in e.members)) for e in examples]
        else:
            labels = [NO_LABEL] * len(examples)
        covered = int((counts.bases.sum(axis=1) > 0).sum())
        ref_bases = ref_seq[chunk.start - lo:chunk.end - lo]
        return ChunkResult(chunk, [e.row for e in examples], pileups, labels, covered,
                           site_read_counts(counts, ref_bases), ref_bases)

    def pileups_at(self, sites: Sequence[Candidate]) -> np.ndarray:
        """Pileups for given alleles (e.g. another tool's candidates), sorted or not; shape (N, C, H, W)."""
        out = np.zeros((len(sites), *self.config.pileup.shape), dtype=np.uint8)
        for k, site in enumerate(sites):
            chunk = Interval(site.contig, site.pos, site.pos + 1)
            events, ref_seq, lo = self._load(chunk)
            out[k] = self._pileups(events, ref_seq, lo, [Example(site, (site,))])[0]
        return out

    def _load(self, chunk: Interval):
        """Filtered reads near the chunk (as ReadEvents, realigned when the config says so) and the reference
        covering them and every pileup window."""
        cfg = self.config
        half = cfg.pileup.width // 2
        buf = cfg.pileup.read_overlap_buffer_bp
        reads = list(fetch_reads(self.alignments, chunk.contig, chunk.start - buf,
                                 chunk.end + buf + cfg.candidates.max_indel_length, self.read_filter))
        events = [read_events(r) for r in reads if r.query_sequence]
        if cfg.realign.enabled:
            fetch = functools.partial(self.reference.fetch, chunk.contig)
            events, _ = realign_reads(events, fetch, chunk.start - half, chunk.end + half, cfg.realign)
        lo = min([chunk.start - half] + [ev.start for ev in events]) - 1
        hi = max([chunk.end + half + cfg.candidates.max_indel_length] + [ev.end for ev in events]) + 1
        return events, self.reference.fetch(chunk.contig, lo, hi), lo

    def _pileups(self, events, ref_seq: str, lo: int, examples: Sequence[Example]) -> np.ndarray:
        cfg = self.config.pileup
        half, buf = cfg.width // 2, cfg.read_overlap_buffer_bp
        pileups = np.zeros((len(examples), *cfg.shape), dtype=np.uint8)
        if not examples:
            return pileups
        encoded = _encode_near_examples(events, examples, ref_seq, lo, cfg)
        starts = np.array([e.start for e in encoded], dtype=np.int64)
        max_span = max((e.end - e.start for e in encoded), default=0)
        for k, ex in enumerate(examples):
            c = ex.row
            near = _reads_near(encoded, starts, max_span, c.pos - buf, c.end + buf)
            window = ref_seq[c.pos - half - lo : c.pos + half + 1 - lo]
            pileups[k] = build_pileup(near, c.contig, c.pos, [(m.ref, m.alt) for m in ex.members], window, cfg)
        return pileups


def _encode_near_examples(events, examples: Sequence[Example], ref_seq: str, lo: int,
                          cfg: PileupConfig) -> list[EncodedRead]:
    """The reads that some example draws (overlapping its ``[pos - buffer, end + buffer)``), encoded once each, in
    the order of ``events``. Only these reach a pileup, so the others are not drawn at all (most reads of a chunk
    lie away from every candidate)."""
    buf = cfg.read_overlap_buffer_bp
    spans = np.array([(e.row.pos - buf, e.row.end + buf) for e in examples], dtype=np.int64).reshape(-1, 2)
    lo_sorted = np.sort(spans[:, 0])
    hi_by_lo = np.maximum.accumulate(spans[np.argsort(spans[:, 0], kind="stable"), 1])
    starts = np.fromiter((ev.start for ev in events), dtype=np.int64, count=len(events))
    ends = np.fromiter((ev.end for ev in events), dtype=np.int64, count=len(events))
    # the example spans that start before a read ends: does the furthest-reaching one reach past the read's start?
    k = np.searchsorted(lo_sorted, ends, side="left")
    drawn = (k > 0) & (hi_by_lo[np.maximum(k - 1, 0)] > starts)
    return encode_reads([events[i] for i in np.flatnonzero(drawn)], ref_seq, lo, cfg)


def _reads_near(encoded: list[EncodedRead], starts: np.ndarray, max_span: int, lo: int, hi: int) -> list[EncodedRead]:
    a = int(np.searchsorted(starts, lo - max_span, side="left"))
    b = int(np.searchsorted(starts, hi, side="left"))
    return [e for e in encoded[a:b] if e.end > lo]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with Python's cyclic garbage collector off (its previous state restored after).

    A chunk makes hundreds of thousands of short-lived objects (read records, arrays), freed by reference counting;
    each collection the allocations would trigger walks every live object of the process, which cost about a
    quarter of `call`'s CPU time on 1 Mb at 30x. Anything cyclic made in the block is collected after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_WORKER: ChunkProcessor | None = None


def _die_with_parent(parent: int) -> None:
    """Linux: have the kernel SIGKILL this worker when the process that started it (pid ``parent``) dies (even by
    SIGKILL), so a killed run leaves no orphan workers (elsewhere a no-op), and exit at once if it died before this
    ran (the kernel only watches a parent that is alive when asked); and let SIGTERM end the worker at once (the
    parent's handler, inherited through fork, would only raise inside the pool's wait loop)."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def _init_worker(inputs: Inputs, config: MakeExamplesConfig, parent: int) -> None:
    global _WORKER
    _die_with_parent(parent)
    _WORKER = ChunkProcessor(inputs, config)


def _run_chunk(chunk: Interval) -> ChunkResult:
    assert _WORKER is not None
    return _WORKER(chunk)


def parse_shard(text: str | None) -> tuple[int, int]:
    """``"i/n"`` -> (i, n), 0-based shard i of n. None -> (0, 1).

    Raises
    ------
    GenotorchError
        Malformed text or i outside [0, n).
    """
    if not text:
        return 0, 1
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise GenotorchError(f"--shard {text!r} must look like i/n (e.g. 0/4)") from None
    if not 0 <= i < n:
        raise GenotorchError(f"--shard {text!r}: need 0 <= i < n")
    return i, n


def plan_chunks(regions: Sequence[Interval], config: MakeExamplesConfig, shard: tuple[int, int] = (0, 1)) -> list[Interval]:
    """The chunks of ``chunk_bp`` reference bases covering ``regions``, and of those the ones of shard ``(i, n)``:
    chunks ``i, i + n, ...``."""
    i, n = shard
    return shard_intervals(regions, config.chunk_bp)[i::n]


def site_read_counts(counts: AlleleCounts, ref_bases: str) -> np.ndarray:
    """Per position of ``counts``: (reads supporting the reference, reads with a counted base), shape (L, 2),
    int32. A read with an insertion or deletion anchored at a position counts as non-reference there (as
    DeepVariant's allele counter); N bases count in the total."""
    code = np.frombuffer(ref_bases.encode(), dtype=np.uint8)
    idx = np.full(len(code), 4, dtype=np.int64)
    for k, b in enumerate(b"ACGT"):
        idx[code == b] = k
    total = counts.bases.sum(axis=1)
    ref = np.where(idx < 4, counts.bases[np.arange(len(idx)), np.minimum(idx, 3)], 0)
    for (anchor, _, _), n in counts.indels.items():
        ref[anchor - counts.start] -= n
    return np.stack([np.clip(ref, 0, None), total], axis=1).astype(np.int32)


def iter_chunk_results(inputs: Inputs, chunks: Sequence[Interval], config: MakeExamplesConfig,
                       workers: int = 1, processor: ChunkProcessor | None = None) -> Iterator[ChunkResult]:
    """Chunk results in chunk order, from ``workers`` processes (1 = in this process, reusing ``processor``)."""
    if workers <= 1 or len(chunks) <= 1:
        proc = processor or ChunkProcessor(inputs, config)
        for c in chunks:
            yield proc(c)
        return
    ex = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(inputs, config, os.getpid()))
    try:
        yield from ex.map(_run_chunk, chunks)
    except BaseException:  # an error, a signal, or the consumer gave up: drop pending chunks, stop the workers
        # A worker still busy would block at exit writing its chunk's result to a pipe no one reads any more, and
        # the interpreter waits for it (a SIGTERM test hung so, now and then); the pool has no public kill before
        # Python 3.14 (terminate_workers), so its process table is read before shutdown clears it.
        workers_left = list((getattr(ex, "_processes", None) or {}).values())
        ex.shutdown(wait=False, cancel_futures=True)
        for proc in workers_left:
            proc.terminate()  # SIGTERM: the workers reset it to the default action (_die_with_parent)
        raise
    ex.shutdown(wait=True)  # workers hold inherited file handles: let them exit before the output is renamed


def check_workers(workers: int) -> None:
    """Raises GenotorchError unless ``workers`` >= 1."""
    if workers < 1:
        raise GenotorchError(f"--workers/-j {workers}: give 1 or more processes")


def open_run(inputs: Inputs, config: MakeExamplesConfig, regions: Sequence[str] | None, shard: str | None
             ) -> tuple[ChunkProcessor, list[Interval], list[Interval]]:
    """Validate every input before any work: the processor of this process, the regions and this shard's chunks.
    The reference is checked against the reads' header MD5s (M5) on the regions' contigs when the header has
    them; a mismatch is logged (a masked reference differs too), and :class:`CandidateRateCheck` stops the run if
    the bases really differ.

    Raises
    ------
    GenotorchError
        Among the input problems: reads that hold no mapped read in any of the regions (every shard of the run
        sees the same answer, as the whole regions are checked).
    """
    probe = ChunkProcessor(inputs, config)
    region_list = resolve_regions(probe.reference, regions)
    chunks = plan_chunks(region_list, config, parse_shard(shard))
    if not has_reads(probe.alignments, region_list):
        where = ", ".join(r.to_region_string() for r in region_list[:3]) + (" ..." if len(region_list) > 3 else "")
        asked = f"--regions {where}" if regions else f"the reference's contigs ({where})"
        raise GenotorchError(f"--reads {inputs.reads} has no mapped read in {asked}: check the regions against the "
                             f"reads (contig names, coordinates; `samtools idxstats` lists what the file holds)")
    bad = reference_md5_mismatches(probe.alignments, probe.reference, {r.contig for r in region_list})
    if bad:
        logger.warning(f"warning: {', '.join(bad)} in {inputs.reference} differ from the M5 in {inputs.reads}'s "
                       f"header: expected for a masked reference, otherwise --ref is not the reads' reference")
    return probe, region_list, chunks


def resolve_regions(reference: Reference, specs: Sequence[str] | None) -> list[Interval]:
    """Regions from ``--regions`` (strings or BED files), or every reference contig when none are given."""
    if specs:
        regions = parse_regions(specs, reference.lengths)
        if not regions:
            raise GenotorchError("--regions selects no interval on the reference's contigs")
        return regions
    return [Interval(c, 0, n) for c, n in reference.lengths.items()]


def example_info(config: MakeExamplesConfig, inputs: Inputs, regions: Sequence[Interval], sample: str) -> dict:
    """The example_info of a run: shape, layout, dtype, channels and encodings, label meanings, coordinate
    convention, the make-examples config, inputs, regions, sample and version."""
    return {
        "genotorch_version": genotorch.__version__,
        "kind": "pileup",
        "shape": list(config.pileup.shape),
        "layout": "NCHW",
        "dtype": "uint8",
        "channels": list(config.pileup.channels),
        "encodings": config.pileup.encodings(),
        "center_column": config.pileup.width // 2,
        "labels": {"-1": "no label", "0": "hom-ref", "1": "het", "2": "hom-alt"},
        "coordinates": "variants/pos is 0-based (VCF POS - 1)",
        "config": config.to_dict(),
        "inputs": {k: (str(Path(v).resolve()) if v else None) for k, v in dataclasses.asdict(inputs).items()},
        "regions": [r.to_region_string() for r in regions],
        "sample": sample,
    }


def make_examples(inputs: Inputs, output: str | Path, config: MakeExamplesConfig | None = None,
                  regions: Sequence[str] | None = None, shard: str | None = None, workers: int = 1,
                  progress: Callable[[int, int, int], None] | None = None,
                  max_candidates_per_kb: float = DEFAULT_MAX_CANDIDATES_PER_KB) -> dict:
    """Run make-examples and write one HDF5 example file (plus its example_info.json).

    Parameters
    ----------
    inputs: reference, reads (BAM/CRAM, indexed), optional truth VCF + confident BED
    output: path of the ``.h5`` file to write
    regions: region strings (1-based ``chr:start-end``) and/or BED paths; default: whole reference
    shard: ``"i/n"`` to process only shard i of n
    workers: processes for this shard
    progress: called as ``progress(done_chunks, total_chunks, n_examples)``
    max_candidates_per_kb: stop when the candidate rate says the reference is wrong (:class:`CandidateRateCheck`)

    Returns
    -------
    dict: the example_info written.

    Raises
    ------
    GenotorchError
        Any input problem (see :func:`genotorch.io.alignments.open_alignments`, :class:`TruthLabeler`).
    """
    from genotorch.io.alignments import sample_name

    config = config or MakeExamplesConfig()
    if not str(output).endswith((".h5", ".hdf5")):
        raise GenotorchError(f"--output {output}: make-examples writes HDF5; name it .h5 or .hdf5")
    if inputs.truth and not inputs.confident:
        raise GenotorchError("--truth needs --confident (the BED of confident regions)")
    check_workers(workers)
    probe, region_list, chunks = open_run(inputs, config, regions, shard)
    if probe.labeler:
        probe.labeler.check_regions(region_list)
    info = example_info(config, inputs, region_list, sample_name(probe.alignments))
    info["shard"] = shard or "0/1"
    rate = CandidateRateCheck(max_candidates_per_kb, inputs.reference, inputs.reads)
    with ExampleWriter(output, info) as writer:
        for k, res in enumerate(iter_chunk_results(inputs, chunks, config, workers, probe), 1):
            rate.add(res)
            writer.append(res.pileups, res.labels, res.candidates)
            if progress:
                progress(k, len(chunks), writer.n)
    info.update(writer.info)
    return info

