"""genotorch's pileup encoder against DeepVariant 1.9's own tensors for the same sites (../shared/data)."""

import pytest
from pileup_vs_deepvariant import agreement  # benchmarks/ is on the test path (pyproject.toml)


@pytest.mark.parametrize("which,total_min", [("training", 0.985), ("calling", 0.96)])
def test_pixels_agree_with_deepvariant(shared, which, total_min):
    r = agreement(shared.parent, which)
    assert r["total"] >= total_min
    # DeepVariant realigns reads before drawing; at sites with no indel nearby that matters little
    assert min(r["per_channel_clean"].values()) >= 0.96
    assert r["per_channel"]["read_base"] >= 0.98 and r["per_channel"]["base_differs_from_ref"] >= 0.98
