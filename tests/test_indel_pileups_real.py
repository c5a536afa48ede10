"""Indel pileups of spanning reads on real HG002 HiSeq X reads (../shared/data): a hom-alt deletion in a 16-bp
poly-A at 20:44,947,095 that its leave-one-region-out model called het while reads ending inside the poly-A were
drawn."""

from pathlib import Path

import pysam
import torch
from typer.testing import CliRunner

from genotorch.cli.main import app
from genotorch.encode.pileup import PileupConfig
from genotorch.io.examples import Candidate
from genotorch.variants.make_examples import ChunkProcessor, Inputs, MakeExamplesConfig

ROOT = Path(__file__).resolve().parents[1]
LORO_44 = ROOT / "benchmarks/models/loro_r44.88.pt"  # trained without this region


def _hg002(shared):
    h = shared / "variants/hg002_illumina_hiseqx_grch37"
    return h / "GRCh37_chr20_vardict_slices.fa.gz", h / "NA24385_chr_20_44885701_44969115.bam"


def test_reads_ending_inside_the_repeat_are_left_out(shared):
    ref, bam = _hg002(shared)
    rows = {}
    for site in (Candidate("20", 44947094, "TA", "T", 0, 0, 0), Candidate("20", 44964856, "CAA", "C", 0, 0, 0)):
        for spanning in (True, False):
            cfg = MakeExamplesConfig(pileup=PileupConfig(spanning_indel_reads=spanning))
            img = ChunkProcessor(Inputs(str(ref), str(bam)), cfg).pileups_at([site])[0]
            ch = cfg.pileup.channels
            drawn = img[ch.index("strand"), 5:].any(axis=1)
            support = (img[ch.index("read_supports_variant"), 5:] == 254).any(axis=1)
            rows[site.pos, spanning] = (int(drawn.sum()), int(support.sum()))
    # 16-bp poly-A: 3 of 41 reads end inside it; 22-bp poly-A: 19 of 74. Every read carrying the deletion stays.
    assert rows == {(44947094, True): (38, 29), (44947094, False): (41, 29),
                    (44964856, True): (55, 30), (44964856, False): (74, 30)}


def test_the_hom_alt_deletion_is_called_hom_alt(shared, tmp_path):
    ref, bam = _hg002(shared)
    off = tmp_path / "all_reads.pt"  # the same weights, drawing every read as before
    blob = torch.load(LORO_44, weights_only=True)
    blob["hyper_parameters"]["meta"]["example_info"]["config"]["pileup"]["spanning_indel_reads"] = False
    del blob["hyper_parameters"]["meta"]["stutter"]  # nor the repeat-length step (test_repeat_genotypes.py)
    torch.save(blob, off)
    gts = {}
    for name, model in (("spanning", LORO_44), ("all", off)):
        out = tmp_path / f"{name}.vcf.gz"
        r = CliRunner().invoke(app, ["call", "--ref", str(ref), "--reads", str(bam), "--model", str(model),
                                     "--regions", "20:44946601-44947600", "-o", str(out)])
        assert r.exit_code == 0, r.output
        with pysam.VariantFile(str(out)) as vf:
            (rec,) = [x for x in vf if x.pos == 44947095]
            gts[name] = (rec.ref, rec.alts, rec.samples[0]["GT"])
    assert gts == {"spanning": ("TA", ("T",), (1, 1)), "all": ("TA", ("T",), (0, 1))}  # GIAB truth: 1/1
