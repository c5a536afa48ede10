from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
SHARED = ROOT.parent / "shared" / "data"


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


@pytest.fixture(scope="session")
def seq_model(tmp_path_factory):
    """A few steps of a small sequence CNN on 60 random 30-bp sequences (checkpoint path)."""
    import numpy as np

    from genotorch.config import load_train_config
    from genotorch.train.run import train

    d = tmp_path_factory.mktemp("seqmodel")
    rng = np.random.default_rng(0)
    rows = "".join(f"{''.join(rng.choice(list('ACGT'), 30))},{i % 2}\n" for i in range(60))
    (d / "train.csv").write_text("sequence,label\n" + rows)
    (d / "s.yaml").write_text(f"task: sequence\noutput_dir: {d / 'run'}\ndata: {{train: [{d / 'train.csv'}], "
                              "batch_size: 16}\nmodel: {name: small_cnn, params: {filters: 8}}\n"
                              "trainer: {max_epochs: 1, early_stopping_patience: 0}\n")
    return train(load_train_config(d / "s.yaml"), progress_bar=False).last_checkpoint


@pytest.fixture(scope="session")
def image_model(tmp_path_factory):
    """A few steps of a tiny image CNN on 12 drawn charts (checkpoint path)."""
    from builders import write_chart

    from genotorch.config import load_train_config
    from genotorch.train.run import train

    d = tmp_path_factory.mktemp("imagemodel")
    for i in range(6):
        write_chart(d / "charts" / "flat" / f"f{i}.png", "flat", seed=i)
        write_chart(d / "charts" / "step" / f"s{i}.png", "step", seed=i)
    (d / "i.yaml").write_text(f"task: image\noutput_dir: {d / 'run'}\ndata: {{root: {d / 'charts'}, image_size: "
                              "[32, 48], batch_size: 4, val_fraction: 0.2, test_fraction: 0.2}\n"
                              "model: {name: resnet18, params: {width: 0.125}}\n"
                              "trainer: {max_epochs: 1, early_stopping_patience: 0}\n")
    return train(load_train_config(d / "i.yaml"), progress_bar=False).last_checkpoint
