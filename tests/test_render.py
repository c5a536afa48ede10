"""render (IGV-like pictures from reads, tensors channel by channel), igv-batch and negative sites."""

import numpy as np
from builders import make_read, write_bam, write_fasta
from typer.testing import CliRunner

from genotorch.cli.main import app
from genotorch.io.alignments import open_alignments
from genotorch.io.reference import Reference
from genotorch.render.reads import BASE_RGB, DELETION, INSERTION, MATCH_FWD, MATCH_REV, RenderConfig, render_site
from genotorch.render.sites import igv_batch, read_sites
from genotorch.variants.negative_sites import negative_sites

runner = CliRunner()
REF = "ACGTTGCAAC" * 100  # 1000 bp, the builders' contig length


def small(tmp_path, reads):
    ref = write_fasta(tmp_path / "ref.fa", {"chrT": REF})
    bam = write_bam(tmp_path / "r.bam", reads)
    reference = Reference(ref)
    return reference, open_alignments(bam, reference)


def test_picture_pixels(tmp_path):
    alt = REF[20:50]
    alt = alt[:10] + ("A" if alt[10] != "A" else "C") + alt[11:]  # mismatch at ref 30
    reads = [make_read(alt, 20, name="mm"),
             make_read(REF[20:30] + REF[33:53], 20, "10M3D20M", name="del", reverse=True),  # deletes ref 30-32
             make_read(REF[40:45] + "GG" + REF[45:70], 40, "5M2I25M", name="ins")]
    reference, bam = small(tmp_path, reads)
    cfg = RenderConfig(flank=10, px_per_base=2, row_px=3, gap_px=1, max_rows=4, coverage_px=10, ref_px=4)
    img = render_site(bam, reference, "chrT", 30, cfg)
    assert img.shape == (*cfg.size, 3) == (10 + 4 + 2 + 4 * 4, 21 * 2, 3)
    y_reads = 10 + 1 + 4 + 2
    b = alt[10]
    # rows are packed by (start, name): row 0 = "del", row 1 = "mm" (both start at 20); "ins" starts at 40 > 30 + 10
    x = (30 - 20) * 2 + 1  # inside the centre base, away from the centre lines
    assert tuple(img[y_reads + 4, x]) == BASE_RGB[b]
    assert tuple(img[y_reads + 1, x]) == DELETION and tuple(img[y_reads, x]) == (255, 255, 255)  # a line mid-row
    assert tuple(img[y_reads, 2 * 2]) == MATCH_REV  # reverse-strand match colour
    assert tuple(img[y_reads + 4, 2 * 2]) == MATCH_FWD
    # reference track in the reference base's colour; centre lines black, full height
    assert tuple(img[11, 0]) == BASE_RGB[REF[20]]
    assert tuple(img[0, 10 * 2 - 1]) == (0, 0, 0) and tuple(img[-1, 11 * 2]) == (0, 0, 0)
    # the insertion after ref 44 shows in a picture centred there
    img2 = render_site(bam, reference, "chrT", 44, cfg)
    assert (img2[y_reads:, :] == INSERTION).all(axis=2).any()


def test_fixed_height_and_deterministic_downsampling(tmp_path):
    reads = [make_read(REF[10:60], 10, name=f"r{i}") for i in range(30)]
    reference, bam = small(tmp_path, reads)
    cfg = RenderConfig(flank=10, max_rows=8)
    a = render_site(bam, reference, "chrT", 30, cfg)
    b = render_site(bam, reference, "chrT", 30, cfg)
    assert a.shape[:2] == cfg.size and np.array_equal(a, b)
    (tmp_path / "x").mkdir()
    reference2, bam2 = small(tmp_path / "x", reads[:2])
    c = render_site(bam2, reference2, "chrT", 30, cfg)
    assert c.shape == a.shape and (c[-5:, :50] == 255).all()  # fewer reads: same size, white below


def test_render_cli_sites_and_tensors(demo, tmp_path, train_examples):
    r = runner.invoke(app, ["render", "--ref", str(demo.ref), "--reads", str(demo.bam), "--regions",
                            "chr20:10,001,436", "--regions", "chr20:10001000-10001100", "-o", str(tmp_path / "p")])
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in (tmp_path / "p").iterdir())
    assert names == ["chr20_10001000_10001100.png", "chr20_10001386_10001486.png"]  # centred on 10,001,050
    r = runner.invoke(app, ["render", "--examples", str(train_examples), "--index", "0", "-o", str(tmp_path / "t")])
    assert r.exit_code == 0, r.output
    from PIL import Image

    (png,) = list((tmp_path / "t").iterdir())
    im = np.asarray(Image.open(png))
    assert im.shape == (100 * 2, 7 * (221 * 2 + 4) - 4)


def test_igv_batch_script(demo, tmp_path):
    sites = read_sites(demo.truth)[:2]
    text = igv_batch(sites, "hg19", ["a.bam"], "/snaps", flank=150)
    p0 = sites[0][1] + 1
    assert text.splitlines()[:6] == ["new", "genome hg19", "load a.bam", "snapshotDirectory /snaps",
                                     "maxPanelHeight 500", f"goto chr20:{p0 - 150}-{p0 + 150}"]
    assert text.splitlines()[6:8] == ["collapse", f"snapshot chr20_{p0 - 150}_{p0 + 150}.png"]
    assert text.endswith("exit\n") and text.count("snapshot ") == 2
    r = runner.invoke(app, ["igv-batch", "--sites", str(demo.truth), "--genome", "hg19", "--reads", "x.bam",
                            "--snapshot-dir", "s", "-o", str(tmp_path / "b.txt"), "--layout", "zigzag"])
    assert r.exit_code == 2 and "choose collapse" in r.output and not (tmp_path / "b.txt").exists()


def test_negative_sites(demo):
    truth = read_sites(demo.truth)
    near = negative_sites("near", 30, 1, truth_sites=truth)
    assert near == negative_sites("near", 30, 1, truth_sites=truth) and len(near) == 30
    tpos = np.array(sorted(p for _, p in truth))
    for _, p in near:
        d = np.abs(tpos - p).min()
        assert 2 <= d <= 50
    from genotorch.io.intervals import Interval

    regions = [Interval("chr20", 10_001_000, 10_020_000)]
    rnd = negative_sites("random", 20, 2, truth_sites=truth, regions=regions, reads=str(demo.bam), ref=str(demo.ref))
    assert len(rnd) == 20 and all(10_001_000 <= p < 10_020_000 and np.abs(tpos - p).min() >= 50 for _, p in rnd)
    look = negative_sites("lookalike", 10, 3, truth_sites=truth, regions=regions, reads=str(demo.bam), ref=str(demo.ref))
    assert look and all(np.abs(tpos - p).min() > 0 for _, p in look)
