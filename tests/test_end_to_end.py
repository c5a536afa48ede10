"""make-examples -> train -> call -> evaluate on the real NA12878 slice in data/demo."""

import shutil
import subprocess

import h5py
import numpy as np
import pysam
import pytest
import torch
from builders import SMALL, tiny_config

from genotorch.errors import GenotorchError
from genotorch.io.examples import read_example_info, read_variants
from genotorch.models.checkpoint import load_classifier
from genotorch.train.run import train
from genotorch.variants.call import call_variants
from genotorch.variants.evaluate import evaluate
from genotorch.variants.make_examples import Inputs, make_examples

def test_examples_file_contract(train_examples):
    info = read_example_info(train_examples)
    assert info["shape"] == [7, 100, 221] and info["center_column"] == 110
    assert info["channels"][0] == "read_base" and info["config"]["candidates"]["min_fraction_snps"] == 0.12
    assert (train_examples.parent / "train.h5.example_info.json").exists()
    with h5py.File(train_examples) as h5:
        assert h5["pileups"].dtype == np.uint8 and h5["pileups"].shape[0] == info["n_examples"]
        labels = h5["labels"][:]
        ref_rows = h5["pileups"][:, 0, :5, 110]
    assert set(labels.tolist()) <= {0, 1, 2} and labels.min() >= 0  # whole region inside the given BED
    v = read_variants(train_examples)
    assert (np.diff(v["pos"]) >= 0).all()
    colours = {"A": 250, "C": 30, "G": 180, "T": 100}
    assert all((ref_rows[k] == colours[r[0]]).all() for k, r in enumerate(v["ref"]))  # REF base at centre column


def test_output_same_for_any_number_of_workers(demo, tmp_path):
    inputs = Inputs(str(demo.ref), str(demo.bam))
    a = make_examples(inputs, tmp_path / "a.h5", SMALL, ["chr20:10000001-10020000"], workers=1)
    b = make_examples(inputs, tmp_path / "b.h5", SMALL, ["chr20:10000001-10020000"], workers=2)
    assert a["n_examples"] == b["n_examples"] > 50
    with h5py.File(tmp_path / "a.h5") as ha, h5py.File(tmp_path / "b.h5") as hb:
        assert np.array_equal(ha["pileups"][:], hb["pileups"][:])
    assert all(np.array_equal(x, y) for x, y in zip(read_variants(tmp_path / "a.h5").values(),
                                                    read_variants(tmp_path / "b.h5").values()))
    # shards 0/2 and 1/2 together hold exactly the examples of the whole run
    s0 = make_examples(inputs, tmp_path / "s0.h5", SMALL, ["chr20:10000001-10020000"], shard="0/2")
    s1 = make_examples(inputs, tmp_path / "s1.h5", SMALL, ["chr20:10000001-10020000"], shard="1/2")
    assert s0["n_examples"] + s1["n_examples"] == a["n_examples"]


def test_labels_in_confident_regions_match_truth(demo, tmp_path):
    out = tmp_path / "conf.h5"
    make_examples(Inputs(str(demo.ref), str(demo.bam), str(demo.truth), str(demo.confident)), out,
                  regions=[str(demo.confident)])
    with h5py.File(out) as h5:
        labels = h5["labels"][:]
    v = read_variants(out)
    truth = {}
    with pysam.VariantFile(str(demo.truth)) as vf:
        for rec in vf.fetch("chr20", 10_000_846, 10_010_531):
            truth[(rec.start, rec.ref, rec.alts[0])] = sum(a > 0 for a in rec.samples[0]["GT"])
    found = {(int(p), r, a): int(lab) for p, r, a, lab in zip(v["pos"], v["ref"], v["alt"], labels)}
    hits = [k for k in truth if k in found]
    assert len(hits) >= 47  # of the 49 truth variants in the BED (DeepVariant's labeler matched 48)
    assert all(found[k] == truth[k] for k in hits)
    assert all(lab == 0 for k, lab in found.items() if k not in truth)


def test_checkpoint_carries_what_inference_needs(model):
    net, meta = load_classifier(model.last_checkpoint)
    assert meta["example_info"]["channels"][:2] == ["read_base", "base_quality"]
    assert meta["genotorch_version"] and meta["config"]["model"]["name"] == "pileup_resnet"
    assert model.global_step == 3 and model.best_checkpoint.exists()
    x = torch.zeros(2, 7, 100, 221, dtype=torch.uint8)
    assert net(x).shape == (2, 3)
    assert (model.last_checkpoint.parent.parent / "logs" / "metrics.csv").exists()
    assert (model.last_checkpoint.parent.parent / "curves.png").stat().st_size > 1000


def test_resume_continues_step_and_init_from_loads_weights(model, train_examples, tmp_path):
    run = tmp_path / "resumed"
    res = train(tiny_config(run, train_examples, max_steps=5, max_epochs=5), resume=str(model.last_checkpoint), progress_bar=False)
    assert res.global_step == 5  # 3 steps before, 2 more
    cfg = tiny_config(tmp_path / "init", train_examples, max_steps=1, max_epochs=1)
    cfg = type(cfg)(**{**cfg.__dict__, "optimizer": type(cfg.optimizer)(lr=1e-12, weight_decay=0.0)})  # ~no step
    init = train(cfg, init_from=str(model.last_checkpoint), progress_bar=False)
    assert init.global_step == 1
    src = torch.load(model.last_checkpoint, weights_only=True)["state_dict"]
    dst = torch.load(init.last_checkpoint, weights_only=True)["state_dict"]
    # every weight came from --init-from (one step at lr 1e-12 moves them by < 1e-9); batch-norm statistics move
    weights = [k for k in src if k.startswith("model.") and "running_" not in k and "num_batches" not in k]
    assert len(weights) > 10 and all(torch.allclose(src[k].float(), dst[k].float(), atol=1e-6) for k in weights)


def test_call_writes_vcf_that_pysam_and_bcftools_read(demo, model, tmp_path):
    out = tmp_path / "calls.vcf.gz"
    stats = call_variants(str(demo.ref), str(demo.bam), str(model.last_checkpoint), str(out),
                          ["chr20:10000001-10010000"])
    assert out.exists() and (tmp_path / "calls.vcf.gz.tbi").exists()
    with pysam.VariantFile(str(out)) as vf:
        assert list(vf.header.samples) == ["NA12878"]
        assert vf.header.contigs["chr20"].length == 63_025_520
        recs = list(vf.fetch("chr20", 10_000_000, 10_010_000))
    assert len(recs) == stats["records"] > 50
    assert set(recs[0].format.keys()) == {"GT", "GQ", "DP", "AD", "VAF", "PL"}
    assert all(r.filter.keys()[0] in ("PASS", "RefCall", "LowQual") for r in recs)
    if shutil.which("bcftools"):
        n = subprocess.run(["bcftools", "view", "-H", str(out)], capture_output=True, text=True, check=True)
        assert len(n.stdout.splitlines()) == len(recs)


def test_region_without_reads_is_refused_before_any_output(demo, model, tmp_path):
    out = tmp_path / "empty.vcf.gz"
    with pytest.raises(GenotorchError, match=r"has no mapped read in --regions chr20:1-5000"):
        call_variants(str(demo.ref), str(demo.bam), str(model.last_checkpoint), str(out), ["chr20:1-5000"])
    assert list(tmp_path.iterdir()) == []
    # a region list where only one region has reads is called as usual
    stats = call_variants(str(demo.ref), str(demo.bam), str(model.last_checkpoint), str(out),
                          ["chr20:1-5000", "chr20:10000001-10001000"])
    assert stats["candidates"] > 0 and out.exists()


def test_evaluate_truth_against_itself(demo):
    r = evaluate(str(demo.truth), str(demo.truth), str(demo.confident), str(demo.ref))
    assert (r["SNP"]["tp"], r["SNP"]["fp"], r["SNP"]["fn"]) == (45, 0, 0)
    assert (r["INDEL"]["tp"], r["INDEL"]["fp"], r["INDEL"]["fn"]) == (4, 0, 0)


def test_cram_gives_the_same_examples_as_bam(demo, shared, tmp_path):
    cram = shared / "variants/hg001_illumina_grch37/NA12878_S1.chr20.10_10p1mb.cram"
    a = make_examples(Inputs(str(demo.ref), str(demo.bam)), tmp_path / "bam.h5", SMALL, ["chr20:10000001-10005000"])
    b = make_examples(Inputs(str(demo.ref), str(cram)), tmp_path / "cram.h5", SMALL, ["chr20:10000001-10005000"])
    assert a["n_examples"] == b["n_examples"] > 0
    with h5py.File(tmp_path / "bam.h5") as ha, h5py.File(tmp_path / "cram.h5") as hb:
        assert np.array_equal(ha["pileups"][:], hb["pileups"][:])


def test_call_from_examples_warns_when_they_were_drawn_otherwise(demo, tmp_path):
    from typer.testing import CliRunner

    from genotorch.cli.main import app
    from genotorch.variants.make_examples import MakeExamplesConfig, config_differences

    runner = CliRunner()

    new = MakeExamplesConfig().to_dict()
    old = MakeExamplesConfig().to_dict()
    del old["pileup"]["spanning_indel_reads"]  # saved before the setting existed: its old behaviour (off)
    old["realign"]["enabled"] = False
    old["chunk_bp"] = 5_000  # where chunks are cut changes no pileup setting
    assert config_differences(old, new) == ["pileup.spanning_indel_reads (examples: False, model: True)",
                                            "realign.enabled (examples: False, model: True)"]
    outputs = {}
    for flag in ("--all-indel-reads", "--spanning-indel-reads"):
        ex = tmp_path / f"{flag[2:]}.h5"
        r = runner.invoke(app, ["make-examples", "--ref", str(demo.ref), "--reads", str(demo.bam), "--regions",
                                "chr20:10000001-10005000", flag, "-o", str(ex)])
        assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["call", "--ref", str(demo.ref), "--examples", str(ex), "-o",
                                str(tmp_path / f"{flag[2:]}.vcf.gz")])
        assert r.exit_code == 0, r.output
        outputs[flag] = r.output
    assert "pileup.spanning_indel_reads (examples: False, model: True)" in outputs["--all-indel-reads"]
    assert "warning" not in outputs["--spanning-indel-reads"]
    # the repeat-length zygosity step needs reads: said, and not claimed in the header
    assert "`call --examples` leaves them as the network calls them" in outputs["--spanning-indel-reads"]
    import pysam

    with pysam.VariantFile(str(tmp_path / "spanning-indel-reads.vcf.gz")) as vf:
        assert "genotorch_repeat_zygosity" not in str(vf.header)
        assert "##genotorch_allele_balance=" in str(vf.header)  # needs only the records' AD: applied and claimed
