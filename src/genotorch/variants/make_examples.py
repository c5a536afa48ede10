"""make-examples: reads + reference (+ truth) -> candidates -> pileup tensors -> HDF5 example shards.

The work is split into chunks of ``chunk_bp`` reference bases (deterministic); ``--shard i/n`` keeps chunks
``i, i+n, ...`` so a cluster can run one process per shard, and ``workers`` processes chunks of one shard in
parallel. Results are written in chunk order and every random choice is keyed by the site, so the output is the
same whatever the number of workers.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

import genotorch
from genotorch.encode.pileup import EncodedRead, PileupConfig, build_pileup, encode_read
from genotorch.encode.read_events import read_events
from genotorch.errors import GenotorchError
from genotorch.io.alignments import ReadFilter, fetch_reads, open_alignments
from genotorch.io.examples import ExampleWriter
from genotorch.io.intervals import Interval, parse_regions, shard_intervals
from genotorch.io.reference import Reference
from genotorch.variants.candidates import Candidate, CandidateConfig, count_alleles, find_candidates
from genotorch.variants.labels import NO_LABEL, TruthLabeler


@dataclass(frozen=True)
class MakeExamplesConfig:
    """Everything that decides the examples. Saved into example_info.json and every checkpoint."""

    min_mapping_quality: int = 5
    candidates: CandidateConfig = field(default_factory=CandidateConfig)
    pileup: PileupConfig = field(default_factory=PileupConfig)
    chunk_bp: int = 20_000

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "MakeExamplesConfig":
        d = dict(d)
        cand = CandidateConfig(**d.pop("candidates", {}))
        p = dict(d.pop("pileup", {}))
        if "channels" in p:
            p["channels"] = tuple(p["channels"])
        return cls(candidates=cand, pileup=PileupConfig(**p), **d)


@dataclass
class ChunkResult:
    chunk: Interval
    candidates: list[Candidate]
    pileups: np.ndarray
    labels: list[int]


@dataclass(frozen=True)
class Inputs:
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
        events, ref_seq, lo = self._load(chunk)
        counts = count_alleles(events, chunk.contig, chunk.start, chunk.end, ref_seq, lo, self.config.candidates)
        candidates = find_candidates(counts, ref_seq, lo, self.config.candidates)
        pileups = self._pileups(events, ref_seq, lo, candidates)
        labels = self.labeler.labels_for(candidates, chunk) if self.labeler else [NO_LABEL] * len(candidates)
        return ChunkResult(chunk, candidates, pileups, labels)

    def pileups_at(self, sites: Sequence[Candidate]) -> np.ndarray:
        """Pileups for given alleles (e.g. another tool's candidates), sorted or not; shape (N, C, H, W)."""
        out = np.zeros((len(sites), *self.config.pileup.shape), dtype=np.uint8)
        for k, site in enumerate(sites):
            chunk = Interval(site.contig, site.pos, site.pos + 1)
            events, ref_seq, lo = self._load(chunk)
            out[k] = self._pileups(events, ref_seq, lo, [site])[0]
        return out

    def _load(self, chunk: Interval):
        """Filtered reads near the chunk (as ReadEvents) and the reference covering them and every window."""
        cfg = self.config
        half = cfg.pileup.width // 2
        buf = cfg.pileup.read_overlap_buffer_bp
        reads = list(fetch_reads(self.alignments, chunk.contig, chunk.start - buf,
                                 chunk.end + buf + cfg.candidates.max_indel_length, self.read_filter))
        events = [read_events(r) for r in reads if r.query_sequence]
        lo = min([chunk.start - half] + [r.reference_start for r in reads]) - 1
        hi = max([chunk.end + half + cfg.candidates.max_indel_length] + [r.reference_end for r in reads]) + 1
        return events, self.reference.fetch(chunk.contig, lo, hi), lo

    def _pileups(self, events, ref_seq: str, lo: int, candidates: Sequence[Candidate]) -> np.ndarray:
        cfg = self.config.pileup
        half, buf = cfg.width // 2, cfg.read_overlap_buffer_bp
        pileups = np.zeros((len(candidates), *cfg.shape), dtype=np.uint8)
        if not candidates:
            return pileups
        encoded = [encode_read(ev, ref_seq, lo, cfg) for ev in events]
        starts = np.array([e.start for e in encoded], dtype=np.int64)
        max_span = max((e.end - e.start for e in encoded), default=0)
        for k, c in enumerate(candidates):
            near = _reads_near(encoded, starts, max_span, c.pos - buf, c.end + buf)
            window = ref_seq[c.pos - half - lo : c.pos + half + 1 - lo]
            pileups[k] = build_pileup(near, c.contig, c.pos, c.ref, c.alt, window, cfg)
        return pileups


def _reads_near(encoded: list[EncodedRead], starts: np.ndarray, max_span: int, lo: int, hi: int) -> list[EncodedRead]:
    a = int(np.searchsorted(starts, lo - max_span, side="left"))
    b = int(np.searchsorted(starts, hi, side="left"))
    return [e for e in encoded[a:b] if e.end > lo]


_WORKER: ChunkProcessor | None = None


def _init_worker(inputs: Inputs, config: MakeExamplesConfig) -> None:
    global _WORKER
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
    i, n = shard
    return shard_intervals(regions, config.chunk_bp)[i::n]


def iter_chunk_results(inputs: Inputs, chunks: Sequence[Interval], config: MakeExamplesConfig,
                       workers: int = 1, processor: ChunkProcessor | None = None) -> Iterator[ChunkResult]:
    """Chunk results in chunk order, from ``workers`` processes (1 = in this process, reusing ``processor``)."""
    if workers <= 1 or len(chunks) <= 1:
        proc = processor or ChunkProcessor(inputs, config)
        for c in chunks:
            yield proc(c)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(inputs, config)) as ex:
        yield from ex.map(_run_chunk, chunks)


def resolve_regions(reference: Reference, specs: Sequence[str] | None) -> list[Interval]:
    """Regions from ``--regions`` (strings or BED files), or every reference contig when none are given."""
    if specs:
        regions = parse_regions(specs, reference.lengths)
        if not regions:
            raise GenotorchError("--regions selects no interval on the reference's contigs")
        return regions
    return [Interval(c, 0, n) for c, n in reference.lengths.items()]


def example_info(config: MakeExamplesConfig, inputs: Inputs, regions: Sequence[Interval], sample: str) -> dict:
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
                  progress: Callable[[int, int, int], None] | None = None) -> dict:
    """Run make-examples and write one HDF5 example file (plus its example_info.json).

    Parameters
    ----------
    inputs: reference, reads (BAM/CRAM, indexed), optional truth VCF + confident BED
    output: path of the ``.h5`` file to write
    regions: region strings (1-based ``chr:start-end``) and/or BED paths; default: whole reference
    shard: ``"i/n"`` to process only shard i of n
    workers: processes for this shard
    progress: called as ``progress(done_chunks, total_chunks, n_examples)``

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
    if inputs.truth and not inputs.confident:
        raise GenotorchError("--truth needs --confident (the BED of confident regions)")
    probe = ChunkProcessor(inputs, config)  # validates every input before any work
    region_list = resolve_regions(probe.reference, regions)
    chunks = plan_chunks(region_list, config, parse_shard(shard))
    info = example_info(config, inputs, region_list, sample_name(probe.alignments))
    info["shard"] = shard or "0/1"
    with ExampleWriter(output, info) as writer:
        for k, res in enumerate(iter_chunk_results(inputs, chunks, config, workers, probe), 1):
            writer.append(res.pileups, res.labels, res.candidates)
            if progress:
                progress(k, len(chunks), writer.n)
    info.update(writer.info)
    return info

