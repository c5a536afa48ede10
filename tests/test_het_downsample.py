"""data.het_downsample: het examples that lose alt-supporting reads to a low alt fraction (training only)."""

import torch

from genotorch.data.pileups import HET_DOWNSAMPLE_VAF, HetDownsampled, drop_alt_reads


def pileup(alt: int, other: int, height: int = 20, width: int = 5) -> torch.Tensor:
    """(2, height, width): channel 0 tells rows apart (row number), channel 1 is read_supports_variant; 2
    reference rows (152), then ``alt`` rows of 254, then ``other`` rows of 152, then empty rows."""
    x = torch.zeros((2, height, width), dtype=torch.uint8)
    x[0] = torch.arange(height, dtype=torch.uint8)[:, None]
    x[1, :2] = 152
    x[1, 2:2 + alt] = 254
    x[1, 2 + alt:2 + alt + other] = 152
    x[1, 2 + alt:2 + alt + other, 0] = 0  # a read that does not reach column 0 still counts
    x[0, 2 + alt + other:] = 0  # empty rows
    return x


def test_drop_alt_reads_reaches_the_target_fraction():
    x = pileup(alt=8, other=8)
    y = drop_alt_reads(x, 1, 2, 0.25, torch.Generator().manual_seed(0))
    support = y[1, 2:].amax(1)
    # 8 alt of 16 reads -> at most 0.25: drop 6 (2 of 10 = 0.2; dropping 5 leaves 3 of 11 = 0.27)
    assert int((support == 254).sum()) == 2 and int((support == 152).sum()) == 8
    assert torch.equal(y[:, :2], x[:, :2])  # the reference band stays
    kept = y[0, 2:12, 0].tolist()  # the surviving rows moved up, in their order; the freed rows are empty
    assert kept == sorted(kept) and set(range(10, 18)) <= set(kept) and y[:, 12:].sum() == 0
    assert len(set(kept) & set(range(2, 10))) == 2


def test_drop_alt_reads_keeps_two_alt_reads_and_leaves_low_fractions_alone():
    x = pileup(alt=3, other=12)
    assert drop_alt_reads(x, 1, 2, 0.3) is x  # already 3 of 15 = 0.2
    y = drop_alt_reads(pileup(alt=4, other=1), 1, 2, 0.15)
    assert int((y[1, 2:].amax(1) == 254).sum()) == 2


def test_het_downsampled_draws_are_seeded_and_only_touch_hets():
    base = [(pileup(alt=9, other=9), 1), (pileup(alt=18, other=0), 2), (pileup(alt=0, other=18), 0)]
    ds = HetDownsampled(base, ["x", "read_supports_variant"], 1.0, 2)
    a = ds.draw(0, torch.Generator().manual_seed(3))[0]
    b = ds.draw(0, torch.Generator().manual_seed(3))[0]
    assert torch.equal(a, b)
    support = a[1, 2:].amax(1)
    vaf = int((support == 254).sum()) / int((support > 0).sum())
    assert HET_DOWNSAMPLE_VAF[0] - 0.06 <= vaf <= HET_DOWNSAMPLE_VAF[1]
    assert torch.equal(ds.draw(1, torch.Generator().manual_seed(3))[0], base[1][0])  # hom-alt untouched
    assert torch.equal(ds.draw(2, torch.Generator().manual_seed(3))[0], base[2][0])  # hom-ref untouched
    assert torch.equal(HetDownsampled(base, ["x", "read_supports_variant"], 0.0, 2)
                       .draw(0, torch.Generator().manual_seed(3))[0], base[0][0])


def test_training_with_het_downsample_runs_and_records_it(train_examples, tmp_path):
    import dataclasses

    from builders import tiny_config

    from genotorch.data.pileups import PileupDataModule
    from genotorch.models.checkpoint import load_classifier
    from genotorch.train.run import train

    cfg = tiny_config(tmp_path / "run", train_examples)
    cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, het_downsample=0.5))
    dm = PileupDataModule(cfg.data, cfg.seed)
    assert isinstance(dm.train_set, HetDownsampled) and len(dm.train_set) == len(dm.train_labels)
    res = train(cfg, progress_bar=False)
    _, meta = load_classifier(res.last_checkpoint)
    assert meta["config"]["data"]["het_downsample"] == 0.5
