"""One-hot encoding and reverse complement, by hand and on real GUE promoter sequences."""

import csv

import numpy as np
import pytest

from genotorch.encode.onehot import one_hot, reverse_complement
from genotorch.errors import GenotorchError


def test_one_hot_by_hand():
    x = one_hot(["ACGTN", "acgtr", "GG"], length=6)
    assert x.shape == (3, 4, 6) and x.dtype == np.float32
    assert x[0, :, :4].tolist() == np.eye(4).tolist()  # A, C, G, T in channel order
    assert x[0, :, 4].sum() == 0 and x[1, :, 4].sum() == 0  # N and R: all-zero columns
    assert np.array_equal(x[0, :, :4], x[1, :, :4])  # lowercase = uppercase
    assert x[2, 2, :2].tolist() == [1, 1] and x[2, :, 2:].sum() == 0  # right padding is all zeros


def test_one_hot_errors():
    with pytest.raises(GenotorchError, match=r"'X' at position 3"):
        one_hot(["ACXT"])
    with pytest.raises(GenotorchError, match="longer than the model's 3 bp"):
        one_hot(["ACGT"], length=3)


def test_reverse_complement_iupac_and_round_trip(shared):
    assert reverse_complement("AACGTN") == "NACGTT"
    assert reverse_complement("RYKMBVDHswacgt") == "acgtwsDHBVKMRY"  # R<->Y K<->M B<->V D<->H, S/W self
    with open(shared / "sequences" / "gue_prom_core_all" / "dev.csv") as f:
        seqs = [r["sequence"] for r, _ in zip(csv.DictReader(f), range(200))]
    for s in seqs:
        assert reverse_complement(reverse_complement(s)) == s
    x, y = one_hot(seqs), one_hot([reverse_complement(s) for s in seqs])
    # the reverse complement's one-hot is the original flipped along both the base (A<->T, C<->G) and length axes
    assert np.array_equal(y, x[:, ::-1, ::-1]) and x.shape == (200, 4, 70)
    assert (x.sum(1) == 1).all()  # GUE promoters hold only A, C, G, T
