"""score-variants: real SNPs and indels of the NIST slice scored by a sequence model; the scores equal `predict`
on the two windows by hand; a REF mismatch gets a FILTER, a VCF of another build an error."""

import csv
import shutil
import subprocess

import pysam
import pytest
from typer.testing import CliRunner

from genotorch.cli.main import app
from genotorch.io.reference import Reference
from genotorch.predict.variant_effects import windows_for

runner = CliRunner()


def test_windows_keep_the_left_flank_and_shift_downstream(tmp_path):
    fa = tmp_path / "r.fa"
    fa.write_text(">c\nAAAACCCCGGGGTTTT\n")
    pysam.faidx(str(fa))
    ref = Reference(fa)
    assert windows_for(ref, "c", 6, "C", "T", 6) == ("ACCCCG", "ACCTCG")  # the SNV at column 3
    assert windows_for(ref, "c", 6, "CCG", "C", 6) == ("ACCCCG", "ACCCGG")  # deletion: downstream pulled in
    assert windows_for(ref, "c", 6, "C", "CTTTTT", 6) == ("ACCCCG", "ACCCTT")  # insertion: cut at the length
    assert windows_for(ref, "c", 1, "A", "G", 6) == ("NNAAAA", "NNAGAA")  # before the contig start: N


def test_score_variants_on_real_snps_equals_predict_by_hand(demo, seq_model, tmp_path):
    out, tsv = tmp_path / "scored.vcf.gz", tmp_path / "scored.tsv"
    r = runner.invoke(app, ["score-variants", "--vcf", str(demo.truth), "--ref", str(demo.ref), "--model",
                            str(seq_model), "-o", str(out), "--tsv", str(tsv)])
    assert r.exit_code == 0, r.output
    with pysam.VariantFile(str(out)) as vf:
        recs = list(vf)
    with pysam.VariantFile(str(demo.truth)) as vf:
        assert len(recs) == len(list(vf))
    if shutil.which("bcftools"):
        assert subprocess.run(["bcftools", "view", "-H", str(out)], capture_output=True).returncode == 0
    first = recs[0]
    assert {"REFP_1", "ALTP_1", "SAD_1", "LOG2R_1"} <= set(first.info.keys())
    # by hand: the two windows through `predict --rc-average`
    ref = Reference(demo.ref)
    contig = "chr20" if first.contig in ("20", "chr20") else first.contig
    w_ref, w_alt = windows_for(ref, contig, first.start, first.ref, first.alts[0], 30)
    (tmp_path / "w.fa").write_text(f">ref\n{w_ref}\n>alt\n{w_alt}\n")
    r = runner.invoke(app, ["predict", str(tmp_path / "w.fa"), "--model", str(seq_model), "-o",
                            str(tmp_path / "p.tsv"), "--rc-average"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(open(tmp_path / "p.tsv"), delimiter="\t"))
    p_ref, p_alt = float(rows[0]["p_1"]), float(rows[1]["p_1"])
    assert first.info["REFP_1"] == pytest.approx(p_ref, abs=1e-6)
    assert first.info["ALTP_1"][0] == pytest.approx(p_alt, abs=1e-6)
    assert first.info["SAD_1"][0] == pytest.approx(p_alt - p_ref, abs=2e-6)
    table = list(csv.DictReader(open(tsv), delimiter="\t"))
    assert len(table) == sum(len(r.alts) for r in recs) and table[0]["sad_1"] == f"{p_alt - p_ref:.6f}"


def test_ref_mismatch_is_filtered_and_another_build_refused(demo, seq_model, tmp_path):
    good = [r for r in pysam.VariantFile(str(demo.truth))][:6]
    header = pysam.VariantFile(str(demo.truth)).header
    plain = tmp_path / "one_bad.vcf"
    with pysam.VariantFile(str(plain), "w", header=header) as out:
        for k, rec in enumerate(good):
            if k == 2:
                rec.ref = {"A": "C", "C": "G", "G": "T", "T": "A"}[rec.ref[0]] + rec.ref[1:]
            out.write(rec)
    out = tmp_path / "s.vcf.gz"
    r = runner.invoke(app, ["score-variants", "--vcf", str(plain), "--ref", str(demo.ref), "--model", str(seq_model),
                            "-o", str(out)])
    assert r.exit_code == 0 and "1 RefMismatch" in r.output, r.output
    recs = list(pysam.VariantFile(str(out)))
    assert list(recs[2].filter.keys()) == ["RefMismatch"] and "SAD_1" not in recs[2].info
    assert all("SAD_1" in rec.info for k, rec in enumerate(recs) if k != 2)
    wrong = tmp_path / "wrong_build.vcf"
    with pysam.VariantFile(str(wrong), "w", header=header) as o:
        for rec in list(pysam.VariantFile(str(demo.truth)))[:6]:
            rec.ref = {"A": "C", "C": "G", "G": "T", "T": "A"}[rec.ref[0]] + rec.ref[1:]  # every REF off the FASTA
            o.write(rec)
    r = runner.invoke(app, ["score-variants", "--vcf", str(wrong), "--ref", str(demo.ref), "--model", str(seq_model),
                            "-o", str(tmp_path / "w.vcf.gz")])
    assert r.exit_code == 2 and "another reference build" in r.output and not (tmp_path / "w.vcf.gz").exists()
