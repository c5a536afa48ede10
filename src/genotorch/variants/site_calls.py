"""Site-level answers of a variant caller: "does this VCF call a variant at this site?", for comparing a picture
classifier (one yes/no per site) with genotype callers on the same sites.

Sites are ``(contig, pos)`` with ``pos`` 0-based, as :mod:`genotorch.variants.negative_sites` and
:mod:`genotorch.render.sites` use them; contig names match with or without ``chr``. A record calls a variant at a
site when its genotype carries a non-reference allele, its FILTER is PASS (or ``.``, as bcftools writes), and its
0-based start is within ``window`` bp of the site (``window=1`` absorbs an indel's anchor written one base
earlier or later; the IGV-screenshot negatives "near a variant" are at least 2 bp away, so they stay separate).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from genotorch.errors import GenotorchError
from genotorch.io.intervals import strip_chr


def variant_starts(vcf: str | Path, flag: str = "--vcf") -> dict[str, np.ndarray]:
    """Sorted 0-based starts ``int64`` of the records that call a variant (non-reference genotype in the first
    sample, FILTER PASS or ``.``), per contig (``chr`` stripped).

    Raises
    ------
    GenotorchError
        A missing or unreadable VCF, named with ``flag``.
    """
    import pysam

    path = Path(vcf)
    if not path.exists():
        raise GenotorchError(f"{flag} {path} does not exist")
    out: dict[str, list[int]] = {}
    try:
        with pysam.VariantFile(str(path)) as vf:
            sample = next(iter(vf.header.samples), None)
            for r in vf:
                if set(r.filter.keys()) - {"PASS"}:
                    continue
                gt = r.samples[sample].get("GT") if sample is not None else None
                if not gt or not any(a not in (None, 0) for a in gt):
                    continue
                out.setdefault(strip_chr(r.contig), []).append(r.start)
    except (OSError, ValueError) as e:
        raise GenotorchError(f"{flag} {path} is not a readable VCF ({str(e).split('[')[0].strip()})") from None
    return {c: np.sort(np.array(v, dtype=np.int64)) for c, v in out.items()}


def called_at(sites: Sequence[tuple[str, int]], starts: dict[str, np.ndarray], window: int = 1) -> np.ndarray:
    """``bool (len(sites),)``: whether a called variant (``starts`` from :func:`variant_starts`) begins within
    ``window`` bp of each site."""
    out = np.zeros(len(sites), dtype=bool)
    for i, (contig, pos) in enumerate(sites):
        s = starts.get(strip_chr(contig))
        if s is not None and len(s):
            j = int(np.searchsorted(s, pos - window))
            out[i] = j < len(s) and s[j] <= pos + window
    return out


def site_metrics(truth: Sequence[bool], called: Sequence[bool]) -> dict:
    """Precision and recall of both classes (``variant`` = True, ``no_variant`` = False) and accuracy, from
    per-site truth and answers; counts included. A class with nothing predicted (or nothing true) gets 0.0."""
    t, c = np.asarray(truth, dtype=bool), np.asarray(called, dtype=bool)
    out = {"n": int(len(t)), "accuracy": float((t == c).mean()) if len(t) else 0.0}
    for name, tt, cc in (("variant", t, c), ("no_variant", ~t, ~c)):
        tp = int((tt & cc).sum())
        out[name] = {"tp": tp, "fp": int((~tt & cc).sum()), "fn": int((tt & ~cc).sum()),
                     "precision": tp / int(cc.sum()) if cc.sum() else 0.0,
                     "recall": tp / int(tt.sum()) if tt.sum() else 0.0}
    return out
