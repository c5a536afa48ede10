"""Per-base attributions of a one-hot sequence model, through tangermeme (Schreiber, github.com/jmschrei/tangermeme):

* ``ism``: in-silico saturation mutagenesis (``tangermeme.saturation_mutagenesis``): every single-base substitution
  is predicted; the change in the target's output (mutant minus original), centred over the four bases at each
  position and projected on the observed base. So a base whose change lowers the output gets a positive value.
* ``deep_lift_shap``: DeepLIFT/SHAP against 20 dinucleotide-shuffled references (``tangermeme.deep_lift_shap``,
  Lundberg & Lee 2017; Shrikumar et al. 2017), projected on the observed base. Operations without a DeepLIFT rule
  in tangermeme (max pooling among them) are treated as linear; when that breaks its convergence check, a
  warning says so (ISM has no such caveat).

The target is one class (softmax models) or target (multi-label models), scored on the model's output before
the softmax/sigmoid (the logit, divided by the checkpoint's calibration temperature when it has one).
Sequences are one-hot ``(N, 4, L)`` (A, C, G, T; ``L`` the model's length): longer ones are cut to their centre
``L`` bases, shorter ones right-padded with all-zero columns (as ``predict`` pads). Attributions have the same
shape, float32; columns of padding and N bases are 0.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from genotorch.encode.onehot import one_hot
from genotorch.errors import GenotorchError

logger = logging.getLogger(__name__)
METHODS = ("ism", "deep_lift_shap")


def first_conv(model: torch.nn.Module) -> torch.nn.Conv1d:
    """The first ``Conv1d`` reading the 4 one-hot channels. Raises GenotorchError for a model without one."""
    for m in model.modules():
        if isinstance(m, torch.nn.Conv1d) and m.in_channels == 4:
            return m
    raise GenotorchError("the model has no first-layer convolution over one-hot bases (a k-mer BERT reads tokens): "
                         "attribute and motifs need a one-hot CNN (basset, small_cnn, dilated_cnn)")


def centre_windows(seqs: list[str], length: int) -> list[str]:
    """Each sequence cut to its centre ``length`` bases (shorter ones unchanged)."""
    out = []
    for s in seqs:
        start = max(0, (len(s) - length) // 2)
        out.append(s[start:start + length])
    return out


def attribute(model: torch.nn.Module, length: int, seqs: list[str], target: int, method: str = "ism",
              batch_size: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(attributions ``(N, 4, L)`` float32, one-hot inputs ``(N, 4, L)`` float32) of ``seqs`` for output ``target``
    (see the module docstring).

    Raises
    ------
    GenotorchError
        An unknown method, a model that does not read one-hot bases, or a target outside the model's outputs.
    """
    if method not in METHODS:
        raise GenotorchError(f"--method {method}: choose one of {', '.join(METHODS)}")
    first_conv(model)  # a model of one-hot bases (not a k-mer BERT, which reads tokens)
    x = torch.as_tensor(one_hot(centre_windows(seqs, length), length), dtype=torch.float32)
    with torch.no_grad():
        n_out = model(x[:1]).shape[1]
    if not 0 <= target < n_out:
        raise GenotorchError(f"--target {target}: the model has outputs 0..{n_out - 1}")
    model = model.eval()
    if method == "ism":
        from tangermeme.saturation_mutagenesis import saturation_mutagenesis

        attr = saturation_mutagenesis(model, x, target=target, batch_size=batch_size, fast=False)
    else:
        import copy

        from tangermeme.deep_lift_shap import deep_lift_shap

        model = copy.deepcopy(model)
        for m in model.modules():  # DeepLIFT's backward hooks cannot see in-place activations
            if getattr(m, "inplace", False):
                m.inplace = False
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            attr = deep_lift_shap(model, x, target=target, batch_size=batch_size, random_state=seed)
        if any("Convergence deltas" in str(w.message) for w in caught):
            logger.warning("warning: deep_lift_shap did not converge (the model has operations without a DeepLIFT "
                           "rule, e.g. max pooling, treated as linear): its attributions are approximate; "
                           "--method ism is exact")
    return attr.detach().float().numpy(), x.numpy()


def draw_logos(attr: np.ndarray, ids: list[str], folder, first: int = 10) -> list:
    """Sequence logos (logomaker) of the first ``first`` attribution rows, one PNG each in ``folder``; returns the
    paths."""
    from pathlib import Path

    import logomaker
    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from genotorch.io.files import atomic_savefig

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(min(first, len(attr))):
        df = pd.DataFrame(attr[i].T, columns=list("ACGT"))
        fig, ax = plt.subplots(figsize=(max(4, attr.shape[2] / 12), 2))
        logomaker.Logo(df, ax=ax)
        ax.set_title(ids[i], fontsize=8)
        ax.set_xlabel("position")
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in ids[i])[:80] or f"seq{i}"
        p = folder / f"{i:04d}_{safe}.png"
        atomic_savefig(fig, p, "--logos")
        plt.close(fig)
        paths.append(p)
    return paths
