"""Bad input: one clear line naming the file and the fix, exit status 2, nothing half-written."""

import shutil

import pysam
from builders import write_fasta
from typer.testing import CliRunner

from genotorch.cli.main import app

runner = CliRunner()


def run(*args):
    res = runner.invoke(app, [str(a) for a in args])
    return res.exit_code, " ".join(res.output.split())


def make_examples_args(demo, out, **kw):
    args = {"--ref": demo.ref, "--reads": demo.bam, "--regions": "chr20:10000001-10002000", "-o": out}
    args.update(kw)
    return ["make-examples"] + [x for kv in args.items() for x in kv]


def assert_nothing_written(folder):
    assert [p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix in (".h5", ".gz", ".json")] == []


def test_bam_without_index(demo, tmp_path):
    bam = tmp_path / "noindex.bam"
    shutil.copy(demo.bam, bam)
    out = tmp_path / "out"
    out.mkdir()
    code, msg = run(*make_examples_args(demo, out / "x.h5", **{"--reads": bam}))
    assert code == 2 and "has no index" in msg and f"samtools index {bam}" in msg
    assert_nothing_written(out)


def test_truncated_bam(demo, tmp_path):
    bam = tmp_path / "cut.bam"
    bam.write_bytes(demo.bam.read_bytes()[:1_000_000])
    shutil.copy(str(demo.bam) + ".bai", str(bam) + ".bai")
    code, msg = run(*make_examples_args(demo, tmp_path / "x.h5", **{"--reads": bam}))
    assert code == 2 and "truncated" in msg and str(bam) in msg
    assert not (tmp_path / "x.h5").exists()


def test_reads_and_reference_contigs_differ(demo, tmp_path):
    wrong_length = write_fasta(tmp_path / "short.fa", {"chr20": "ACGT" * 500})
    code, msg = run(*make_examples_args(demo, tmp_path / "x.h5", **{"--ref": wrong_length}))
    assert code == 2 and "2,000 bp" in msg and "--ref" in msg
    other = write_fasta(tmp_path / "other.fa", {"chrZ": "ACGT" * 500})
    code, msg = run(*make_examples_args(demo, tmp_path / "y.h5", **{"--ref": other}))
    assert code == 2 and "no contig" in msg
    assert not (tmp_path / "x.h5").exists() and not (tmp_path / "y.h5").exists()


def test_region_outside_contig(demo, tmp_path):
    code, msg = run(*make_examples_args(demo, tmp_path / "x.h5", **{"--regions": "chr20:70000000-70001000"}))
    assert code == 2 and "63,025,520 bp long" in msg and "--regions" in msg
    assert not (tmp_path / "x.h5").exists()


def test_truth_vcf_from_another_build(demo, tmp_path):
    bad = tmp_path / "truth_other_build.vcf.gz"
    with pysam.VariantFile(str(demo.truth)) as src:
        header = src.header.copy()
        with pysam.VariantFile(str(tmp_path / "t.vcf"), "w", header=header) as dst:
            for rec in src:
                rec.ref = {"A": "C", "C": "G", "G": "T", "T": "A"}[rec.ref[0]] + rec.ref[1:]
                dst.write(rec)
    pysam.tabix_compress(str(tmp_path / "t.vcf"), str(bad))
    pysam.tabix_index(str(bad), preset="vcf")
    code, msg = run(*make_examples_args(demo, tmp_path / "x.h5", **{"--truth": bad, "--confident": demo.confident}))
    assert code == 2 and "another reference build" in msg and "--truth" in msg
    assert not (tmp_path / "x.h5").exists()


def test_model_channels_do_not_match_examples(demo, tmp_path, model):
    ex = tmp_path / "six.h5"
    code, _ = run(*make_examples_args(demo, ex, **{"--channels": "read_base,base_quality,mapping_quality,strand,"
                                                                  "read_supports_variant,base_differs_from_ref"}))
    assert code == 0
    out = tmp_path / "calls.vcf.gz"
    code, msg = run("call", "--ref", demo.ref, "--examples", ex, "--model", model.last_checkpoint, "-o", out)
    assert code == 2 and "insert_size" in msg and "expects" in msg
    assert not out.exists()


def test_missing_or_foreign_checkpoint(demo, tmp_path):
    fake = tmp_path / "not_a_model.ckpt"
    fake.write_bytes(b"hello")
    for ckpt in (tmp_path / "missing.ckpt", fake):
        code, msg = run("call", "--ref", demo.ref, "--reads", demo.bam, "--model", ckpt, "-o", tmp_path / "c.vcf.gz")
        assert code == 2 and "--model" in msg
    assert not (tmp_path / "c.vcf.gz").exists()


def test_unknown_config_key(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("trainer:\n  patience: 3\n")
    code, msg = run("train", cfg)
    assert code == 2 and "trainer.patience" in msg


def test_help_states_the_contig_rule():
    code, msg = run("make-examples", "--help")
    assert code == 0 and "chr' prefix" in msg

