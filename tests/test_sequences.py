"""Sequence tables and the leakage report, by hand and on the published GUE core-promoter splits."""

import pytest

from genotorch.data.sequences import leakage_report, read_sequence_table
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
