"""Local realignment on built reads, and haplotype-aware labels against hand-made truths."""

import random

import pytest
from builders import make_header, make_read

from genotorch.encode.read_events import read_events
from genotorch.variants.haplotype_labels import TruthVariant, haplotype_masks, mask_label
from genotorch.encode.repeats import repeat_tract
from genotorch.variants.haplotype_candidates import build_haplotype, select_windows
from genotorch.variants.realign import RealignConfig, realign_reads

random.seed(1)
LEFT = "".join(random.choice("ACGT") for _ in range(300))
RIGHT = "".join(random.choice("ACGT") for _ in range(300))
REF = LEFT + "G" + "A" * 8 + "C" + RIGHT  # an 8-bp poly-A at 301..308 (0-based)
HAP = LEFT + "G" + "A" * 7 + "C" + RIGHT  # the same with one A deleted
HEADER = make_header({"chrT": len(REF)})


def fetch(a, b):
    return "N" * max(0, -a) + REF[max(0, a):min(len(REF), b)] + "N" * max(0, b - len(REF))


def test_repeat_tract():
    assert repeat_tract(fetch, 305) == (301, 309)  # the poly-A, whatever base of it is asked
    assert repeat_tract(lambda a, b: ("TTT" + "CA" * 6 + "GGT")[max(0, a):max(0, b)], 5) == (3, 15)  # (CA)6


def test_haplotype_maps_back_to_the_reference():
    seq, where = build_haplotype(fetch, 290, 320, [(300, "GA", "G")], pad=5)
    assert seq == HAP[285:324]
    assert where[15] == 300 and where[16] == 302  # G on 300, then the A of 302: 301 was deleted
    seq, where = build_haplotype(fetch, 290, 320, [(300, "G", "GT")], pad=5)
    assert seq == REF[285:301] + "T" + REF[301:325] and where[16] == -1


def _reads(placement):
    """20 reads of HAP starting every 6 bp from 180; the deletion written as ``placement`` says."""
    reads = []
    for k, s in enumerate(range(180, 300, 6)):
        off = 301 - s  # index in the read of the first A
        cig = {"left": f"{off}M1D{150 - off}M", "right": f"{off + 7}M1D{150 - off - 7}M", "none": "150M"}
        reads.append(make_read(HAP[s:s + 150], s, cig[placement[k % len(placement)]], name=f"r{k}", header=HEADER))
    return reads


@pytest.mark.parametrize("placement", [["left", "right"], ["right"], ["left", "right", "none"]])
def test_a_homopolymer_deletion_placed_several_ways_comes_out_the_same(placement):
    events = [read_events(r) for r in _reads(placement)]
    [(ws, we)] = select_windows(events, fetch, 0, len(REF), RealignConfig())
    assert ws in (280, 281) and we == 329  # the run [301, 309) and 20 bp each side (from the evidence's anchor)
    events, stats = realign_reads(events, fetch, 0, len(REF), RealignConfig())
    assert stats.windows == 1
    assert [[(a, n) for a, n, _ in ev.deletions] for ev in events] == [[(300, 1)]] * 20
    assert all(ev.read.query_alignment_length == 150 for ev in events)


def test_reference_reads_are_not_moved():
    reads = _reads(["left"])[:6] + [make_read(REF[s:s + 150], s, name=f"ref{s}", header=HEADER)
                                    for s in range(200, 300, 10)]
    before = [(r.reference_start, r.cigarstring) for r in reads]
    events, _ = realign_reads([read_events(r) for r in reads], fetch, 0, len(REF), RealignConfig())
    after = {ev.read.query_name: (ev.read.reference_start, ev.read.cigarstring) for ev in events}
    assert [after[r.query_name] for r in reads] == before


def test_realignment_off_changes_nothing():
    events = [read_events(r) for r in _reads(["right"])]
    out, stats = realign_reads(events, fetch, 0, len(REF), RealignConfig(enabled=False))
    assert stats.windows == 0 and [ev.deletions for ev in out] == [ev.deletions for ev in events]


def tv(pos, alleles, gt, phased=False):
    return TruthVariant(pos, tuple(alleles), gt, phased)


def test_labels_match_haplotypes_not_spelling():
    # the truth deletes the first A of the run; the candidate deletes the last: the same haplotype
    truth = [tv(300, ["GA", "G"], (1, 1))]
    assert haplotype_masks([(307, "AA", "A")], truth, fetch) == [3]
    # a het deletion written as a complex allele (deletion + the next base changed) is not the truth's change
    assert mask_label(*haplotype_masks([(300, "GAA", "GC")], truth, fetch)) == 0


def test_multiallelic_site_labels_each_allele_and_the_pair():
    truth = [tv(300, ["GA", "GAA", "G"], (1, 2))]  # an insertion on one haplotype, a deletion on the other
    masks = haplotype_masks([(300, "G", "GA"), (300, "GA", "G"), (300, "G", "T")], truth, fetch)
    assert [mask_label(m) for m in masks] == [1, 1, 0]
    assert mask_label(masks[0], masks[1]) == 2


def test_unphased_hets_try_both_phasings():
    truth = [tv(200, ["C", "T"], (0, 1)) if REF[200] == "C" else tv(200, [REF[200], "T" if REF[200] != "T" else "A"],
                                                                     (0, 1)),
             tv(210, [REF[210], "A" if REF[210] != "A" else "C"], (1, 0))]
    cands = [(t.pos, t.alleles[0], t.alleles[1]) for t in truth]
    assert [mask_label(m) for m in haplotype_masks(cands, truth, fetch)] == [1, 1]


def test_long_reads_are_left_alone():
    long_read = make_read(HAP[:520], 0, "301M1D219M", name="long", header=HEADER)  # the deletion written right
    long_read.cigarstring = "308M1D212M"
    events = [read_events(r) for r in _reads(["left"])] + [read_events(long_read)]
    out, stats = realign_reads(events, fetch, 0, len(REF), RealignConfig())
    assert stats.windows == 1 and len(out) == 21
    [ev] = [ev for ev in out if ev.read.query_name == "long"]
    assert ev.read.cigarstring == "308M1D212M"
