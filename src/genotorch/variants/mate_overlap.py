"""Het calls whose alt is seen only on overlapping read pairs: fragment-level artefacts, written hom-ref.

When a fragment is shorter than twice the read length, its two mates read the same bases, and an error made in the
library molecule itself (in end repair, or a polymerase slip before sequencing) shows in both mates. The pileup
CNN sees the two mates as two independent reads, so such an error looks like a het supported by twice the reads it
has. A real allele lies on fragments of every length: the fraction of its alt fragments that are overlapping pairs
is the fraction of the site's other fragments that are. The failure it answers: at 30% depth, HG002
chr20:36,032,266 ``GA -> G`` (6 of 18 reads, QUAL 9.7) and chr20:44,937,141 ``T -> TG`` (4 of 12 reads, QUAL 4.0),
both GIAB hom-ref, were written 0/1; every alt read of each came from 3 and 2 fragments whose two mates both cover
the site, while none of the 12 and 8 reference fragments did. Over the 12 Illumina test rows, 4.5% of the alt
fragments of the ~750 GIAB variants called PASS are overlapping pairs, as are 4.5% of their reference fragments;
no true variant called PASS had all of two or more alt fragments on overlapping pairs. (The three fragments at
36,032,266 are copies of one molecule that the BAM does not flag as duplicates; on duplicate-marked reads such a
site has one alt fragment and is left alone.)

The model, per fragment covering the site (reads by name, passing :class:`ReadFilter` at MAPQ >= 5; a fragment
shows the alt when either mate does): under a real allele, each alt fragment is an overlapping pair with the
site's rate ``r = (overlapping reference fragments + 1/2) / (reference fragments + 1)``, so all ``k`` alt fragments
being overlapping pairs has probability ``r**k``; under a fragment artefact it is certain. The log-likelihood ratio
``k log r`` (natural log, negative) multiplies the network's P(0/1) and P(1/1) as a second opinion the pileup did
not weigh (mates are not linked in it), and the genotype is then the most likely of the three (Bayes' rule): a
call written 0/0 gets FILTER RefCall, QUAL, GQ and PL from the updated probabilities. Only biallelic records called
0/1 with ``k >= min_alt_fragments`` and no alt fragment from a single read change. Coordinates are 0-based,
half-open. A SNP's alt is the alt base at the site (BQ >= 10); an indel's is an indel of the same length and kind
anchored anywhere in the homopolymer/STR tract holding the site (:func:`genotorch.encode.repeats.indel_tract`),
where aligners may place it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pysam

from genotorch.encode.read_events import base_index_at, read_events
from genotorch.encode.repeats import FetchRef, indel_tract
from genotorch.io.alignments import ReadFilter, reads_contig
from genotorch.io.variants import CallRecord
from genotorch.variants.postprocess import weigh_variant


@dataclass(frozen=True)
class FragmentCounts:
    """Fragments covering a site: ``alt``/``ref`` (showing the alt or not) and how many of each are overlapping
    pairs (both mates cover the site)."""

    alt: int = 0
    alt_pairs: int = 0
    ref: int = 0
    ref_pairs: int = 0

    def log_likelihood_ratio(self) -> float:
        """``k log r`` (natural log): the log-likelihood of a real allele minus that of a fragment artefact, when all
        ``k = alt`` alt fragments are overlapping pairs; 0.0 otherwise."""
        if self.alt == 0 or self.alt_pairs < self.alt:
            return 0.0
        return self.alt * math.log((self.ref_pairs + 0.5) / (self.ref + 1.0))


def fragment_counts(bam: pysam.AlignmentFile, record: CallRecord, fetch: FetchRef, min_mapping_quality: int = 5,
                    min_base_quality: int = 10) -> FragmentCounts:
    """:class:`FragmentCounts` of a biallelic record's site: fragments whose reads cover the REF bases (an indel:
    the whole tract of :func:`indel_tract`, one base each side)."""
    ref, alt = record.ref, record.alts[0]
    change = len(alt) - len(ref)
    if change:
        t0, t1 = indel_tract(fetch, record.pos, ref, alt)
        lo, hi = t0 - 1, t1  # reads must align from t0 - 1 to t1 inclusive
        first, last = min(record.pos, t0 - 1), t1 - 1  # where an aligner may anchor the indel
    else:
        lo = hi = record.pos
    name = reads_contig(bam, record.contig)
    keep = ReadFilter(min_mapping_quality).passes
    frags: dict[str, list[bool]] = {}
    if name is None:
        return FragmentCounts()
    for read in bam.fetch(name, lo, hi + 1):
        if not keep(read) or not read.query_sequence or read.reference_start > lo or read.reference_end is None \
                or read.reference_end <= hi:
            continue
        ev = read_events(read)
        if change > 0:
            shows = any(first <= a <= last and len(b) == change for a, _, b, _ in ev.insertions)
        elif change < 0:
            shows = any(first <= a <= last and n == -change for a, n, _ in ev.deletions)
        else:
            q = base_index_at(ev, record.pos)
            shows = q is not None and chr(ev.seq[q]) == alt and (ev.quals is None or ev.quals[q] >= min_base_quality)
        frags.setdefault(read.query_name, []).append(shows)
    alt_n = alt_pairs = ref_n = ref_pairs = 0
    for mates in frags.values():
        pair = len(mates) >= 2
        if any(mates):
            alt_n, alt_pairs = alt_n + 1, alt_pairs + pair
        else:
            ref_n, ref_pairs = ref_n + 1, ref_pairs + pair
    return FragmentCounts(alt_n, alt_pairs, ref_n, ref_pairs)


def ref_from_mate_overlap(record: CallRecord, bam: pysam.AlignmentFile, fetch: FetchRef, min_qual: float = 1.0,
                          min_alt_fragments: int = 2, max_alt_reads: int = 10) -> CallRecord:
    """``record`` written hom-ref (RefCall) or kept, as the module describes, when it is a biallelic 0/1 call whose
    ``k >= min_alt_fragments`` alt fragments are all overlapping read pairs; otherwise ``record`` unchanged.
    ``fetch(start, end)``: the record's contig's upper-case reference bases (0-based, half-open). Only records with
    at most ``max_alt_reads`` alt reads (``AD[1]``; five fragments read twice) are looked at: each costs a BAM seek
    (~1.4 ms), and an error of the library molecules sits on few fragments (2-3 in every case seen, 4-6 alt
    reads, at 3-78x)."""
    if record.gt != (0, 1) or len(record.alts) != 1 or not record.ad or \
            not min_alt_fragments <= record.ad[1] <= max_alt_reads:
        return record
    counts = fragment_counts(bam, record, fetch)
    if counts.alt < min_alt_fragments:
        return record
    llr = counts.log_likelihood_ratio()
    return weigh_variant(record, llr, min_qual) if llr < 0 else record
