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


@pytest.fixture(scope="session")
def train_examples(demo, tmp_path_factory):
    """Labelled examples from the demo's training window (chr20:10,010,532-10,040,000)."""
    from builders import SMALL

    from genotorch.variants.make_examples import Inputs, make_examples

    out = tmp_path_factory.mktemp("ex") / "train.h5"
    make_examples(Inputs(str(demo.ref), str(demo.bam), str(demo.truth), str(demo.train_bed)), out, SMALL,
                  ["chr20:10010532-10040000"])
    return out


@pytest.fixture(scope="session")
def model(train_examples, tmp_path_factory):
    """A 3-step training run on ``train_examples`` (its TrainResult: checkpoints, step, score)."""
    from builders import tiny_config

    from genotorch.train.run import train

    return train(tiny_config(tmp_path_factory.mktemp("run"), train_examples), progress_bar=False)
