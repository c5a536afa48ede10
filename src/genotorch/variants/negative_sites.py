"""Reproducible negative sites for picture datasets (IGV-screenshot classifiers), seeded.

Sites are ``(contig, pos)`` with ``pos`` 0-based. As the IGV-screenshot classifiers built them:

* ``random``: uniform positions inside the given regions where the reads cover the site (depth >= ``min_depth``)
  and no truth variant lies within ``min_distance`` bp;
* ``near``: positions 2-50 bp (``near_range``) from a truth variant, on either side, not within 2 bp of any other;
* ``lookalike``: candidate sites (reads show an alt allele: genotorch's candidate finder) absent from the truth.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from genotorch.errors import GenotorchError
from genotorch.io.intervals import Interval


def negative_sites(kind: str, n: int, seed: int, *, truth_sites: Sequence[tuple[str, int]],
                   regions: Sequence[Interval] = (), reads: str | None = None, ref: str | None = None,
                   min_depth: int = 5, near_range: tuple[int, int] = (2, 50),
                   min_distance: int = 50) -> list[tuple[str, int]]:
    """Up to ``n`` negative sites of ``kind`` (random | near | lookalike), sorted; the same seed gives the same
    sites. ``random`` and ``lookalike`` need ``regions``, ``reads`` (BAM/CRAM path) and ``ref`` (FASTA path).

    Raises
    ------
    GenotorchError
        An unknown kind, missing inputs for it, or unreadable files.
    """
    if n < 1:
        raise GenotorchError(f"--number/-n {n}: give 1 or more sites")
    rng = np.random.default_rng(seed)
    from genotorch.io.intervals import strip_chr

    truth = {}
    for c, p in truth_sites:
        truth.setdefault(strip_chr(c), []).append(p)
    truth = {c: np.sort(np.array(v)) for c, v in truth.items()}

    def distance(c: str, p: int) -> int:
        t = truth.get(strip_chr(c))
        if t is None or not len(t):
            return 1 << 30
        i = int(np.searchsorted(t, p))
        return int(min(abs(p - t[j]) for j in (i - 1, i) if 0 <= j < len(t)))

    out: set[tuple[str, int]] = set()
    if kind == "near":
        names = {strip_chr(c): c for c, _ in truth_sites}
        pool = [(names[c], int(p)) for c, ps in truth.items() for p in ps]
        order = rng.permutation(len(pool))
        for k in order:
            c, p = pool[k]
            off = int(rng.integers(near_range[0], near_range[1] + 1)) * (1 if rng.random() < 0.5 else -1)
            q = p + off
            if q >= 0 and distance(c, q) >= near_range[0]:
                out.add((c, q))
            if len(out) >= n:
                break
    elif kind == "random":
        if not regions or not reads or not ref:
            raise GenotorchError("random negatives need --regions, --reads and --ref")
        from genotorch.io.alignments import open_alignments
        from genotorch.io.reference import Reference

        alignments = open_alignments(reads, Reference(ref))
        sizes = np.array([len(r) for r in regions], dtype=np.float64)
        tries = 0
        while len(out) < n and tries < 50 * n:
            tries += 1
            r = regions[int(rng.choice(len(regions), p=sizes / sizes.sum()))]
            p = int(rng.integers(r.start, r.end))
            if distance(r.contig, p) < min_distance:
                continue
            depth = alignments.count(r.contig, p, p + 1)
            if depth >= min_depth:
                out.add((r.contig, p))
    elif kind == "lookalike":
        if not regions or not reads or not ref:
            raise GenotorchError("look-alike negatives need --regions, --reads and --ref")
        from genotorch.variants.make_examples import ChunkProcessor, Inputs, MakeExamplesConfig

        proc = ChunkProcessor(Inputs(ref, reads), MakeExamplesConfig())
        pool = sorted({(c.contig, c.pos) for r in regions for c in proc(r).candidates if distance(c.contig, c.pos) > 0})
        if len(pool) > n:
            pool = [pool[i] for i in np.sort(rng.choice(len(pool), n, replace=False))]
        out = set(pool)
    else:
        raise GenotorchError(f"--kind {kind}: choose random, near or lookalike")
    return sorted(out)
