from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(Path(__file__).parent))


class Demo:
    ref = DEMO / "ucsc.hg19.chr20.unittest.fasta.gz"
    bam = DEMO / "NA12878_S1.chr20.10_10p1mb.bam"
    truth = DEMO / "test_nist.b37_chr20_100kbp_at_10mb.vcf.gz"
    confident = DEMO / "test_nist.b37_chr20_100kbp_at_10mb.bed"
    train_bed = DEMO / "train_window.bed"


@pytest.fixture(scope="session")
def demo():
    return Demo


@pytest.fixture(scope="session")
def shared():
    if not SHARED.exists():
        pytest.skip("../shared/data is not beside the repository")
    return SHARED
