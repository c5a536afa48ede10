"""The cheaper call draws the same pileups: reads decomposed once, encoded together, only those a pileup shows.

Real reads: the demo's NA12878 slice (101-bp HiSeq reads, realigned as `call` does).
"""

import gc

import numpy as np
import pysam
import torch

from genotorch.encode.pileup import PileupConfig, build_pileup, encode_read, encode_reads
from genotorch.encode.read_events import read_events
from genotorch.io.intervals import Interval
from genotorch.models.inference import cpu_threads
from genotorch.variants.candidates import count_alleles, find_candidates, plan_examples
from genotorch.variants.make_examples import ChunkProcessor, Inputs, MakeExamplesConfig, gc_paused

CHUNK = Interval("chr20", 10_010_000, 10_030_000)


def test_read_positions_agree_with_pysam(demo):
    with pysam.AlignmentFile(str(demo.bam)) as af:
        reads = [r for r in af.fetch("chr20", CHUNK.start, CHUNK.end) if not r.is_unmapped][:3000]
    with_indel = 0
    for r in reads:
        ev = read_events(r)
        pairs = np.array(r.get_aligned_pairs(matches_only=True), dtype=np.int64).reshape(-1, 2)
        assert np.array_equal(ev.ref_pos, pairs[:, 1]) and np.array_equal(ev.read_pos, pairs[:, 0])
        assert (ev.start, ev.end) == (r.reference_start, r.reference_end)
        assert ev.seq.tobytes().decode() == r.query_sequence
        assert np.array_equal(ev.quals, np.asarray(r.query_qualities))
        with_indel += bool(ev.insertions or ev.deletions)
    assert len(reads) == 3000 and with_indel > 0


def test_reads_encoded_together_equal_reads_encoded_alone(demo):
    cfg = PileupConfig()
    with pysam.AlignmentFile(str(demo.bam)) as af:
        events = [read_events(r) for r in af.fetch("chr20", 10_012_000, 10_014_000) if not r.is_unmapped]
    with pysam.FastaFile(str(demo.ref)) as fa:
        lo = 10_011_000
        ref = fa.fetch("chr20", lo, 10_016_000).upper()
    together = encode_reads(events, ref, lo, cfg)
    assert len(together) == len(events) > 100
    for ev, t in zip(events, together):
        alone = encode_read(ev, ref, lo, cfg)
        assert (t.start, t.end, t.sort_key) == (alone.start, alone.end, alone.sort_key) == (ev.start, ev.end,
                                                                                           t.sort_key)
        assert np.array_equal(t.image, alone.image) and np.array_equal(t.drawn, alone.drawn)
        assert np.array_equal(t.qual, alone.qual)
    assert encode_reads([], ref, lo, cfg) == []


def test_chunk_pileups_equal_pileups_drawn_from_every_read(demo):
    """ChunkProcessor encodes only the reads that reach some example; drawing every read gives the same tensors."""
    cfg = MakeExamplesConfig()
    proc = ChunkProcessor(Inputs(str(demo.ref), str(demo.bam)), cfg)
    res = proc(CHUNK)
    events, ref_seq, lo = proc._load(CHUNK)
    counts = count_alleles(events, CHUNK.contig, CHUNK.start, CHUNK.end, ref_seq, lo, cfg.candidates)
    examples = plan_examples(find_candidates(counts, ref_seq, lo, cfg.candidates))
    every = encode_reads(events, ref_seq, lo, cfg.pileup)
    half, buf = cfg.pileup.width // 2, cfg.pileup.read_overlap_buffer_bp
    assert len(examples) == len(res.pileups) > 20
    for k, ex in enumerate(examples):
        c = ex.row
        near = [e for e in every if e.start < c.end + buf and e.end > c.pos - buf]
        window = ref_seq[c.pos - half - lo:c.pos + half + 1 - lo]
        expected = build_pileup(near, c.contig, c.pos, [(m.ref, m.alt) for m in ex.members], window, cfg.pileup)
        assert np.array_equal(res.pileups[k], expected), c


def test_gc_paused_and_cpu_threads_restore_the_process_state():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
    before = torch.get_num_threads()
    with cpu_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with cpu_threads(None):
        assert torch.get_num_threads() == before


def test_skipping_reads_that_match_the_reference_moves_no_read_differently(demo, monkeypatch):
    """Reads aligned end to end with every base equal to the reference are not scored against the haplotypes (none
    can beat that alignment); realigning a real chunk with and without that shortcut gives the same reads."""
    import genotorch.variants.realign as realign
    from genotorch.io.reference import Reference

    reference = Reference(str(demo.ref))
    fetch = lambda a, b: reference.fetch("chr20", a, b)  # noqa: E731

    def realigned():
        with pysam.AlignmentFile(str(demo.bam)) as af:
            events = [read_events(r) for r in af.fetch("chr20", CHUNK.start, CHUNK.end) if not r.is_unmapped
                      and not r.is_secondary and not r.is_supplementary and r.mapping_quality >= 5]
        out, stats = realign.realign_reads(events, fetch, CHUNK.start, CHUNK.end, realign.RealignConfig())
        return [(ev.read.query_name, ev.read.is_read1, ev.start, ev.read.cigarstring) for ev in out], stats

    with pysam.AlignmentFile(str(demo.bam)) as af:
        perfect = sum(realign._matches_reference(ev, ev.read.query_sequence.upper(), fetch) for ev in
                      (read_events(r) for r in af.fetch("chr20", CHUNK.start, CHUNK.end) if not r.is_unmapped))
    fast, fast_stats = realigned()
    monkeypatch.setattr(realign, "_matches_reference", lambda *a: False)
    slow, slow_stats = realigned()
    assert perfect > 1000 and fast_stats.reads_realigned > 0
    assert fast == slow and fast_stats == slow_stats
