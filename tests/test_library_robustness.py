"""The robustness benchmark's NovaSeq-style base-quality binning (benchmarks/library_robustness.py), on a real
HG002 HiSeq X slice: every quality lands on its NovaSeq level and nothing else in the reads changes."""

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pysam

ROOT = Path(__file__).resolve().parents[1]


def _benchmark():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("library_robustness", ROOT / "benchmarks/library_robustness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_novaseq_table_bounds():
    table = _benchmark().novaseq_quality_table()
    assert [table[q] for q in (0, 2, 3, 14, 15, 29, 30, 41, 93)] == [2, 2, 11, 11, 25, 25, 37, 37, 37]


def test_binned_copy_of_real_reads(shared, tmp_path):
    bam = shared / "variants/hg002_illumina_hiseqx_grch37/NA24385_chr_20_36018823_36039513.bam"
    out = _benchmark().bin_qualities(bam, tmp_path / "binned.bam")
    assert out.exists() and Path(str(out) + ".bai").exists() and not out.with_suffix(".partial.bam").exists()
    levels, before = Counter(), Counter()
    with pysam.AlignmentFile(str(bam)) as a, pysam.AlignmentFile(str(out)) as b:
        n = 0
        for x, y in zip(a, b):
            assert (x.query_name, x.flag, x.reference_start, x.cigarstring, x.query_sequence) == \
                   (y.query_name, y.flag, y.reference_start, y.cigarstring, y.query_sequence)
            if n < 2000:
                levels.update(y.query_qualities)
                before.update(x.query_qualities)
            n += 1
    assert n == 10146
    # HiSeq X's 8 levels (2, 7, 11, 22, 27, 32, 37, 42) -> NovaSeq's 4
    assert sorted(before) == [2, 7, 11, 22, 27, 32, 37, 42]
    assert dict(levels) == {2: 1, 11: before[7] + before[11], 25: before[22] + before[27],
                            37: before[32] + before[37] + before[42]}
    assert dict(levels) == {2: 1, 11: 14125, 25: 15431, 37: 237863}
