"""Variant effects from a sequence model (Basset's SAD, Kelley et al. 2016 Genome Res 26:990; gReLU's variant
effect): the model's prediction on the reference allele and on the alternate allele, in windows centred on the
variant, both strands averaged, and their difference.

Windows (length ``L``, the model's sequence length; positions 0-based): the REF allele's first base sits at column
``L // 2``. The reference window is ``ref[p - L//2, p - L//2 + L)``; the alternate window is the same ``L // 2``
bases left of ``p``, then the ALT allele, then the reference downstream of the REF allele, cut or extended to
``L``. So a deletion pulls downstream sequence into the window and an insertion pushes it out; the left flank never
moves. Bases beyond a contig end are ``N`` (all-zero one-hot columns).

Scores per class (softmax models) or per target (multi-label models), per alternate allele: ``REFP`` (probability
on the reference window), ``ALTP``, ``SAD = ALTP - REFP`` and ``LOG2R = log2((ALTP + 1e-6) / (REFP + 1e-6))``.
Predictions go through :func:`genotorch.predict.sequences.predict_sequences` with ``rc_average=True``: the same
numbers as ``genotorch predict --rc-average`` on the two windows.

Records that cannot be scored keep their place with a FILTER and no scores: ``RefMismatch`` (REF differs from the
FASTA), ``NoContig`` (contig not in the FASTA), ``NotScored`` (a symbolic or ``*`` ALT, or no ALT). When most
records mismatch, the VCF and FASTA are of different builds: an error, not a file of FILTERs.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pysam

from genotorch.errors import GenotorchError
from genotorch.io.files import prepare_output
from genotorch.io.intervals import contig_alias
from genotorch.io.reference import Reference
from genotorch.io.variants import indexed_vcf_output, open_vcf
from genotorch.predict.sequences import predict_sequences

logger = logging.getLogger(__name__)
EPS = 1e-6
FILTERS = {"RefMismatch": "REF differs from the reference FASTA: not scored",
           "NoContig": "Contig not in the reference FASTA: not scored",
           "NotScored": "No scorable ALT allele (symbolic, * or none)"}


@dataclass
class Site:
    """One VCF record's windows: ``ref_window`` and one ``alt_windows`` entry per scorable ALT (None otherwise);
    ``problem`` is a FILTER name when the record cannot be scored."""

    ref_window: str | None
    alt_windows: list[str | None] = field(default_factory=list)
    problem: str | None = None


def windows_for(ref: Reference, contig: str, pos: int, ref_allele: str, alt: str, length: int) -> tuple[str, str]:
    """(reference window, alternate window) of ``length`` for the allele ``ref_allele -> alt`` at 0-based ``pos``
    (see the module docstring)."""
    half = length // 2
    left = ref.fetch(contig, pos - half, pos)
    ref_window = left + ref.fetch(contig, pos, pos + length - half)
    right = ref.fetch(contig, pos + len(ref_allele), pos + len(ref_allele) + max(0, length - half - len(alt)))
    return ref_window, (left + alt.upper() + right)[:length]


def sites_of(vcf: pysam.VariantFile, ref: Reference, length: int) -> list[Site]:
    """The windows of every record of ``vcf`` (in file order).

    Raises
    ------
    GenotorchError
        When over half of the first 200 records on known contigs have a REF that differs from ``ref``.
    """
    sites, checked, mismatched = [], 0, 0
    for rec in vcf:
        contig = contig_alias(rec.contig, ref.lengths)
        if contig is None:
            sites.append(Site(None, [None] * len(rec.alts or ()), "NoContig"))
            continue
        fasta_ref = ref.fetch(contig, rec.start, rec.start + len(rec.ref))
        if checked < 200:
            checked += 1
            mismatched += fasta_ref != rec.ref.upper()
        if fasta_ref != rec.ref.upper():
            sites.append(Site(None, [None] * len(rec.alts or ()), "RefMismatch"))
            continue
        alts = [a if re.fullmatch(r"[ACGTNacgtn]+", a or "") else None for a in (rec.alts or ())]
        wins = [windows_for(ref, contig, rec.start, rec.ref, a, length) if a else None for a in alts]
        ref_window = next((w[0] for w in wins if w), None)
        sites.append(Site(ref_window, [w[1] if w else None for w in wins], None if ref_window else "NotScored"))
    if checked and mismatched > checked / 2:
        raise GenotorchError(f"{mismatched} of the first {checked} REF alleles of {vcf.filename.decode()} differ from "
                             f"{ref.path}: the VCF was made on another reference build; give the --ref it was made "
                             f"with")
    return sites


def info_ids(classes: list[str]) -> list[str]:
    """INFO-safe, unique suffixes for class/target names (``[A-Za-z0-9_]``)."""
    out: list[str] = []
    for c in classes:
        name = re.sub(r"[^A-Za-z0-9_]", "_", str(c)) or "class"
        while name in out:
            name += "_"
        out.append(name)
    return out


def score_variants(model, meta: dict, vcf_path: str | Path, reference: str | Path, output: str | Path,
                   tsv: str | Path | None = None, batch_size: int = 512, progress=None) -> dict:
    """Score every ALT allele of ``vcf_path`` with the sequence ``model`` (its checkpoint ``meta``) and write
    ``output`` (``.vcf.gz`` + ``.tbi``: the input records with ``REFP_/ALTP_/SAD_/LOG2R_<class>`` INFO fields and the
    FILTERs above) and, when given, ``tsv`` (one row per ALT allele). Returns counts: records, alleles, scored,
    and one per FILTER.

    Raises
    ------
    GenotorchError
        Unreadable inputs, an output name not ending in ``.vcf.gz``, or a VCF of another build than ``reference``.
    """
    if not str(output).endswith(".vcf.gz"):
        raise GenotorchError(f"--output {output} must end in .vcf.gz (a bgzipped, tabix-indexed VCF is written)")
    out_path = prepare_output(output, "--output")
    if tsv is not None:
        prepare_output(tsv, "--tsv")
    length = int(meta["example_info"]["shape"][1])
    classes = [str(c) for c in meta["classes"]]
    ids = info_ids(classes)
    ref = Reference(reference)
    vf = open_vcf(vcf_path, "VCF", "--vcf")
    sites = sites_of(vf, ref, length)
    ref_seqs = [s.ref_window for s in sites if s.ref_window]
    alt_seqs = [w for s in sites for w in s.alt_windows if w]
    multilabel = bool(meta["example_info"].get("multilabel"))
    p_ref = predict_sequences(model, length, ref_seqs, True, batch_size, multilabel, progress) if ref_seqs else \
        np.zeros((0, len(classes)))
    p_alt = predict_sequences(model, length, alt_seqs, True, batch_size, multilabel, progress) if alt_seqs else \
        np.zeros((0, len(classes)))
    header = vf.header.copy()
    for name, desc in FILTERS.items():
        if name not in header.filters:
            header.filters.add(name, None, None, desc)
    for cid, c in zip(ids, classes):
        header.info.add(f"REFP_{cid}", "1", "Float", f"Model probability of {c} on the reference window")
        header.info.add(f"ALTP_{cid}", "A", "Float", f"Model probability of {c} on the alternate window")
        header.info.add(f"SAD_{cid}", "A", "Float", f"ALTP - REFP for {c} (Basset's SAD)")
        header.info.add(f"LOG2R_{cid}", "A", "Float", f"log2((ALTP + 1e-6) / (REFP + 1e-6)) for {c}")
    header.add_line(f"##genotorch_score_variants=model {meta.get('config', {}).get('model', {}).get('name', '?')}, "
                    f"window {length} bp centred on the variant, both strands averaged")
    counts = {"records": len(sites), "alleles": 0, "scored": 0, **{k: 0 for k in FILTERS}}
    rows = []
    vf.reset()
    i_ref = i_alt = 0
    with indexed_vcf_output(out_path, "--output") as tmp:
        with pysam.VariantFile(str(tmp), "w", header=header) as out:
            for rec, site in zip(vf, sites):
                rec.translate(header)
                counts["alleles"] += len(site.alt_windows)
                if site.problem:
                    rec.filter.add(site.problem)
                    counts[site.problem] += 1
                if site.ref_window:
                    pr = p_ref[i_ref]
                    i_ref += 1
                    pa = []
                    for w in site.alt_windows:
                        pa.append(p_alt[i_alt] if w else None)
                        i_alt += w is not None
                    counts["scored"] += sum(x is not None for x in pa)
                    for k, cid in enumerate(ids):
                        rec.info[f"REFP_{cid}"] = round(float(pr[k]), 6)
                        rec.info[f"ALTP_{cid}"] = tuple(None if x is None else round(float(x[k]), 6) for x in pa)
                        rec.info[f"SAD_{cid}"] = tuple(None if x is None else round(float(x[k] - pr[k]), 6) for x in pa)
                        rec.info[f"LOG2R_{cid}"] = tuple(None if x is None else round(
                            math.log2((float(x[k]) + EPS) / (float(pr[k]) + EPS)), 6) for x in pa)
                    rows += [(rec, a, pr, x) for a, x in zip(rec.alts or (), pa)]
                else:
                    rows += [(rec, a, None, None) for a in rec.alts or ()]
                out.write(rec)
        if tsv is not None:
            _write_tsv(tsv, rows, classes)
    return counts


def _write_tsv(path, rows, classes: list[str]) -> None:
    from genotorch.io.files import atomic_output

    cols = ["contig", "pos", "id", "ref", "alt", "filter"]
    for c in classes:
        cols += [f"ref_p_{c}", f"alt_p_{c}", f"sad_{c}", f"log2r_{c}"]
    with atomic_output(path, "--tsv") as tmp, open(tmp, "w") as f:
        f.write("\t".join(cols) + "\n")
        for rec, alt, pr, pa in rows:
            filt = ";".join(rec.filter.keys()) or "."
            vals = [rec.contig, str(rec.pos), rec.id or ".", rec.ref, alt, filt]
            for k in range(len(classes)):
                if pa is None:
                    vals += ["."] * 4
                else:
                    vals += [f"{pr[k]:.6f}", f"{pa[k]:.6f}", f"{pa[k] - pr[k]:.6f}",
                             f"{math.log2((pa[k] + EPS) / (pr[k] + EPS)):.6f}"]
            f.write("\t".join(vals) + "\n")
