import pytest

from genotorch.config import TrainConfig, load_train_config
from genotorch.errors import GenotorchError
from genotorch.io.intervals import Interval, IntervalIndex, match_contig, parse_region, read_bed, shard_intervals

LENGTHS = {"chr20": 63_025_520}


def test_parse_region_is_one_based_closed():
    assert parse_region("chr20:10,000,001-10,100,000", LENGTHS) == Interval("chr20", 10_000_000, 10_100_000)
    assert parse_region("20:5-5", LENGTHS) == Interval("chr20", 4, 5)  # chr prefix matched
    assert parse_region("chr20", LENGTHS) == Interval("chr20", 0, 63_025_520)


@pytest.mark.parametrize("text,msg", [
    ("chr20:70000000-70000100", "is 63,025,520 bp long"),
    ("chr21:1-10", "not in the reference"),
    ("chr20:10-5", "start must be"),
    ("chr20:a-b", "not of the form"),
])
def test_parse_region_errors(text, msg):
    with pytest.raises(GenotorchError, match=msg):
        parse_region(text, LENGTHS)


def test_bed_merge_index_and_shards(tmp_path):
    bed = tmp_path / "a.bed"
    bed.write_text("track name=x\n20\t100\t200\n20\t150\t300\nchrUn\t1\t5\n")
    ivs = read_bed(bed, LENGTHS)
    assert ivs == [Interval("chr20", 100, 300)]
    idx = IntervalIndex(ivs)
    assert idx.contains("20", 100) and idx.contains("chr20", 290, 300) and not idx.contains("chr20", 290, 301)
    assert shard_intervals(ivs, 80) == [Interval("chr20", 100, 180), Interval("chr20", 180, 260),
                                        Interval("chr20", 260, 300)]
    assert match_contig("chrM", ["M", "1"]) == "M"


def test_train_config_rejects_unknown_and_bad_values(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("trainer:\n  max_epoch: 3\n")
    with pytest.raises(GenotorchError, match="unknown key.*trainer.max_epoch"):
        load_train_config(p)
    p.write_text("optimizer:\n  name: adamm\n")
    with pytest.raises(GenotorchError, match="optimizer.name"):
        load_train_config(p)
    p.write_text("data:\n  train: a.h5\n  batch_size: 8\ntrainer: {max_epochs: '4'}\n")
    cfg = load_train_config(p)
    a = str(p.parent / "a.h5")  # relative to the config file
    assert cfg.data.train == (a,) and cfg.data.batch_size == 8 and cfg.trainer.max_epochs == 4
    assert isinstance(cfg, TrainConfig) and cfg.to_dict()["data"]["train"] == [a]


def test_train_set_overrides(tmp_path):
    from typer.testing import CliRunner

    from genotorch.cli.main import app

    cfg = tmp_path / "c.yaml"
    cfg.write_text("task: pileup\ndata: {train: [nothing.h5]}\n")
    r = CliRunner().invoke(app, ["train", str(cfg), "--set", "optimizer.lr"])
    assert r.exit_code == 2 and "write KEY=VALUE" in r.output
    r = CliRunner().invoke(app, ["train", str(cfg), "--set", "optimizer.nope=1"])
    assert r.exit_code == 2 and "optimizer.nope" in r.output
    r = CliRunner().invoke(app, ["train", str(cfg), "--set", "data.train=[a.h5, b.h5]"])
    assert r.exit_code == 2 and "a.h5" in r.output  # the list override reached the data loader


def test_data_keys_are_typed_by_task(tmp_path):
    from genotorch.config import ImageDataConfig, PileupDataConfig, SequenceDataConfig

    p = tmp_path / "c.yaml"
    p.write_text("task: pileup\ndata: {train: [a.h5], root: charts}\n")
    with pytest.raises(GenotorchError, match=r"unknown key\(s\) data.root.*\(for task: pileup\)"):
        load_train_config(p)
    p.write_text("task: image\ndata: {root: charts, image_size: [64, 96], crop: [400, 700]}\n")
    cfg = load_train_config(p)
    assert isinstance(cfg.data, ImageDataConfig) and cfg.data.image_size == (64, 96) and cfg.data.crop == (400, 700)
    p.write_text("task: sequence\ndata: {train: [t.csv], classes: [a, b]}\n")
    cfg = load_train_config(p)
    assert isinstance(cfg.data, SequenceDataConfig) and cfg.data.classes == ("a", "b")
    assert isinstance(load_train_config(tmp_path / "c.yaml", {"task": "pileup", "data": {}}).data, PileupDataConfig)
