"""VCF writing (bgzipped + tabix-indexed, via pysam) for genotorch calls.

The header carries the reference's contigs with lengths, FILTER definitions (PASS, RefCall, LowQual), FORMAT
GT:GQ:DP:AD:VAF:PL, the sample name, and the genotorch version, model and command line that made the file.
The file is written under a temporary name and renamed with its index when complete.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

import pysam

import genotorch
from genotorch.io.files import prepare_output, temporary_name
from genotorch.variants.postprocess import CallRecord

FORMAT_LINES = [
    ("GT", "1", "String", "Genotype"),
    ("GQ", "1", "Integer", "Conditional genotype quality: -10log10(1 - P(GT))"),
    ("DP", "1", "Integer", "Read depth at the site (reads with a counted base)"),
    ("AD", "R", "Integer", "Read depth for each allele"),
    ("VAF", "A", "Float", "Variant allele fractions"),
    ("PL", "G", "Integer", "Phred-scaled genotype likelihoods rounded to the closest integer"),
]


def make_header(contigs: dict[str, int], sample: str, extra: Sequence[str] = ()) -> pysam.VariantHeader:
    h = pysam.VariantHeader()
    h.add_line(f"##source=genotorch-{genotorch.__version__}")
    for name, length in contigs.items():
        h.contigs.add(name, length=length)
    h.filters.add("RefCall", None, None, "Genotyping model thinks this site is reference")
    h.filters.add("LowQual", None, None, "QUAL below the calling threshold")
    for fid, num, typ, desc in FORMAT_LINES:
        h.formats.add(fid, num, typ, desc)
    for line in extra:
        h.add_line(line)
    h.add_sample(sample)
    return h


def write_vcf(path: str | Path, records: Iterable[CallRecord], contigs: dict[str, int], sample: str,
              extra_header: Sequence[str] = ()) -> Path:
    """Write ``path`` (``.vcf.gz``) and ``path.tbi``; returns the path. Records must be sorted."""
    path = prepare_output(path, "--output")
    tmp = temporary_name(path, ".vcf")
    header = make_header(contigs, sample, extra_header)
    try:
        with pysam.VariantFile(str(tmp), "w", header=header) as vf:
            for r in records:
                rec = vf.new_record(contig=r.contig, start=r.pos, stop=r.pos + len(r.ref),
                                    alleles=(r.ref, *r.alts), qual=r.qual, filter=r.filter)
                s = rec.samples[sample]
                s["GT"] = r.gt
                s["GQ"] = r.gq
                s["DP"] = r.dp
                s["AD"] = tuple(r.ad)
                s["VAF"] = tuple(r.vaf)
                s["PL"] = tuple(r.pl)
                vf.write(rec)
        gz = pysam.tabix_index(str(tmp), preset="vcf", force=True, keep_original=False)
        os.replace(gz, path)
        os.replace(gz + ".tbi", str(path) + ".tbi")
    finally:
        for p in (tmp, Path(str(tmp) + ".gz"), Path(str(tmp) + ".gz.tbi")):
            if p.exists():
                p.unlink()
    return path
