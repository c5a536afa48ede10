"""Basset-style peaks -> HDF5, multi-label training, and the other sequence inputs (BED + reference, FASTA +
labels, task columns, random windows), on the demo reference slice (chr20:10.0-10.1 Mb of hg19)."""

import csv

import h5py
import numpy as np
import pytest
import torch

from genotorch.config import load_train_config
from genotorch.data.peaks import merge_peaks, peak_centres
from genotorch.errors import GenotorchError
from genotorch.io.intervals import Interval
from genotorch.io.reference import Reference

from builders import write_csv

LENGTHS = {"20": 200_000}


def test_merge_peaks_exact():
    centres = {"A": [("20", 1000), ("20", 1300), ("20", 100)], "B": [("20", 1200), ("20", 5000)]}
    mp = merge_peaks(centres, 600, LENGTHS)
    # 1000, 1200, 1300 chain into one peak centred on their mean 1166; 100 runs off the contig start
    assert mp.intervals == [Interval("20", 866, 1466), Interval("20", 4700, 5300)]
    assert mp.activity.tolist() == [[1, 1], [0, 1]] and mp.targets == ["A", "B"]
    assert mp.dropped_at_contig_ends == 1
    # 600 bp apart: extended peaks [700, 1300) and [1300, 1900) touch but do not overlap
    assert len(merge_peaks({"A": [("20", 1000), ("20", 1600)]}, 600, LENGTHS).intervals) == 2


def test_narrowpeak_summit_and_bed_midpoint(tmp_path):
    p = tmp_path / "a.narrowPeak"
    p.write_text("chr20\t1000\t1400\tp1\t0\t.\t5\t5\t5\t50\nchr20\t2000\t2400\tp2\t0\t.\t5\t5\t5\t-1\n")
    assert peak_centres(p, LENGTHS) == [("20", 1050), ("20", 2200)]  # chr20 matched to 20


def write_peaks(tmp_path, demo):
    rng = np.random.default_rng(0)
    beds = {}
    for name, n in (("cellA", 40), ("cellB", 30)):
        starts = np.sort(rng.integers(10_000_500, 10_099_000, n))
        p = tmp_path / f"{name}.bed"
        p.write_text("".join(f"chr20\t{s}\t{s + 200}\n" for s in starts))
        beds[name] = p
    return beds


def test_peaks_to_hdf5_and_multilabel_training(tmp_path, demo):
    from typer.testing import CliRunner

    from genotorch.cli.main import app
    from genotorch.train.run import train

    beds = write_peaks(tmp_path, demo)
    out = tmp_path / "peaks.h5"
    r = CliRunner().invoke(app, ["peaks-to-hdf5", *map(str, beds.values()), "--ref", str(demo.ref), "-o", str(out),
                                 "--length", "300", "--valid", "0.2", "--test", "0.2", "--seed", "1"])
    assert r.exit_code == 0, r.output
    ref = Reference(demo.ref)
    table = list(csv.DictReader(open(str(out) + ".activity.tsv"), delimiter="\t"))
    with h5py.File(out) as f:
        assert [t.decode() for t in f["target_labels"][:]] == ["cellA", "cellB"]
        n = {s: len(f[f"{s}_in"]) for s in ("train", "valid", "test")}
        assert sum(n.values()) == len(table) and f["train_in"].shape[1:] == (4, 300)
        assert f["train_in"].dtype == np.uint8 and f["train_out"].shape == (n["train"], 2)
        # the first training peak's one-hot is the reference there, its activity the table's row
        head = f["train_headers"][0].decode()
        contig, span = head.split(":")
        start, end = (int(v) for v in span.split("-"))
        seq = ref.fetch(contig, start - 1, end)
        x = f["train_in"][0]
        assert "".join("ACGT"[i] if x[:, j].any() else "N" for j, i in enumerate(x.argmax(0))) == seq
        row = next(t for t in table if (t["contig"], int(t["start"]) + 1, int(t["end"])) == (contig, start, end))
        assert f["train_out"][0].tolist() == [int(row["cellA"]), int(row["cellB"])] and row["split"] == "train"
    assert n["valid"] == round(len(table) * 0.2) and not list(tmp_path.glob(".*tmp*"))
    # all 70 peaks are active somewhere; merged peaks carry both targets where they overlap
    assert sum(int(t["cellA"]) for t in table) <= 40 and all(int(t["cellA"]) + int(t["cellB"]) >= 1 for t in table)

    cfg = tmp_path / "m.yaml"
    cfg.write_text(f"""task: sequence
seed: 0
output_dir: {tmp_path / 'run'}
data: {{train: [{out}], batch_size: 16, rc_augment: true, balance: class_weights}}
model: {{name: basset, params: {{filters: [16, 16, 16], hidden: [32]}}}}
trainer: {{max_epochs: 1, val_every_n_steps: 100, limit_val_batches: 2}}
""")
    res = train(load_train_config(cfg), progress_bar=False)
    assert res.test["multilabel"] and set(res.test["per_target"]) == {"cellA", "cellB"}
    assert res.test["per_target"]["cellA"]["n"] == n["test"] and (tmp_path / "run" / "roc_pr.png").exists()


def test_multilabel_loss_ignores_unknown_labels():
    from genotorch.train.module import Classifier

    meta = {"config": {"model": {"name": "small_cnn", "params": {"filters": 4}}},
            "example_info": {"kind": "sequence", "shape": [4, 10], "channels": list("ACGT"), "multilabel": True},
            "classes": ["t1", "t2"]}
    m = Classifier(meta)
    logits = torch.tensor([[2.0, -5.0], [0.5, 9.0]])
    y = torch.tensor([[1.0, -1.0], [0.0, -1.0]])
    expect = (torch.nn.functional.softplus(torch.tensor(-2.0)) + torch.nn.functional.softplus(torch.tensor(0.5))) / 2
    assert torch.isclose(m._loss(logits, y), expect)


def test_task_column_makes_a_multilabel_set(tmp_path):
    from genotorch.data.sequences import SequenceDataModule

    p = tmp_path / "all.csv"
    p.write_text("sequence,label,task\nACGTACGT,1,tf1\nTTTTACGT,0,tf2\nGGGGACGT,0,tf1\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"task: sequence\ndata: {{train: [{p}], val_fraction: 0, test_fraction: 0}}\n")
    dm = SequenceDataModule(load_train_config(cfg).data, 0, log=lambda s: None)
    assert dm.classes == ["tf1", "tf2"] and dm.info["multilabel"]
    assert dm.train_set.labels.tolist() == [[1, -1], [-1, 0], [0, -1]]
    p.write_text("sequence,label,task\nACGTACGT,2,tf1\nTTTTACGT,0,tf2\n")
    with pytest.raises(GenotorchError, match="labels 0 or 1"):
        SequenceDataModule(load_train_config(cfg).data, 0, log=lambda s: None)


def test_bed_and_fasta_inputs(tmp_path, demo):
    from genotorch.data.sequences import read_labelled

    bed = tmp_path / "sites.bed"
    bed.write_text("chr20\t10001000\t10001010\tpromoter\nchr20\t10002000\t10002001\tother\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"task: sequence\ndata: {{train: [{bed}], reference: {demo.ref}, sequence_length: 20}}\n")
    data = load_train_config(cfg).data
    t = read_labelled(bed, data)
    ref = Reference(demo.ref)
    assert t.labels == ["promoter", "other"] and t.ids == ["chr20:10000996-10001015", "chr20:10001991-10002010"]
    assert t.sequences == [ref.fetch("chr20", 10000995, 10001015), ref.fetch("chr20", 10001990, 10002010)]
    cfg.write_text(f"task: sequence\ndata: {{train: [{bed}]}}\n")
    with pytest.raises(GenotorchError, match="need data.reference"):
        read_labelled(bed, load_train_config(cfg).data)

    fa = tmp_path / "s.fa"
    fa.write_text(">s1 plasmid\nACGTAC\nGT\n>s2\nTTTT\n")
    labels = write_csv(tmp_path / "l.csv", [])
    labels.write_text("id,label\ns1,plasmid\ns2,chromosome\n")
    cfg.write_text(f"task: sequence\ndata: {{train: [{fa}], labels: {labels}}}\n")
    t = read_labelled(fa, load_train_config(cfg).data)
    assert t.sequences == ["ACGTACGT", "TTTT"] and t.labels == ["plasmid", "chromosome"] and t.ids == ["s1", "s2"]
    labels.write_text("id,label\ns1,plasmid\n")
    with pytest.raises(GenotorchError, match="no label for 1 sequences .* s2"):
        read_labelled(fa, load_train_config(cfg).data)


def test_random_windows_of_long_sequences(tmp_path):
    from genotorch.data.sequences import SequenceDataModule
    from genotorch.encode.onehot import one_hot

    long = "".join(np.random.default_rng(3).choice(list("ACGT"), 30))
    p = write_csv(tmp_path / "t.csv", [(long, 1), ("ACGTAC", 0)])
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"task: sequence\ndata: {{train: [{p}], val: [{p}], sequence_length: 10, test_fraction: 0}}\n")
    dm = SequenceDataModule(load_train_config(cfg).data, 0, log=lambda s: None)
    torch.manual_seed(0)
    seen = {tuple(dm.train_set[0][0].flatten().tolist()) for _ in range(400)}
    windows = {tuple(one_hot([long[s:s + 10]])[0].flatten()) for s in range(21)}
    assert seen == windows  # every start 0..20, nothing else
    assert dm.train_set[1][0].shape == (4, 10) and dm.val_set.inputs.shape == (2, 4, 10)
    assert torch.equal(dm.val_set.inputs[0], torch.from_numpy(one_hot([long[10:20]])[0]))  # centre window
