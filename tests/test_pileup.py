"""Pileup values checked by hand, channel by channel, on small synthetic reads."""

import zlib

import numpy as np
import pytest
from builders import CONTIG, make_read

from genotorch.encode.pileup import PileupConfig, build_pileup, encode_read, select_reads
from genotorch.encode.read_events import read_events
from genotorch.errors import GenotorchError

REF = "ACGT" * 250  # ref[100:105] == "ACGTA"
CFG = PileupConfig(height=4, width=5, reference_band_height=1)
CH = {c: k for k, c in enumerate(CFG.channels)}


def pileup(reads, pos, ref, alt, cfg=CFG):
    enc = [encode_read(read_events(r), REF, 0, cfg) for r in reads]
    half = cfg.width // 2
    return build_pileup(enc, CONTIG, pos, [(ref, alt)], REF[pos - half : pos + half + 1], cfg)


def test_snv_read_every_channel():
    read = make_read("ACCTA", 100, quals=[30, 40, 20, 5, 60], mapq=30, tlen=-300)
    img = pileup([read], 102, "G", "C")
    assert img.shape == (7, 4, 5) and img.dtype == np.uint8
    row = img[:, 1, :]
    assert row[CH["read_base"]].tolist() == [250, 30, 30, 100, 250]
    assert row[CH["base_quality"]].tolist() == [190, 254, 127, 31, 254]  # int(254 * min(q, 40) / 40)
    assert row[CH["mapping_quality"]].tolist() == [127] * 5  # int(254 * 30 / 60)
    assert row[CH["strand"]].tolist() == [70] * 5
    assert row[CH["read_supports_variant"]].tolist() == [254] * 5
    assert row[CH["base_differs_from_ref"]].tolist() == [50, 50, 254, 50, 50]
    assert row[CH["insert_size"]].tolist() == [76] * 5  # int(254 * 300 / 1000), |TLEN|
    ref_row = img[:, 0, :]
    assert ref_row[CH["read_base"]].tolist() == [250, 30, 180, 100, 250]
    assert [int(ref_row[CH[c], 0]) for c in CFG.channels] == [250, 254, 254, 70, 152, 50, 254]
    assert not img[:, 2:, :].any()  # empty rows are zero


def test_reverse_strand_and_read_not_supporting_alt():
    img = pileup([make_read("ACGTA", 100, reverse=True)], 102, "G", "C")
    assert img[CH["strand"], 1].tolist() == [240] * 5
    assert img[CH["read_supports_variant"], 1].tolist() == [152] * 5


def test_insertion_anchor_drawn_as_star():
    read = make_read("ACGTTA", 100, "3M1I2M", quals=[30, 30, 30, 12, 30, 30])
    img = pileup([read], 102, "G", "GT")
    assert img[CH["read_base"], 1].tolist() == [250, 30, 0, 100, 250]
    assert img[CH["base_quality"], 1].tolist() == [190, 190, 76, 190, 190]  # anchor: first inserted base, q=12
    assert img[CH["base_differs_from_ref"], 1].tolist() == [50, 50, 254, 50, 50]
    assert img[CH["read_supports_variant"], 1].tolist() == [254] * 5


def test_deletion_anchor_and_deleted_columns():
    read = make_read("ACTA", 100, "2M1D2M", quals=[30, 25, 30, 30])
    img = pileup([read], 101, "CG", "C")  # window ref[99:104] = "TACGT"
    assert img[CH["read_base"], 1].tolist() == [0, 250, 0, 0, 100]
    assert img[CH["base_quality"], 1].tolist() == [0, 190, 158, 0, 190]  # anchor keeps its own quality (25)
    assert img[CH["strand"], 1].tolist() == [0, 70, 70, 0, 70]  # nothing drawn on deleted or uncovered columns
    assert img[CH["read_supports_variant"], 1, 2] == 254


def test_soft_clips_are_not_drawn():
    img = pileup([make_read("GGACGTA", 100, "2S5M")], 101, "C", "T")  # window 99..103
    assert img[CH["read_base"], 1].tolist() == [0, 250, 30, 180, 100]


def test_low_quality_base_at_site_drops_the_read():
    reads = [make_read("ACGTA", 100, quals=[30, 30, 9, 30, 30], name="low"), make_read("ACGTA", 100, name="ok")]
    img = pileup(reads, 102, "G", "C")
    assert img[CH["read_base"], 1].any() and not img[CH["read_base"], 2].any()


def test_rows_sorted_and_downsampling_deterministic():
    reads = [make_read("ACGTACGTAC", 95 + i % 7, name=f"r{i:02d}") for i in range(30)]
    cfg = PileupConfig(height=11, width=5, reference_band_height=1)  # room for 10 of 30 reads
    enc = [encode_read(read_events(r), REF, 0, cfg) for r in reads]
    a = select_reads(enc, CONTIG, 102, 103, cfg)
    b = select_reads(list(reversed(enc)), CONTIG, 102, 103, cfg)
    assert len(a) == 10 and [r.sort_key for r in a] == [r.sort_key for r in b]
    display = [(max(r.start, 100),) + r.sort_key[1:] for r in a]  # start clipped to the window, then name
    assert display == sorted(display)


def test_config_rejects_even_width_and_unknown_channel():
    with pytest.raises(GenotorchError, match="odd"):
        PileupConfig(width=220)
    with pytest.raises(GenotorchError, match="unknown pileup channel"):
        PileupConfig(channels=("read_base", "colour"))


def test_channel_subset_keeps_order():
    cfg = PileupConfig(height=3, width=5, reference_band_height=1, channels=("strand", "read_base"))
    img = pileup([make_read("ACGTA", 100, reverse=True)], 102, "G", "C", cfg)
    assert img.shape == (2, 3, 5)
    assert img[0, 1].tolist() == [240] * 5 and img[1, 1].tolist() == [250, 30, 180, 100, 250]


def test_haplotype_row_order_groups_hp_tags_and_ignores_names():
    reads = []
    for i, hp in enumerate([2, 0, 1, 2, 1, 0, 1]):
        r = make_read("ACGTACGTAC", 95, name=f"hap{hp}_{i}")
        if hp:
            r.set_tag("HP", hp)
        reads.append(r)
    cfg = PileupConfig(height=9, width=5, reference_band_height=1, row_order="haplotype")
    enc = [encode_read(read_events(r), REF, 0, cfg) for r in reads]
    rows = [r.events.read for r in select_reads(enc, CONTIG, 102, 103, cfg)]
    hps = [r.get_tag("HP") if r.has_tag("HP") else 0 for r in rows]
    assert hps == [1, 1, 1, 2, 2, 0, 0]  # HP 1, then HP 2, then untagged
    names = [r.query_name for r in rows]
    assert [zlib.crc32(n.encode()) for n in names[:3]] == sorted(zlib.crc32(n.encode()) for n in names[:3])
    plain = PileupConfig(height=9, width=5, reference_band_height=1)
    rows = [r.events.read.query_name for r in select_reads([encode_read(read_events(r), REF, 0, plain)
                                                            for r in reads], CONTIG, 102, 103, plain)]
    assert rows == sorted(rows)  # the default order: by name (DeepVariant's)
    with pytest.raises(GenotorchError, match="row_order"):
        PileupConfig(row_order="random")


HP_REF = "TGCATGCGTCAGTCGATCGGATCCTAGCTAGGCTTACGGATCGATCGTGC" + "A" * 8 + "GTCCTGACTGATCGGCTAGCTTGCATCGATCGGCTAGCATGC" * 3


def test_indel_tract_is_the_repeat_around_the_indel():
    from genotorch.encode.repeats import indel_tract

    def fetch(a, b):
        return HP_REF[max(0, a):max(0, b)]

    assert indel_tract(fetch, 49, "CA", "C") == (50, 58)  # a poly-A deletion: the whole 8-bp tract
    assert indel_tract(fetch, 49, "C", "CA") == (50, 58)  # an insertion into it
    assert indel_tract(fetch, 10, "CAGT", "C") == (11, 14)  # no repeat: the deleted bases


def test_indel_pileup_draws_only_reads_spanning_the_repeat():
    """A read ending inside the poly-A (or on its last A) cannot tell the deletion from the reference: it is left out
    of the indel's pileup (one aligned base past the tract is needed each side), kept in an SNV's."""
    cfg = PileupConfig(height=8, width=21, reference_band_height=1)
    spans = {"spanning": (30, 70), "ends_inside": (20, 55), "ends_on_last_A": (20, 58), "one_past": (20, 59),
             "starts_inside": (52, 90), "starts_before": (49, 90)}
    reads = [make_read(HP_REF[a:b], a, name=n) for n, (a, b) in spans.items()]
    enc = [encode_read(read_events(r), HP_REF, 0, cfg) for r in reads]

    def rows(pos, ref, alt, c):
        img = build_pileup(enc, CONTIG, pos, [(ref, alt)], HP_REF[pos - 10:pos + 11], c)
        return int(img[CH["strand"], 1:].any(axis=1).sum())

    assert rows(49, "CA", "C", cfg) == 3  # spanning, one_past, starts_before
    assert rows(49, "CA", "C", PileupConfig(height=8, width=21, reference_band_height=1,
                                           spanning_indel_reads=False)) == 6
    assert rows(53, "A", "G", cfg) == 6  # an SNV example keeps every overlapping read


def test_configs_saved_before_spanning_reads_load_with_it_off():
    from genotorch.variants.make_examples import MakeExamplesConfig

    new = MakeExamplesConfig()
    assert new.pileup.spanning_indel_reads is True
    saved = new.to_dict()
    assert MakeExamplesConfig.from_dict(saved).pileup.spanning_indel_reads is True
    del saved["pileup"]["spanning_indel_reads"]
    assert MakeExamplesConfig.from_dict(saved).pileup.spanning_indel_reads is False
