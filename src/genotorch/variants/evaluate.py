"""Calls vs truth, counted as hap.py does (Krusche et al. 2019, Nat Biotechnol 37:555, GA4GH benchmarking).

* Both VCFs are split into alt alleles and normalised (trimmed, left-aligned on the reference).
* Only calls with FILTER PASS (or '.') and a non-reference genotype count; truth records count when their
  genotype is non-reference.
* Only variants whose REF span lies inside the confident regions are counted.
* An allele present in both with the same number of copies (het = 1, hom = 2) is a TP; present in both with a
  different genotype, it counts as one FP and one FN; only in the calls: FP; only in the truth: FN.
* SNP = REF and ALT of equal length (after normalisation); everything else is INDEL.

precision = TP / (TP + FP), recall = TP / (TP + FN), F1 their harmonic mean.
Contigs that differ only by a ``chr`` prefix are matched.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from genotorch.io.intervals import IntervalIndex, contig_alias, read_bed, strip_chr
from genotorch.io.reference import Reference
from genotorch.variants.alleles import genotype_copies, normalize_allele, variant_type
from genotorch.errors import GenotorchError
from genotorch.io.variants import check_vcf_matches_reference, open_vcf, vcf_records

AlleleKey = tuple[str, int, str, str]


@dataclass
class Counts:
    """TP, FP and FN of one variant type."""
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """TP / (TP + FP), 0 when nothing was called."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN), 0 when the truth is empty."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall, 0 when both are 0."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        """Counts and metrics (rounded to 6 decimals) as a dict."""
        return {**asdict(self), "precision": round(self.precision, 6), "recall": round(self.recall, 6),
                "f1": round(self.f1, 6)}


def vcf_alleles(path: str | Path, reference: Reference, confident: IntervalIndex, pass_only: bool,
                flag: str) -> dict[AlleleKey, int]:
    """Normalised alleles -> copies in the genotype of the first sample, inside confident regions."""
    with open_vcf(path, "VCF", flag) as probe:
        check_vcf_matches_reference(probe, reference, Path(path), flag)
    vf = open_vcf(path, "VCF", flag)
    out: dict[AlleleKey, int] = {}
    n_records, n_unmatched, unmatched = 0, 0, set()
    for rec in vcf_records(vf, path, flag):
        n_records += 1
        contig = contig_alias(rec.contig, reference.lengths)
        if contig is None:
            unmatched.add(rec.contig)
            n_unmatched += 1
            continue
        if pass_only and rec.filter.keys() and list(rec.filter.keys()) != ["PASS"]:
            continue
        if not len(rec.samples):
            raise GenotorchError(f"{path} has no sample column (a sites-only VCF): genotypes are needed; check {flag}")
        copies = genotype_copies(rec.samples[0].get("GT"))
        for idx, n in copies.items():
            alt = rec.alleles[idx]
            if alt.startswith("<") or alt == "*":
                continue
            pos, ref, a = normalize_allele(rec.start, rec.ref, alt, lambda i: reference.fetch(contig, i, i + 1))
            if confident.contains(contig, pos, pos + len(ref)):
                key = (strip_chr(contig), pos, ref, a)
                out[key] = max(out.get(key, 0), n)
    if n_records and n_unmatched == n_records:
        raise GenotorchError(f"{path}: none of its {n_records} records is on a contig of {reference.path} (its "
                             f"contigs: {', '.join(sorted(unmatched)[:4])}; the reference's: "
                             f"{', '.join(list(reference.lengths)[:4])}): check {flag}")
    return out


def compare(calls: dict[AlleleKey, int], truth: dict[AlleleKey, int]) -> dict[str, Counts]:
    """SNP / INDEL counts for two allele->copies maps."""
    res = {"SNP": Counts(), "INDEL": Counts()}
    for key in calls.keys() | truth.keys():
        c = res[variant_type(key[2], key[3])]
        in_calls, in_truth = key in calls, key in truth
        if in_calls and in_truth:
            if calls[key] == truth[key]:
                c.tp += 1
            else:
                c.fp += 1
                c.fn += 1
        elif in_calls:
            c.fp += 1
        else:
            c.fn += 1
    return res


def evaluate(calls_vcf: str, truth_vcf: str, confident_bed: str, reference: str, errors: str | None = None,
             plots: str | None = None) -> dict:
    """Counts and metrics per type: ``{"SNP": {...}, "INDEL": {...}}``.

    With ``errors`` (a TSV path), every FP, FN and genotype error is written there with its kind and context, and
    ``result["errors"]`` counts them by kind; with ``plots`` (a folder), ``calibration.png`` shows the calls' GQ
    against their observed genotype error rate and ``result["gq_calibration"]`` holds the table
    (:mod:`genotorch.variants.error_report`).

    Raises
    ------
    GenotorchError
        Missing/unreadable inputs or VCFs made on another reference build.
    """
    ref = Reference(reference)
    confident = IntervalIndex(read_bed(confident_bed, ref.lengths))
    if not len(confident):
        raise GenotorchError(f"confident BED {confident_bed} has no interval on a contig of {reference} (its "
                             f"contigs: {', '.join(list(ref.lengths)[:4])}): check --confident")
    truth = vcf_alleles(truth_vcf, ref, confident, pass_only=False, flag="--truth")
    calls = vcf_alleles(calls_vcf, ref, confident, pass_only=True, flag="--calls")
    result: dict = {k: v.as_dict() for k, v in compare(calls, truth).items()}
    if errors or plots:
        from genotorch.variants import error_report as er

        sites, records = er.read_call_sites(calls_vcf, ref, confident)
        if errors:
            rows = er.error_rows(calls, truth, sites, ref)
            er.write_error_tsv(rows, errors)
            result["errors"] = er.summarize_errors(rows)
        if plots:
            table = er.gq_reliability(records, truth)
            er.plot_reliability(table, Path(plots) / "calibration.png", f"{Path(calls_vcf).name} vs truth")
            result["gq_calibration"] = table
    return result


def format_table(result: dict, title: str = "") -> str:
    """An :func:`evaluate` result as a TP/FP/FN/precision/recall/F1 table, one row per variant type."""
    lines = [title] if title else []
    lines.append(f"{'type':6s} {'TP':>6s} {'FP':>6s} {'FN':>6s} {'precision':>10s} {'recall':>8s} {'F1':>8s}")
    for t in ("SNP", "INDEL"):
        r = result[t]
        lines.append(f"{t:6s} {r['tp']:6d} {r['fp']:6d} {r['fn']:6d} {r['precision']:10.4f} {r['recall']:8.4f} "
                     f"{r['f1']:8.4f}")
    return "\n".join(lines)


def format_side_by_side(results: dict[str, dict], title: str = "") -> str:
    """One table, a row per caller and variant type: ``results`` maps a caller name to an :func:`evaluate` result."""
    lines = [title] if title else []
    lines.append(f"{'caller':12s} {'type':6s} {'TP':>5s} {'FP':>5s} {'FN':>5s} {'precision':>10s} {'recall':>8s} "
                 f"{'F1':>8s}")
    for t in ("SNP", "INDEL"):
        for name, result in results.items():
            r = result[t]
            lines.append(f"{name:12s} {t:6s} {r['tp']:5d} {r['fp']:5d} {r['fn']:5d} {r['precision']:10.4f} "
                         f"{r['recall']:8.4f} {r['f1']:8.4f}")
    return "\n".join(lines)


def write_json(result: dict, path: str | Path) -> None:
    """``result`` as indented JSON, written atomically (see :func:`genotorch.io.files.atomic_write_text`)."""
    from genotorch.io.files import atomic_write_text

    atomic_write_text(path, json.dumps(result, indent=2) + "\n", "--json")


def mendelian_consistency(vcf: str | Path, child: str, father: str, mother: str) -> dict:
    """Mendelian consistency of a multi-sample VCF (e.g. ``bcftools merge --gvcf`` of a trio's gVCFs).

    Counts records with an allele other than ``<*>`` where all three samples have a called diploid genotype and
    at least one is not 0/0: ``consistent`` when the child's two alleles can be one from each parent, else
    ``inconsistent``; ``incomplete`` counts such records with a missing genotype. Returns those counts and
    ``rate`` = consistent / (consistent + inconsistent).

    Raises
    ------
    GenotorchError
        A sample not in the VCF (the message lists the samples).
    """
    import pysam

    counts = {"consistent": 0, "inconsistent": 0, "incomplete": 0}
    with pysam.VariantFile(str(vcf)) as vf:
        names = list(vf.header.samples)
        missing = [s for s in (child, father, mother) if s not in names]
        if missing:
            raise GenotorchError(f"{vcf} has no sample {', '.join(missing)} (samples: {', '.join(names)})")
        for rec in vf:
            if all(a == "<*>" for a in rec.alts or ()):
                continue
            gts = [rec.samples[s]["GT"] for s in (child, father, mother)]
            if any(g is None or len(g) != 2 or None in g for g in gts):
                counts["incomplete"] += any(g and any(a for a in g if a) for g in gts)
                continue
            if all(g == (0, 0) for g in gts):
                continue
            (c1, c2), f, m = gts
            ok = (c1 in f and c2 in m) or (c2 in f and c1 in m)
            counts["consistent" if ok else "inconsistent"] += 1
    n = counts["consistent"] + counts["inconsistent"]
    counts["rate"] = round(counts["consistent"] / n, 6) if n else 0.0
    return counts
