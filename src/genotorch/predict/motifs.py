"""Motifs from a trained sequence CNN, Basset's way (Kelley et al. 2016, Genome Res 26:990, ``basset_motifs.py``):
each first-layer convolution filter becomes a position probability matrix (PPM) from the sequence windows that
activate it, and every PPM is compared with JASPAR (pyjaspar's offline database, CORE vertebrates) by Tomtom
(memelite's implementation; Gupta et al. 2007, Genome Biol 8:R24).

* Activations of the first ``Conv1d`` over 4 input channels are recorded on the given sequences (one-hot, cut to
  the model's length as ``attribute`` does); a window of the filter's width counts as a site where the activation
  exceeds ``threshold`` (0.5) x that filter's largest activation over all sequences (Basset's rule).
* PPM = site base counts + 0.1 pseudocount, normalised per column, shape (4, width), rows A, C, G, T.
* Information content in bits = sum over columns of (2 + sum_b p log2 p).
* Tomtom p-values against every JASPAR motif (both strands); q-values by Benjamini-Hochberg over each filter's
  targets; the best match per filter is reported.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from genotorch.encode.onehot import one_hot
from genotorch.predict.attributions import centre_windows, first_conv

logger = logging.getLogger(__name__)


def filter_ppms(model: torch.nn.Module, length: int, seqs: list[str], threshold: float = 0.5,
                min_sites: int = 10) -> list[dict]:
    """One dict per first-layer filter: ``filter`` (index), ``sites`` (count), and, with at least ``min_sites``,
    ``ppm`` ((4, width) float64) and ``ic`` (bits)."""
    conv = first_conv(model)
    x = torch.as_tensor(one_hot(centre_windows(seqs, length), length), dtype=torch.float32)
    acts = []
    handle = conv.register_forward_hook(lambda m, i, o: acts.append(o.detach()))
    try:
        with torch.no_grad():
            for i in range(0, len(x), 256):
                model(x[i:i + 256])
    finally:
        handle.remove()
    a = torch.cat(acts).numpy()  # (N, F, L') activations
    width, pad = conv.kernel_size[0], conv.padding[0] if isinstance(conv.padding, tuple) else 0
    xp = np.pad(x.numpy(), ((0, 0), (0, 0), (pad, pad)))
    out = []
    for f in range(a.shape[1]):
        top = a[:, f].max()
        n_idx, pos = np.nonzero(a[:, f] > threshold * top) if top > 0 else (np.zeros(0, int), np.zeros(0, int))
        ok = pos + width <= xp.shape[2]
        n_idx, pos = n_idx[ok], pos[ok]
        row = {"filter": f, "sites": int(len(pos))}
        if len(pos) >= min_sites:
            counts = sum(xp[n, :, p:p + width] for n, p in zip(n_idx, pos)) + 0.1
            ppm = counts / counts.sum(axis=0, keepdims=True)
            row["ppm"] = ppm
            row["ic"] = float(column_bits(ppm).sum())
        out.append(row)
    return out


def column_bits(ppm: np.ndarray) -> np.ndarray:
    """Information content of each column of a DNA PPM (4, L), in bits: 2 + sum_b p log2 p; shape (L,)."""
    return 2 + (ppm * np.log2(ppm)).sum(axis=0)


def jaspar_ppms(collection: str = "CORE", tax_group: str = "vertebrates") -> tuple[list[str], list[str], list]:
    """(ids, names, PPMs (4, L)) of JASPAR's latest release in pyjaspar's offline database."""
    from pyjaspar import jaspardb

    motifs = jaspardb().fetch_motifs(collection=collection, tax_group=[tax_group])
    ids, names, ppms = [], [], []
    for m in motifs:
        c = np.array([m.counts[b] for b in "ACGT"], dtype=np.float64) + 0.1
        ids.append(m.matrix_id)
        names.append(m.name)
        ppms.append(c / c.sum(axis=0, keepdims=True))
    return ids, names, ppms


def match_jaspar(rows: list[dict]) -> list[dict]:
    """Add the best JASPAR match (``jaspar_id``, ``jaspar_name``, ``p``, ``q``) and the five best names to every
    row holding a PPM (Tomtom p-values, Benjamini-Hochberg q-values per filter)."""
    from memelite import tomtom

    with_ppm = [r for r in rows if "ppm" in r]
    if not with_ppm:
        return rows
    ids, names, targets = jaspar_ppms()
    p = np.asarray(tomtom([r["ppm"] for r in with_ppm], targets, n_jobs=1)[0], dtype=np.float64)
    for r, pv in zip(with_ppm, p):
        order = np.argsort(pv)
        ranked = pv[order] * len(pv) / np.arange(1, len(pv) + 1)
        q = np.minimum.accumulate(ranked[::-1])[::-1]
        best = order[0]
        r.update(jaspar_id=ids[best], jaspar_name=names[best], p=float(pv[best]), q=float(min(1.0, q[0])),
                 top5=[names[i] for i in order[:5]])
    return rows


def matches_by_motif(rows: list[dict], max_q: float = 0.05) -> list[dict]:
    """The JASPAR motifs that are some filter's best match at q <= ``max_q``, each once: ``jaspar_id``,
    ``jaspar_name``, ``q`` (the best), ``filters`` (their indices, best first) and ``consensus`` (of the best
    filter); sorted by q. Many filters of one model often match one motif, so this is the list of what it learned."""
    best: dict[str, dict] = {}
    for r in sorted((r for r in rows if "ppm" in r and r["q"] <= max_q), key=lambda r: r["q"]):
        m = best.setdefault(r["jaspar_id"], {"jaspar_id": r["jaspar_id"], "jaspar_name": r["jaspar_name"],
                                             "q": r["q"], "filters": [], "consensus": consensus(r["ppm"])})
        m["filters"].append(r["filter"])
    return sorted(best.values(), key=lambda m: m["q"])


def consensus(ppm: np.ndarray) -> str:
    """The most likely base per column (lower case where it holds under half of the column)."""
    out = []
    for col in ppm.T:
        b = "ACGT"[int(col.argmax())]
        out.append(b if col.max() >= 0.5 else b.lower())
    return "".join(out)
