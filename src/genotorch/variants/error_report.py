"""Why a variant was missed or called wrongly: every error of a call set against a truth, with its kind and context,
and the reliability of the calls' genotype qualities.

Error rows (:func:`error_rows`), one per allele, in the hap.py counting of :mod:`genotorch.variants.evaluate`:

* ``FP``: a PASS non-reference call of an allele the truth lacks;
* ``FN``: a truth allele with no PASS call; the row says what the caller did there instead (``RefCall``,
  ``LowQual``, another genotype, or ``no candidate`` when no record names the allele);
* ``GT``: the allele in both with a different number of copies (counted as one FP and one FN).

Each row carries the variant type (SNP/INDEL), the indel length, the truth and called genotypes, the call's FILTER,
QUAL, GQ, DP and VAF (FORMAT fields genotorch and DeepVariant write), and the reference context: the length of the
homopolymer and of the short tandem repeat (unit 1-6 bp) that the variant sits in, classified as ``homopolymer``
(a run of >= 4 of one base), ``STR`` (a unit of 2-6 bp repeated over >= 8 bp) or ``unique``.

Genotype-quality calibration (:func:`gq_reliability`): every call record inside the confident regions (PASS,
RefCall and LowQual alike) is a genotype claim with error probability ``10^(-GQ/10)``; it is wrong when the copies
of any of its alleles differ from the truth's. Calls are binned by GQ and each bin's observed error rate is set beside
the mean claimed rate, with a 95 % Wilson interval (as DeepVariant's GQ calibration plots do, Poplin et al. 2018).
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from genotorch.io.intervals import IntervalIndex, contig_alias, strip_chr
from genotorch.io.reference import Reference
from genotorch.variants.alleles import normalize_allele, variant_type
from genotorch.io.variants import open_vcf, vcf_records

AlleleKey = tuple[str, int, str, str]
ERROR_COLUMNS = ("contig", "pos", "ref", "alt", "error", "type", "indel_length", "truth_gt", "call_gt", "filter",
                 "qual", "gq", "dp", "vaf", "context", "homopolymer", "str_unit", "str_length")


@dataclass
class CallSite:
    """One allele of a calls record: its record's FILTER, genotype (copies of this allele), QUAL, GQ, DP and VAF."""

    filter: str
    copies: int
    qual: float | None
    gq: int | None
    dp: int | None
    vaf: float | None


@dataclass
class CallRecordInfo:
    """A whole calls record, for calibration: its GQ and the copies it claims of each of its alleles."""

    gq: int | None
    claims: dict = field(default_factory=dict)  # AlleleKey -> copies


def _first(value):
    if isinstance(value, (tuple, list)):
        return value[0] if value else None
    return value


def read_call_sites(path: str | Path, reference: Reference, confident: IntervalIndex, flag: str = "--calls"
                    ) -> tuple[dict[AlleleKey, CallSite], list[CallRecordInfo]]:
    """Every alt allele of every record inside the confident regions (any FILTER), and the records themselves.

    Keys are normalised alleles ``(contig without chr, 0-based pos, ref, alt)`` as in
    :func:`genotorch.variants.evaluate.vcf_alleles`.
    """
    sites: dict[AlleleKey, CallSite] = {}
    records: list[CallRecordInfo] = []
    with open_vcf(path, "VCF", flag) as vf:
        for rec in vcf_records(vf, path, flag):
            contig = contig_alias(rec.contig, reference.lengths)
            if contig is None or not len(rec.samples):
                continue
            s = rec.samples[0]
            gt = s.get("GT") or ()
            filt = ";".join(rec.filter.keys()) or "PASS"
            fmt = rec.format.keys()
            gq = s.get("GQ") if "GQ" in fmt else None
            dp = s.get("DP") if "DP" in fmt else None
            vafs = s.get("VAF") if "VAF" in fmt else None
            info = CallRecordInfo(gq)
            for idx, alt in enumerate(rec.alleles[1:], start=1):
                if alt.startswith("<") or alt == "*":
                    continue
                pos, ref, a = normalize_allele(rec.start, rec.ref, alt, lambda i: reference.fetch(contig, i, i + 1))
                if not confident.contains(contig, pos, pos + len(ref)):
                    continue
                key = (strip_chr(contig), pos, ref, a)
                copies = sum(1 for g in gt if g == idx)
                vaf = vafs[idx - 1] if isinstance(vafs, (tuple, list)) and len(vafs) >= idx else _first(vafs)
                prev = sites.get(key)
                if prev is None or (prev.filter != "PASS" and filt == "PASS"):
                    sites[key] = CallSite(filt, copies, rec.qual, gq, dp, vaf)
                info.claims[key] = copies
            if info.claims:
                records.append(info)
    return sites, records


def repeat_context(reference: Reference, contig: str, pos: int, ref: str, alt: str) -> tuple[int, int, int]:
    """``(homopolymer length, STR unit, STR length)`` in bp around a normalised allele at 0-based ``pos``.

    The tract examined starts after the anchor base for indels (where the inserted or deleted bases repeat) and at
    ``pos`` for substitutions; it is extended both ways while the unit repeats. The STR is the unit of 2-6 bp with
    the longest tract (0, 0 when none covers two full units).
    """
    start = pos + 1 if len(ref) != len(alt) else pos
    window = reference.fetch(contig, start - 60, start + 60)
    c = 60  # index of ``start`` in ``window``

    def tract(unit_len: int) -> int:
        unit = window[c:c + unit_len]
        if "N" in unit or len(unit) < unit_len:
            return 0
        right = c
        while window[right:right + unit_len] == unit:
            right += unit_len
        right += next((k for k in range(unit_len) if window[right + k:right + k + 1] != unit[k:k + 1]), unit_len)
        left = c
        while left - unit_len >= 0 and window[left - unit_len:left] == unit:
            left -= unit_len
        return right - left

    hp = tract(1)
    if len(ref) == len(alt):  # a substitution: also the runs just before and just after it
        left, right = window[:c], window[c + 1:]
        hp = max(hp, len(left) - len(left.rstrip(left[-1])), len(right) - len(right.lstrip(right[0])))
    best_unit, best_len = 0, 0
    for k in range(2, 7):
        n = tract(k)
        if n >= 2 * k and n > best_len:
            best_unit, best_len = k, n
    return hp, best_unit, best_len


def context_class(hp: int, str_len: int) -> str:
    """``homopolymer`` (a run of >= 4 of one base, at least as long as any STR), ``STR`` (a 2-6 bp unit over >= 8
    bp) or ``unique``."""
    if hp >= 4 and hp >= str_len:
        return "homopolymer"
    if str_len >= 8:
        return "STR"
    return "unique"


def _gt(copies: int) -> str:
    return {0: "0/0", 1: "0/1", 2: "1/1"}.get(copies, f"{copies} copies")


def error_rows(calls: dict[AlleleKey, int], truth: dict[AlleleKey, int], sites: dict[AlleleKey, CallSite],
               reference: Reference) -> list[dict]:
    """One row per FP, FN and genotype error (columns :data:`ERROR_COLUMNS`), sorted by position."""
    rows = []
    for key in sorted(calls.keys() | truth.keys(), key=lambda k: (k[0], k[1], k[2], k[3])):
        c, t = calls.get(key), truth.get(key)
        if c is not None and t is not None and c == t:
            continue
        error = "GT" if (c is not None and t is not None) else ("FP" if c is not None else "FN")
        contig = contig_alias(key[0], reference.lengths)
        site = sites.get(key)
        hp, unit, length = repeat_context(reference, contig, key[1], key[2], key[3])
        vtype = variant_type(key[2], key[3])
        rows.append({
            "contig": contig, "pos": key[1] + 1, "ref": key[2], "alt": key[3], "error": error, "type": vtype,
            "indel_length": len(key[3]) - len(key[2]), "truth_gt": _gt(t or 0),
            "call_gt": _gt(site.copies) if site else ".", "filter": site.filter if site else "no candidate",
            "qual": "" if not site or site.qual is None else round(site.qual, 1),
            "gq": "" if not site or site.gq is None else site.gq, "dp": "" if not site or site.dp is None else site.dp,
            "vaf": "" if not site or site.vaf is None else round(float(site.vaf), 3),
            "context": context_class(hp, length), "homopolymer": hp, "str_unit": unit, "str_length": length})
    return rows


def summarize_errors(rows: Iterable[dict]) -> dict[str, int]:
    """Counts by ``type error truth-or-call-zygosity context`` (e.g. ``INDEL FN het homopolymer``)."""
    out: Counter = Counter()
    for r in rows:
        zyg = {"0/1": "het", "1/1": "hom"}.get(r["truth_gt"] if r["error"] != "FP" else r["call_gt"], "other")
        out[f"{r['type']} {r['error']} {zyg} {r['context']}"] += 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def write_error_tsv(rows: list[dict], path: str | Path) -> Path:
    """The error rows as TSV (header :data:`ERROR_COLUMNS`), written atomically."""
    from genotorch.io.files import atomic_output

    with atomic_output(path, "--errors") as tmp:
        with open(tmp, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=ERROR_COLUMNS, delimiter="\t")
            w.writeheader()
            w.writerows(rows)
    return Path(path)


GQ_BINS = ((0, 10), (10, 20), (20, 30), (30, 40), (40, 50), (50, 100))


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / d
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, mid - half), min(1.0, mid + half)


def gq_reliability(records: list[CallRecordInfo], truth: dict[AlleleKey, int], bins=GQ_BINS) -> list[dict]:
    """Per GQ bin: calls, genotype errors, the observed error rate with its 95 % Wilson interval, the mean claimed
    error rate ``10^(-GQ/10)``, and their ratio (observed / claimed)."""
    out = []
    for lo, hi in bins:
        inside = [r for r in records if r.gq is not None and lo <= r.gq < hi]
        wrong = sum(any(truth.get(k, 0) != c for k, c in r.claims.items()) for r in inside)
        claimed = sum(10 ** (-r.gq / 10) for r in inside) / len(inside) if inside else 0.0
        low, high = _wilson(wrong, len(inside))
        obs = wrong / len(inside) if inside else 0.0
        out.append({"gq": f"{lo}-{hi - 1}", "calls": len(inside), "errors": wrong, "observed": obs,
                    "observed_low": low, "observed_high": high, "claimed": claimed,
                    "ratio": obs / claimed if claimed else None, "expected_errors": claimed * len(inside)})
    return out


def format_reliability(table: list[dict]) -> str:
    """The GQ reliability table of :func:`gq_reliability` as aligned text."""
    lines = [f"{'GQ':>6s} {'calls':>6s} {'errors':>6s} {'observed':>9s} {'95% interval':>17s} {'claimed':>9s} "
             f"{'obs/claim':>9s}"]
    for r in table:
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "-"
        lines.append(f"{r['gq']:>6s} {r['calls']:6d} {r['errors']:6d} {r['observed']:9.4f} "
                     f"[{r['observed_low']:.4f},{r['observed_high']:.4f}] {r['claimed']:9.5f} {ratio:>9s}")
    return "\n".join(lines)


def plot_reliability(table: list[dict], path: str | Path, title: str = "") -> Path:
    """``calibration.png``: observed against claimed genotype error rate per GQ bin (log-log), the diagonal and
    the 2x band, with 95 % intervals; written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from genotorch.io.files import atomic_output

    rows = [r for r in table if r["calls"]]
    fig, ax = plt.subplots(figsize=(5, 4.5))
    lo, hi = 1e-6, 1.0
    xs = [lo, hi]
    ax.plot(xs, xs, color="black", lw=1, label="perfect")
    ax.fill_between(xs, [x / 2 for x in xs], [x * 2 for x in xs], color="grey", alpha=0.2, label="within 2x")
    for r in rows:
        y = max(r["observed"], lo)
        ax.errorbar([max(r["claimed"], lo)], [y], yerr=[[y - max(r["observed_low"], lo)],
                    [max(r["observed_high"], lo) - y]], fmt="o", color="C0", capsize=3)
        ax.annotate(f"GQ {r['gq']}\n{r['errors']}/{r['calls']}", (max(r["claimed"], lo), y), fontsize=7,
                    xytext=(4, 4), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("claimed genotype error rate, 10^(-GQ/10)")
    ax.set_ylabel("observed genotype error rate")
    ax.set_title(title or "GQ calibration", fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    with atomic_output(path, "--plots", suffix=".png") as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)
    return Path(path)
