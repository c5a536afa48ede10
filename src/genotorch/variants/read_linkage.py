"""Read-backed evidence for low-fraction het SNPs: a RefCall SNP whose alt reads all come from one haplotype of a
neighbouring het call is a het.

The failure it answers: at 30% depth in the HG002 HiSeq X region at chr20:44.88 Mb, GIAB het SNPs with 4-8 alt reads
of 9-30 (allele fraction 0.25-0.45) were called RefCall, and RefCall SNPs with the same read counts, base and mapping
qualities are mostly sequencing or mapping errors, so no threshold on the network's probabilities separates them.
Haplotypes do: a het's alt reads are the reads of one haplotype, so on the read pairs that also cover a neighbouring
het SNP, the alt reads carry one allele there and the reference reads the other. An error's alt reads fall on both
haplotypes. This is the evidence read-backed phasing uses (WhatsHap, Martin et al. 2016, bioRxiv 085050; Patterson
et al. 2015, J Comput Biol 22:498), and that DeepVariant gives its long-read models by sorting reads by haplotype.

The model, on the read fragments (both mates, by read name) that show an A/C/G/T base at the candidate S and at a
neighbouring het call N (MAPQ >= 5, BQ >= 10, as ``AD`` counts):

* het (S's alt on the haplotype of N's allele X): a fragment showing X at N shows S's alt with probability
  ``1 - 2e``, a fragment showing N's other allele with probability ``2e`` (an error at S or at N; ``e`` is the
  allele-balance error rate of :mod:`genotorch.variants.allele_balance`); the better of the two phases is taken
  (averaging them, each with probability 1/2, gained fewer hets for the same false ones on subsampled HG002 reads);
* not a variant: every fragment shows S's alt with the same probability ``r``, its maximum-likelihood value (the
  alt fraction of the table).

The log-likelihood ratio (natural log) updates the network's genotype probabilities as a second, independent
opinion: ``P(0/1)`` is multiplied by ``exp(LLR)`` and the three renormalised (Bayes' rule, taking the neighbour's
linkage as evidence the pileup did not weigh). Only a biallelic SNP record called RefCall changes, and only when
0/1 then becomes the most likely genotype: it is written 0/1 with QUAL, GQ and PL from the updated probabilities,
and FILTER PASS (LowQual under ``min_qual``). The neighbour is the PASS het SNP call of the same make-examples chunk
within ``max_distance`` bp whose table holds the most fragments (QUAL >= ``min_neighbour_qual``); with none, or no
fragment in common, the record is unchanged. Coordinates are 0-based.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import pysam

from genotorch.io.alignments import ReadFilter, reads_contig
from genotorch.io.variants import CallRecord
from genotorch.variants.postprocess import het_if_likelier


@dataclass(frozen=True)
class ReadLinkage:
    """Settings of the step: ``error_rate`` (per base, the allele-balance rate), ``max_distance`` (bp between the
    candidate and its neighbour; read pairs of ~400 bp fragments), ``min_neighbour_qual`` (of the neighbour's call),
    read filters as ``AD`` counts (``min_mapping_quality``, ``min_base_quality``), ``min_qual`` (PASS vs LowQual)."""

    error_rate: float
    max_distance: int = 500
    min_neighbour_qual: float = 3.0
    min_mapping_quality: int = 5
    min_base_quality: int = 10
    min_qual: float = 1.0


def fragment_bases(bam: pysam.AlignmentFile, contig: str, pos: int, min_mapping_quality: int = 5,
                   min_base_quality: int = 10) -> dict[str, str]:
    """Read name -> the base its fragment shows at 0-based ``pos`` (A/C/G/T, BQ >= ``min_base_quality``, reads
    passing :class:`ReadFilter`); a fragment whose two mates show different bases is left out."""
    keep = ReadFilter(min_mapping_quality).passes
    out: dict[str, str] = {}
    clash = set()
    name = reads_contig(bam, contig)
    if name is None:
        return out
    for read in bam.fetch(name, pos, pos + 1):
        if not keep(read) or read.query_sequence is None:
            continue
        for q, r in read.get_aligned_pairs(matches_only=True):
            if r == pos:
                b = read.query_sequence[q]
                if b in "ACGT" and read.query_qualities[q] >= min_base_quality:
                    if out.setdefault(read.query_name, b) != b:
                        clash.add(read.query_name)
                break
            if r > pos:
                break
    for name in clash:
        del out[name]
    return out


def linkage_table(site: dict[str, str], neighbour: dict[str, str], site_alleles: tuple[str, str],
                  neighbour_alleles: tuple[str, str]) -> Counter:
    """Counts of (site shows its alt, neighbour shows its alt) over the fragments that show one of the two alleles at
    both; alleles are (ref, alt) bases."""
    t: Counter = Counter()
    for name, b in site.items():
        n = neighbour.get(name)
        if b in site_alleles and n in neighbour_alleles:
            t[(b == site_alleles[1], n == neighbour_alleles[1])] += 1
    return t


def linkage_log_likelihood_ratio(table: Counter, error_rate: float) -> float:
    """Natural-log likelihood of "het, linked to the neighbour" minus that of "no variant" for a
    :func:`linkage_table` (the model in the module docstring); 0 for an empty table."""
    n = sum(table.values())
    if not n:
        return 0.0
    alt = sum(v for (s_alt, _), v in table.items() if s_alt)
    r = alt / n
    none = (alt * math.log(r) if alt else 0.0) + ((n - alt) * math.log1p(-r) if n - alt else 0.0)
    inside, outside = 1 - 2 * error_rate, 2 * error_rate
    best = -math.inf
    for phase in (True, False):  # the site's alt on the haplotype of the neighbour's alt (True) or ref (False)
        ll = 0.0
        for (s_alt, n_alt), v in table.items():
            p = inside if n_alt == phase else outside
            ll += v * math.log(p if s_alt else 1 - p)
        best = max(best, ll)
    return best - none


def het_from_read_linkage(records: Sequence[CallRecord], bam: pysam.AlignmentFile,
                          settings: ReadLinkage) -> list[CallRecord]:
    """``records`` (one make-examples chunk's, sorted by position) with each biallelic RefCall SNP that its read
    linkage with a neighbouring het SNP call makes most likely het written 0/1 (module docstring); the others as
    they are."""
    def snp(r: CallRecord) -> bool:
        return len(r.alts) == 1 and len(r.ref) == 1 and len(r.alts[0]) == 1

    hets = [r for r in records if snp(r) and r.gt == (0, 1) and r.filter == "PASS"
            and r.qual >= settings.min_neighbour_qual]
    if not hets:
        return list(records)
    cache: dict[tuple[str, int], dict[str, str]] = {}

    def bases(r: CallRecord) -> dict[str, str]:
        key = (r.contig, r.pos)
        if key not in cache:
            cache[key] = fragment_bases(bam, r.contig, r.pos, settings.min_mapping_quality,
                                        settings.min_base_quality)
        return cache[key]

    out = []
    for r in records:
        if r.filter != "RefCall" or not snp(r) or len(r.ad) < 2 or r.ad[1] < 2:
            out.append(r)
            continue
        best: Counter = Counter()
        for h in hets:
            if h.contig == r.contig and 0 < abs(h.pos - r.pos) <= settings.max_distance:
                t = linkage_table(bases(r), bases(h), (r.ref, r.alts[0]), (h.ref, h.alts[0]))
                if sum(t.values()) > sum(best.values()):
                    best = t
        llr = linkage_log_likelihood_ratio(best, settings.error_rate)
        if llr <= 0:  # no neighbour, or linkage against het: 0/1 cannot overtake the RefCall's 0/0
            out.append(r)
            continue
        out.append(het_if_likelier(r, llr, settings.min_qual))
    return out
