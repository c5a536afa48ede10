"""The shipped default model: export, loading, `call` without --model, and its figures on the real slice."""

import torch
from typer.testing import CliRunner

from genotorch.cli.main import app
from genotorch.models.default import shipped as default_mod
from genotorch.models.checkpoint import load_classifier
from genotorch.variants.evaluate import evaluate

runner = CliRunner()


def test_export_keeps_weights_and_meta_without_optimizer_state(model, tmp_path):
    out = default_mod.export(model.best_checkpoint, tmp_path, "m.pt")
    a, meta_a = load_classifier(model.best_checkpoint)
    b, meta_b = load_classifier(out)
    assert meta_a == meta_b
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)
    assert "optimizer_states" not in torch.load(out, weights_only=True)
    assert (tmp_path / "config.json").exists() and not list(tmp_path.glob(".*tmp*"))


def test_missing_default_model_is_a_clear_error(demo, tmp_path, monkeypatch):
    monkeypatch.setattr(default_mod, "HERE", tmp_path)  # a folder holding no shipped model
    r = runner.invoke(app, ["call", "--ref", str(demo.ref), "--reads", str(demo.bam), "--regions",
                            "chr20:10000001-10001000", "-o", str(tmp_path / "x.vcf.gz")])
    assert r.exit_code == 2 and "default model" in r.output and "--model" in r.output
    assert not (tmp_path / "x.vcf.gz").exists()


def test_call_without_model_uses_the_shipped_model(demo, tmp_path):
    out = tmp_path / "calls.vcf.gz"
    r = runner.invoke(app, ["call", "--ref", str(demo.ref), "--reads", str(demo.bam), "--regions",
                            str(demo.confident), "-o", str(out)])
    assert r.exit_code == 0, r.output
    import pysam

    with pysam.VariantFile(str(out)) as vf:
        model_lines = [h for h in str(vf.header).splitlines() if h.startswith("##genotorch_model=")]
    assert model_lines == [f"##genotorch_model={default_mod.DEFAULT_MODEL}"]
    res = evaluate(str(out), str(demo.truth), str(demo.confident), str(demo.ref))
    # the shipped model's figures on real reads it never saw (MODEL_CARD.md): every SNP and every indel (the 10-bp
    # het deletion at chr20:10,004,769 was 1/1 until the indel allele-balance step; test_allele_balance.py)
    assert (res["SNP"]["tp"], res["SNP"]["fp"], res["SNP"]["fn"]) == (45, 0, 0)
    assert (res["INDEL"]["tp"], res["INDEL"]["fp"], res["INDEL"]["fn"]) == (4, 0, 0)


def test_preset_hifi_uses_the_shipped_hifi_model_on_real_hifi_reads(shared, tmp_path):
    d = shared / "variants/hg002_pacbio_hifi_grch38"
    out = tmp_path / "hifi.vcf.gz"
    r = runner.invoke(app, ["call", "--preset", "hifi", "--ref", str(d / "GRCh38.chr20_0_200000.fa.gz"), "--reads",
                            str(d / "HG002_hifi_sequel2.chr20_60k_167k.bam"), "--regions", "chr20:63841-151660",
                            "-o", str(out)])
    assert r.exit_code == 0, r.output
    import pysam

    with pysam.VariantFile(str(out)) as vf:
        header = str(vf.header)
    assert "##genotorch_preset=hifi" in header and "pileup_hifi.pt" in header
    res = evaluate(str(out), str(d / "HG002_GRCh38_v4.2.1_truth.chr20_0_200000.vcf.gz"),
                   str(d / "HG002_GRCh38_v4.2.1_confident.covered.bed"), str(d / "GRCh38.chr20_0_200000.fa.gz"))
    # real HiFi reads the model never saw (trained on simulated reads only; MODEL_CARD.md): every SNP; indels in
    # long homopolymers are its weak point (bcftools -X pacbio-ccs: 8/8/2; 7/7/3 before multi-allelic sites took
    # the minimum over every example: 92,969 CTT->CT,C is now C/C as the truth says)
    assert (res["SNP"]["tp"], res["SNP"]["fp"], res["SNP"]["fn"]) == (31, 0, 0)
    assert (res["INDEL"]["tp"], res["INDEL"]["fp"], res["INDEL"]["fn"]) == (8, 5, 2)
