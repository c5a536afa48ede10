"""The Snakemake workflow (workflow/Snakefile): 4 shards merged equal one call, record for record, and a re-run
after a lost shard redoes only that shard."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from genotorch.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
GENOTORCH = Path(sys.executable).parent / "genotorch"
REGION = "chr20:10000001-10060000"  # three 20 kb chunks: shard 3/4 gets none and must still give a valid VCF

pytestmark = pytest.mark.skipif(not SNAKEMAKE.exists() or not shutil.which("bcftools"),
                                reason="needs snakemake (test extra) and bcftools")


def records(path):
    out = subprocess.run(["bcftools", "view", "-H", str(path)], capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def run_workflow(tmp_path, demo):
    cfg = {"ref": str(demo.ref), "samples": {"NA12878": str(demo.bam)}, "regions": [REGION], "shards": 4,
           "genotorch": str(GENOTORCH), "outdir": str(tmp_path / "out"),
           "truth": {"NA12878": {"vcf": str(demo.truth), "confident": str(demo.confident)}}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    return subprocess.run([str(SNAKEMAKE), "-s", str(ROOT / "workflow" / "Snakefile"), "--configfile",
                           str(tmp_path / "config.yaml"), "--cores", "2", "--directory", str(tmp_path)],
                          capture_output=True, text=True)


def test_sharded_workflow_equals_one_call_and_resumes_only_missing_shards(demo, tmp_path):
    r = run_workflow(tmp_path, demo)
    assert r.returncode == 0, r.stderr[-3000:]
    out = tmp_path / "out"
    shards = sorted((out / "NA12878" / "shards").glob("*-of-4.vcf.gz"))
    assert [p.name for p in shards] == [f"{i}-of-4.vcf.gz" for i in range(4)]
    assert records(shards[3]) == []  # no chunk in this shard: an empty, valid VCF
    single = tmp_path / "single.vcf.gz"
    res = CliRunner().invoke(app, ["call", "--ref", str(demo.ref), "--reads", str(demo.bam), "--regions", REGION,
                                   "-o", str(single)])
    assert res.exit_code == 0, res.output
    merged = records(out / "NA12878.vcf.gz")
    assert merged == records(single) and len(merged) == 172
    assert (out / "NA12878.eval.json").exists() and (out / "NA12878.vcf.gz.tbi").exists()

    kept = {p.name: p.stat().st_mtime_ns for p in shards if p.name != "1-of-4.vcf.gz"}
    # as if shard 1's job had been killed: its VCF never appeared (call writes atomically), nor the merge after it
    for p in (shards[1], Path(str(shards[1]) + ".tbi"), out / "NA12878.vcf.gz", out / "NA12878.vcf.gz.tbi",
              out / "NA12878.eval.json"):
        p.unlink()
    r = run_workflow(tmp_path, demo)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "call_shard" in r.stderr and r.stderr.count("rule call_shard:") == 1
    assert {p.name: p.stat().st_mtime_ns for p in shards if p.name != "1-of-4.vcf.gz"} == kept
    assert records(out / "NA12878.vcf.gz") == merged
