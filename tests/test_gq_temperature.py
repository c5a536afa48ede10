"""The GQ temperature fit (scripts/fit_gq_temperature.py): the per-record loss, and the loss of a held-out real
HG002 region's call records under its leave-one-region-out model at two temperatures."""

import importlib.util
import math
from pathlib import Path

import numpy as np

from genotorch.variants.make_examples import Inputs, MakeExamplesConfig, make_examples

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("fit_gq_temperature", ROOT / "scripts" / "fit_gq_temperature.py")
fit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fit)


def test_gq_log_loss_is_the_claim_of_the_gq():
    assert math.isclose(fit.gq_log_loss(20, True), math.log(100))  # claimed P(wrong) 0.01, and it was wrong
    assert math.isclose(fit.gq_log_loss(20, False), -math.log(0.99))
    assert math.isclose(fit.gq_log_loss(0, True), -math.log(0.99))  # clipped: GQ 0 claims 0.99, not 1
    assert math.isclose(fit.gq_log_loss(99, True), math.log(1e6))  # clipped at 1e-6


def test_record_loss_on_a_held_out_region_prefers_the_record_level_temperature(shared, tmp_path):
    h = shared / "variants/hg002_illumina_hiseqx_grch37"
    ex = tmp_path / "r36.h5"
    make_examples(Inputs(str(h / "GRCh37_chr20_vardict_slices.fa.gz"), str(h / "NA24385_chr_20_36018823_36039513.bam")),
                  ex, MakeExamplesConfig(), ["20:36018823-36039513"])
    losses = fit.record_losses(ROOT / "benchmarks/models/loro_r36.01.pt", [ex], grid=np.array([1.2, 2.08]))
    # its records' GQs at the example-level temperature (2.08) cost 2.3x the loss at the fitted one (1.2)
    assert np.round(losses, 4).tolist() == [0.92, 2.1396]
