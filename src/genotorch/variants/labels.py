"""Genotype labels for candidates from a truth VCF and its confident regions (GIAB style).

Label of a candidate allele = the number of the sample's haplotypes that carry it: 0 = hom-ref, 1 = het,
2 = hom-alt. Candidates and truth are compared as haplotype sequences (:mod:`genotorch.variants.haplotype_labels`,
after DeepVariant's haplotype labeler), so one change written two ways gets its true genotype, and ``1/2`` gives
label 1 to each of its two alleles (2 to the pair). Clusters too large to search fall back to matching normalised
alleles (:func:`genotorch.variants.alleles.normalize_allele`).
Candidates whose REF span is not inside the confident regions get no label (-1) and are not used for training.

Contig names that differ only by a ``chr`` prefix (truth ``20``, reads ``chr20``) are matched.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Sequence


from genotorch.errors import GenotorchError
from genotorch.io.intervals import Interval, IntervalIndex, read_bed, strip_chr
from genotorch.io.reference import Reference
from genotorch.io.variants import check_vcf_matches_reference, open_vcf, vcf_records
from genotorch.variants.candidates import Candidate
from genotorch.variants.haplotype_labels import TruthVariant, haplotype_masks, mask_label

NO_LABEL = -1


def _names(names, k: int = 4) -> str:
    names = list(names)
    return ", ".join(names[:k]) + (" ..." if len(names) > k else "") if names else "no contig"


class TruthLabeler:
    """Labels candidates against a truth VCF inside confident regions.

    Parameters
    ----------
    truth_vcf: bgzipped, tabix-indexed VCF with one sample (the first is used)
    confident_bed: BED of confident regions
    reference: the reference the candidates were made on

    Raises
    ------
    GenotorchError
        Missing/unreadable files, no index, or a truth VCF made on another reference build.
    """

    def __init__(self, truth_vcf: str | Path, confident_bed: str | Path, reference: Reference):
        self.path = Path(truth_vcf)
        self.reference = reference
        self._vf = open_vcf(self.path, "truth VCF", "--truth")
        if self._vf.index is None:
            raise GenotorchError(f"truth VCF {self.path} has no tabix index: run `tabix -p vcf {self.path}`")
        check_vcf_matches_reference(self._vf, reference, self.path, "--truth")
        self.confident_path = Path(confident_bed)
        self.confident = IntervalIndex(read_bed(confident_bed, reference.lengths))
        self._contigs = {strip_chr(c): c for c in self._vf.index.keys()}

    def check_regions(self, regions: Sequence[Interval]) -> None:
        """The truth VCF and the confident BED must both say something about the contigs of ``regions``:
        a truth on other contig names would label every candidate hom-ref, a BED on none would label nothing.

        Raises
        ------
        GenotorchError
            Naming the file, its contigs and the regions' contigs.
        """
        wanted = sorted({r.contig for r in regions})
        if not any(strip_chr(c) in self._contigs for c in wanted):
            raise GenotorchError(
                f"truth VCF {self.path} has records on {_names(self._contigs.values())} but none on the regions' "
                f"contig(s) {_names(wanted)}: check --truth (names may differ only by a 'chr' prefix)")
        if not any(self.confident.overlaps(r.contig, r.start, r.end) for r in regions):
            raise GenotorchError(
                f"confident BED {self.confident_path} has no interval on {', '.join(r.to_region_string() for r in regions[:3])}"
                f"{' ...' if len(regions) > 3 else ''} (it has {len(self.confident)} on the reference's contigs): "
                f"check --confident")

    def truth_variants(self, contig: str, start: int, end: int) -> list[TruthVariant]:
        """Truth records overlapping ``[start, end)`` with a non-reference diploid genotype, as
        :class:`TruthVariant` (symbolic alleles kept for the caller to skip)."""
        name = self._contigs.get(strip_chr(contig))
        if name is None:
            return []
        out = []
        for rec in vcf_records(self._vf, self.path, "--truth", name, max(0, start), end):
            sample = rec.samples[0] if len(rec.samples) else None
            gt = tuple(a or 0 for a in (sample.get("GT") or ())) if sample is not None else ()
            if len(gt) == 1:
                gt = (gt[0], gt[0])  # haploid call (e.g. chrX in a male): both copies
            if len(gt) != 2 or gt == (0, 0):
                continue
            out.append(TruthVariant(rec.start, tuple(a.upper() for a in rec.alleles), (gt[0], gt[1]),
                                    bool(sample.phased)))
        return out

    def masks_for(self, candidates: Sequence[Candidate], chunk: Interval, pad: int = 200) -> list[int]:
        """Haplotype masks (0-3, see :mod:`genotorch.variants.haplotype_labels`) of the candidates of one chunk,
        -1 outside the confident regions; truth fetched once for the chunk +/- ``pad`` bp."""
        truth = self.truth_variants(chunk.contig, chunk.start - pad, chunk.end + pad)
        fetch = functools.partial(self.reference.fetch, chunk.contig)
        masks = haplotype_masks([(c.pos, c.ref, c.alt) for c in candidates], truth, fetch)
        return [m if self.confident.contains(c.contig, c.pos, c.end) else NO_LABEL
                for c, m in zip(candidates, masks)]

    def labels_for(self, candidates: Sequence[Candidate], chunk: Interval, pad: int = 200) -> list[int]:
        """Genotype labels (copies of each candidate allele: 0, 1, 2; -1 outside the confident regions)."""
        return [m if m == NO_LABEL else mask_label(m) for m in self.masks_for(candidates, chunk, pad)]
