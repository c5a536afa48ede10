"""Phasing inside call: long reads without HP tags are phased (WhatsHap) and tagged before the pileups that sort
rows by haplotype; a missing whatshap is one clear line."""

import pysam
import torch
from typer.testing import CliRunner

from genotorch.cli.main import app
from genotorch.io.intervals import Interval
from genotorch.variants import phasing

runner = CliRunner()
ONT = "variants/hg002_ont_r10_grch38"
REGION = "chr20:5050001-5060000"


def haplotype_model(model, tmp_path):
    """The test model with its pileup rows set to haplotype order (what the long-read presets' models have)."""
    ckpt = torch.load(model.best_checkpoint, weights_only=True)
    ckpt["hyper_parameters"]["meta"]["example_info"]["config"]["pileup"]["row_order"] = "haplotype"
    path = tmp_path / "haplotype_model.ckpt"
    torch.save(ckpt, path)
    return path


def test_phase_reads_tags_the_ont_reads_from_the_truth_hets(shared, tmp_path):
    d = shared / ONT
    tagged, n = phasing.phase_reads(str(d / "grch38.chr20_5050000_5075000.masked.fa.gz"),
                                    str(d / "HG002_R10_chr20_5050000_5075000.bam"),
                                    d / "HG002_GRCh38_v4.2.1_benchmark.chr20_5050000_5080000.vcf.gz", tmp_path,
                                    [Interval("chr20", 5050000, 5060000), Interval("chr20", 5059000, 5075000)])
    assert n == 21
    with pysam.AlignmentFile(str(tagged)) as bam:
        hp = [r.get_tag("HP") if r.has_tag("HP") else 0 for r in bam]
    assert (hp.count(1), hp.count(2), hp.count(0)) == (52, 44, 19)


def test_call_phases_untagged_long_reads_first(shared, model, tmp_path):
    d = shared / ONT
    m = haplotype_model(model, tmp_path)
    base = ["call", "--ref", str(d / "grch38.chr20_5050000_5075000.masked.fa.gz"), "--reads",
            str(d / "HG002_R10_chr20_5050000_5075000.bam"), "--model", str(m), "--regions", REGION]
    r = runner.invoke(app, base + ["-o", str(tmp_path / "phased.vcf.gz")])
    assert r.exit_code == 0, r.output
    header = str(pysam.VariantFile(str(tmp_path / "phased.vcf.gz")).header)
    assert "##genotorch_phasing=whatshap phase + haplotag on" in header
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".genotorch-phase-")]  # work folder removed
    r = runner.invoke(app, base + ["--no-phase", "-o", str(tmp_path / "plain.vcf.gz")])
    assert r.exit_code == 0, r.output
    assert "genotorch_phasing" not in str(pysam.VariantFile(str(tmp_path / "plain.vcf.gz")).header)


def test_missing_whatshap_is_one_clear_line(shared, model, tmp_path, monkeypatch):
    d = shared / ONT
    monkeypatch.setattr(phasing.sys, "executable", str(tmp_path / "no-venv" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "x.vcf.gz"
    r = runner.invoke(app, ["call", "--ref", str(d / "grch38.chr20_5050000_5075000.masked.fa.gz"), "--reads",
                            str(d / "HG002_R10_chr20_5050000_5075000.bam"), "--model",
                            str(haplotype_model(model, tmp_path)), "--regions", REGION, "-o", str(out)])
    assert r.exit_code == 2 and "whatshap not found" in r.output and "--no-phase" in r.output
    assert not out.exists()
