"""Sequence tables and the leakage report, by hand and on the published GUE core-promoter splits."""

import pytest

from genotorch.io.sequences import read_sequence_table
from genotorch.data.splits import leakage_report
from genotorch.errors import GenotorchError


def test_leakage_by_hand():
    rep = leakage_report({"train": ["AACG", "ttga", "AACG"], "test": ["aacg", "TCAA", "GGGG"]})
    assert rep["within"] == {"train": 1, "test": 0}
    assert rep["train->test"] == {"exact": 1, "reverse_complement": 1, "of": 3}  # TCAA = revcomp(TTGA)


def test_bad_tables(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("seq,label\nACGT,1\n")
    with pytest.raises(GenotorchError, match="needs 'sequence' and 'label' columns"):
        read_sequence_table(p)
    p.write_text("sequence\tlabel\nACGT\t1\n\t0\n")
    with pytest.raises(GenotorchError, match="line 3: empty sequence"):
        read_sequence_table(p)


def test_gue_prom_core_published_splits_leak(shared):
    d = shared / "sequences" / "gue_prom_core_all"
    tables = {k: read_sequence_table(d / f"{k}.csv") for k in ("train", "dev", "test")}
    assert [len(t.sequences) for t in tables.values()] == [47356, 5920, 5920]
    assert sorted(set(tables["test"].labels)) == ["0", "1"]
    rep = leakage_report({k: t.sequences for k, t in tables.items()})
    assert rep["train->test"] == {"exact": 43, "reverse_complement": 0, "of": 5920}
    assert rep["train->dev"]["exact"] == 54 and rep["dev->test"]["exact"] == 8
    assert rep["within"] == {"train": 148, "dev": 6, "test": 4}


def test_single_table_is_split_by_group_and_strand(tmp_path):
    """Only data.train given: test/val held out, stratified, and a sequence, its reverse complement and the rows of
    one group never straddle two splits."""
    import numpy as np

    from genotorch.config import load_train_config
    from genotorch.data.sequences import SequenceDataModule
    from genotorch.encode.onehot import reverse_complement

    rng = np.random.default_rng(0)
    rows = []
    for i in range(60):
        s = "".join(rng.choice(list("ACGT"), 20))
        rows.append((s, i % 2, f"src{i}"))
        rows.append((reverse_complement(s), i % 2, ""))  # the other strand: grouped by sequence, not by column
        rows.append(("".join(rng.choice(list("ACGT"), 20)), i % 2, f"src{i}"))  # another window of source i
    p = tmp_path / "all.csv"
    p.write_text("sequence,label,group\n" + "".join(f"{s},{lab},{g}\n" for s, lab, g in rows))
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"task: sequence\nseed: 3\ndata: {{train: [{p}], val_fraction: 0.2, test_fraction: 0.2}}\n")
    dm = SequenceDataModule(load_train_config(cfg).data, 3, log=lambda s: None)
    n = {k: len(v[0]) for k, v in dm.sets.items()}
    assert sum(n.values()) == 180 and 24 <= n["test"] <= 48 and 24 <= n["val"] <= 48
    assert all(v["exact"] == 0 and v["reverse_complement"] == 0 for k, v in dm.report.items() if k != "within")
    where = {}
    for split, (seqs, _) in dm.sets.items():
        for q in seqs:
            where.setdefault(min(q, reverse_complement(q)), set()).add(split)
    assert all(len(v) == 1 for v in where.values())
    for split, (_, y) in dm.sets.items():
        assert abs(y.mean() - 0.5) < 0.15  # stratified
    assert sum(len(v) for v in dm.split_groups.values()) == 60  # 60 sources, each whole in one split
