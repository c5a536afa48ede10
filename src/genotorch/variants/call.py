"""call: candidates -> pileups -> model -> genotypes -> bgzipped, indexed VCF.

The pileups are made with the make-examples settings stored in the model checkpoint, so they always match what the
model was trained on. Alternatively precomputed examples (``--examples``) are checked against the checkpoint's
channels and shape first.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import tempfile
from pathlib import Path
from typing import Callable, Sequence

import h5py
import numpy as np
import torch

from genotorch.errors import GenotorchError
from genotorch.io.alignments import (
    DuplicateCheck, check_duplicates, haplotype_tag_fraction, median_read_length, sample_name,
)
from genotorch.io.examples import check_compatible, read_example_info, read_variants, variant_candidates
from genotorch.io.files import prepare_output
from genotorch.io.intervals import Interval, contig_alias
from genotorch.io.reference import Reference
from genotorch.io.variants import VcfWriter, write_vcf
from genotorch.models.checkpoint import load_classifier
from genotorch.models.inference import cpu_threads, inference_device, predict_array
from genotorch.variants.allele_balance import AlleleBalance, genotype_from_allele_balance
from genotorch.variants.candidates import Candidate
from genotorch.variants.make_examples import (
    DEFAULT_MAX_CANDIDATES_PER_KB, CandidateRateCheck, Inputs, MakeExamplesConfig, check_workers, config_differences,
    iter_chunk_results, open_run,
)
from genotorch.variants.gvcf import gvcf_blocks
from genotorch.variants.mate_overlap import ref_from_mate_overlap
from genotorch.variants.phasing import phase_reads, whatshap_executable
from genotorch.variants.postprocess import CallRecord, postprocess
from genotorch.variants.presets import LONG_READ_BP, check_reads_fit, get_preset
from genotorch.variants.read_linkage import ReadLinkage, het_from_read_linkage
from genotorch.variants.repeat_genotypes import StutterTable, het_from_repeat_lengths, hom_alt_from_repeat_lengths


logger = logging.getLogger(__name__)


# Pileups per forward pass. On one CPU thread (1 Mb of 30x pileups, 100 x 221): batches of 8 took 1.9 s, of 32
# 3.4 s, of 256 8.7 s, with bit-identical outputs: small batches keep the activations in cache. A GPU wants large.
CPU_BATCH, GPU_BATCH = 8, 256


def predict_probs(model: torch.nn.Module, pileups, batch_size: int | None = None) -> np.ndarray:
    """Softmax genotype probabilities, shape (N, 3), float64, for uint8 pileups (N, C, H, W) (an array or an HDF5
    dataset), through the shared inference runner (:mod:`genotorch.models.inference`: CUDA when present).
    ``batch_size``: None for ``CPU_BATCH`` on the CPU, ``GPU_BATCH`` on CUDA."""
    if batch_size is None:
        batch_size = CPU_BATCH if inference_device().type == "cpu" else GPU_BATCH
    if inference_device().type == "cpu":  # NHWC weights: oneDNN's convolutions take less time per example
        model.to(memory_format=torch.channels_last)
    return predict_array(model, pileups, batch_size, "softmax") if len(pileups) else np.zeros((0, 3))


def call_variants(reference: str, reads: str, model_path: str, output: str, regions: Sequence[str] | None = None,
                  workers: int = 1, min_qual: float = 1.0, batch_size: int | None = None,
                  progress: Callable[[int, int, int], None] | None = None,
                  max_candidates_per_kb: float = DEFAULT_MAX_CANDIDATES_PER_KB, command: str = "",
                  preset: str | None = None, shard: str | None = None, gvcf: str | None = None, phase: bool = True,
                  phasing_note: str | None = None, threads: int | None = 1, repeat_zygosity: bool = True,
                  allele_balance: bool = True, read_linkage: bool = True, mate_overlap: bool = True) -> dict:
    """Call variants in ``regions`` of ``reads`` and write ``output`` (.vcf.gz + .tbi).

    The regions are cut into make-examples chunks (``chunk_bp`` of the model's settings); ``shard="i/n"`` keeps
    chunks ``i, i+n, ...`` (as ``make-examples --shard``), so n shard VCFs merged by ``bcftools concat -a`` equal
    one call over the regions, record for record. Records are written as chunks finish, in reference order
    (streaming: memory does not grow with the regions' length); the VCF appears only when complete. ``gvcf``: also
    write that gVCF (reference blocks between the variant records, :mod:`genotorch.variants.gvcf`). ``phase``: when
    the model sorts pileup rows by haplotype (the long-read presets) and the reads carry no HP tags, call once,
    phase those calls and tag the reads with WhatsHap (:mod:`genotorch.variants.phasing`), and call again on the
    tagged reads (``phasing_note`` goes into the header). ``threads``: torch's threads for the model on the CPU
    (1 by default: parallel work comes from ``workers`` and shards, and one thread costs the least CPU time per
    example; None leaves torch's setting). ``repeat_zygosity``: when the checkpoint has a stutter table, set het
    indel calls in repeats hom-alt, and RefCall ones het, where the reads' repeat lengths say so
    (:mod:`genotorch.variants.repeat_genotypes`).
    ``allele_balance``: when the checkpoint has an allele-balance error rate, set hom-alt SNP calls (and, with an
    indel rate, indel calls outside repeats) het, and het calls hom-alt or hom-ref, where their allele depths say so
    (:mod:`genotorch.variants.allele_balance`). ``read_linkage``: with that error rate, set RefCall SNPs het whose
    alt reads are one haplotype of a neighbouring het call (:mod:`genotorch.variants.read_linkage`).
    ``mate_overlap``: set het calls hom-ref whose alt fragments are all overlapping read pairs, where the site's
    other fragments say that is unlikely for a real allele (:mod:`genotorch.variants.mate_overlap`; not with the
    long-read presets, whose reads come unpaired).

    Returns
    -------
    dict with counts: candidates, records, pass.

    Raises
    ------
    GenotorchError
        Input problems (files, contigs, regions, checkpoint).
    """
    check_output(output, min_qual)
    if gvcf is not None:
        if not str(gvcf).endswith(".g.vcf.gz"):
            raise GenotorchError(f"--gvcf {gvcf} must end in .g.vcf.gz (a bgzipped, tabix-indexed gVCF is written)")
        if Path(gvcf).resolve() == Path(output).resolve():
            raise GenotorchError(f"--gvcf {gvcf} is also --output: give the gVCF its own name")
        prepare_output(gvcf, "--gvcf")
    check_workers(workers)
    model, meta = load_classifier(model_path, kind="pileup")
    me_config = MakeExamplesConfig.from_dict(meta["example_info"]["config"])
    inputs = Inputs(reference, reads)
    probe, region_list, chunks = open_run(inputs, me_config, regions, shard)
    order = {c: i for i, c in enumerate(probe.reference.lengths)}
    chunks = sorted(chunks, key=lambda iv: (order.get(iv.contig, len(order)), iv.start))  # reference order
    first = region_list[0]
    median = median_read_length(probe.alignments, first.contig, first.start, first.end)
    if preset:
        check_reads_fit(get_preset(preset), median, reads)
    elif median > LONG_READ_BP and me_config.realign.enabled:  # a short-read model given long reads
        logger.warning(f"warning: the reads of {reads} look like long reads (median {median:,} bp), but {model_path} "
                       f"is a short-read (Illumina) model: expect poor indel calls")
    warn_unflagged_duplicates(check_duplicates(probe.alignments, first.contig, first.start, first.end), reads, first)
    if phase and me_config.pileup.row_order == "haplotype" and \
            haplotype_tag_fraction(probe.alignments, first.contig, first.start, first.end) < 0.1:
        whatshap_executable()  # missing: one clear line before any work
        with tempfile.TemporaryDirectory(prefix=".genotorch-phase-", dir=Path(output).resolve().parent) as tmp:
            work = Path(tmp)
            logger.info("phasing: the reads carry no HP tags: a first pass, then whatshap phase + haplotag")
            call_variants(reference, reads, model_path, str(work / "first_pass.vcf.gz"), regions, workers, min_qual,
                          batch_size, None, max_candidates_per_kb, command, preset, shard, phase=False,
                          threads=threads, repeat_zygosity=repeat_zygosity, allele_balance=allele_balance,
                          read_linkage=read_linkage, mate_overlap=mate_overlap)
            tagged, n = phase_reads(reference, reads, work / "first_pass.vcf.gz", work, region_list, workers)
            return call_variants(reference, str(tagged or reads), model_path, output, regions, workers, min_qual,
                                 batch_size, progress, max_candidates_per_kb, command, preset, shard, gvcf,
                                 phase=False, phasing_note=f"whatshap phase + haplotag on {n} first-pass het calls",
                                 threads=threads, repeat_zygosity=repeat_zygosity, allele_balance=allele_balance,
                                 read_linkage=read_linkage, mate_overlap=mate_overlap)
    rate = CandidateRateCheck(max_candidates_per_kb, reference, reads)
    counts = {"candidates": 0, "records": 0, "pass": 0}
    sample = sample_name(probe.alignments)
    meta, stutter = _step(meta, "stutter", StutterTable, repeat_zygosity)
    meta, balance = _step(meta, "allele_balance", AlleleBalance, allele_balance)
    linkage = ReadLinkage(balance.error_rate, min_qual=min_qual) if balance is not None and read_linkage else None
    mate_overlap = mate_overlap and not (preset and get_preset(preset).long_reads)  # long reads come unpaired
    extra = _header_lines(model_path, meta, command, preset, shard, linkage, mate_overlap)
    if phasing_note:
        extra.append(f"##genotorch_phasing={phasing_note}")
    held: list[CallRecord] = []  # records not yet written: a chunk's record may lie before the next chunk starts
    skip_until: dict[str, int] = {}  # gVCF: end of the last variant record's REF allele per contig
    with contextlib.ExitStack() as stack:
        stack.enter_context(cpu_threads(threads))
        vcf = stack.enter_context(VcfWriter(output, probe.reference.lengths, sample, extra))
        g = stack.enter_context(VcfWriter(gvcf, probe.reference.lengths, sample, extra, gvcf=True, flag="--gvcf")) \
            if gvcf else None
        for k, (chunk, res) in enumerate(zip(chunks, iter_chunk_results(inputs, chunks, me_config, workers, probe)),
                                         1):
            rate.add(res)
            probs = predict_probs(model, res.pileups, batch_size)
            chunk_records = postprocess(res.candidates, probs, min_qual)
            fetch = functools.partial(probe.reference.fetch, chunk.contig)
            if stutter is not None:  # indels in repeats whose reads' repeat lengths say another zygosity
                chunk_records = [hom_alt_from_repeat_lengths(r, probe.alignments, fetch, stutter, chunk_records)
                                 for r in chunk_records]
                for i, r in enumerate(chunk_records):  # in turn: a tract's second candidate sees the first's het
                    chunk_records[i] = het_from_repeat_lengths(r, probe.alignments, fetch, stutter, chunk_records,
                                                               min_qual)
            if balance is not None:  # SNPs and indels outside repeats whose allele depths say another zygosity
                chunk_records = [genotype_from_allele_balance(r, balance, fetch) for r in chunk_records]
            if mate_overlap:  # het calls whose alt is seen only on overlapping read pairs
                chunk_records = [ref_from_mate_overlap(r, probe.alignments, fetch, min_qual) for r in chunk_records]
            if linkage is not None:  # RefCall SNPs whose alt reads are one haplotype of a neighbouring het
                chunk_records = het_from_read_linkage(chunk_records, probe.alignments, linkage)
            counts["candidates"] += len(res.candidates)
            counts["records"] += len(chunk_records)
            counts["pass"] += sum(r.filter == "PASS" for r in chunk_records)
            if g is not None:
                _write_gvcf_chunk(g, chunk, res, chunk_records, skip_until)
            held.extend(chunk_records)
            held.sort(key=lambda r: (order[r.contig], r.pos))  # stable: a site's records keep their order
            nxt = chunks[k] if k < len(chunks) else None
            done = [r for r in held if nxt is None or (order[r.contig], r.pos) < (order[nxt.contig], nxt.start)]
            held = held[len(done):]
            for r in done:
                vcf.write(r)
            if progress:
                progress(k, len(chunks), counts["candidates"])
    return counts


def _write_gvcf_chunk(g: VcfWriter, chunk, res, records: list[CallRecord], skip_until: dict[str, int]) -> None:
    """A chunk's gVCF records: reference blocks between its variant records, in position order."""
    blocks = gvcf_blocks(chunk, res.ref_bases, res.site_counts, records, skip_until.get(chunk.contig, -1))
    for r in records:
        skip_until[chunk.contig] = max(skip_until.get(chunk.contig, -1), r.pos + len(r.ref))
    for r in sorted([*blocks, *records], key=lambda r: r.pos):
        g.write(r)


def warn_unflagged_duplicates(check: DuplicateCheck, reads: str, region: Interval, min_reads: int = 1000,
                              min_fraction: float = 0.05) -> bool:
    """Log a warning naming ``reads`` and ``region`` (0-based, half-open; printed 1-based), and return True, when at
    least ``min_fraction`` of the paired reads of ``check`` (at least ``min_reads`` of them) look like unflagged
    duplicates: like DeepVariant and bcftools, genotorch skips flagged duplicates only, so PCR and optical copies of
    a fragment would count as independent reads. On the HG002 HiSeq X slices in ../shared (no duplicate flags) 19%
    of reads are such copies; after ``samtools markdup`` 0.3%; on the HG001 sets and simulated reads 0-0.2%."""
    if check.reads < min_reads or check.unflagged_fraction < min_fraction:
        return False
    logger.warning(f"warning: {check.unflagged_copies:,} of {check.reads:,} paired reads of {reads} in "
                   f"{region.contig}:{region.start + 1}-{region.end} repeat another read's position, strand, mate "
                   f"position and insert size ({check.unflagged_fraction:.0%}) but are not flagged as duplicates: "
                   f"mark duplicates first (samtools markdup, Picard MarkDuplicates); genotorch skips flagged "
                   f"duplicates only, so these count as independent reads")
    return True


def call_from_examples(examples: str | Sequence[str], reference: str, model_path: str, output: str,
                       min_qual: float = 1.0, batch_size: int | None = None, command: str = "",
                       threads: int | None = 1, allele_balance: bool = True) -> dict:
    """Call from make-examples HDF5 files (e.g. one per ``--shard``, made on other machines) instead of reads:
    their examples are pooled and sorted by position, so shards give the VCF one file would. ``allele_balance`` as
    in :func:`call_variants` (it needs only the records' allele depths); the repeat-length, read-linkage and
    mate-overlap steps need reads and are not run.

    Raises
    ------
    GenotorchError
        When a file's channels or shape differ from the model's, or its variants are not on ``reference``.
    """
    files = [examples] if isinstance(examples, (str, Path)) else list(examples)
    check_output(output, min_qual)
    model, meta = load_classifier(model_path, kind="pileup")
    ref = Reference(reference)
    cands: list[Candidate] = []
    probs = []
    sample = "SAMPLE"
    for path in files:
        info = read_example_info(path)
        check_compatible(info, meta["example_info"]["channels"], meta["example_info"]["shape"], path, "--model")
        differ = config_differences(info.get("config", {}), meta["example_info"]["config"])
        if differ:
            logger.warning(f"warning: {path} was made with other make-examples settings than {model_path} calls "
                           f"with: {'; '.join(differ)}. Its pileups are not drawn as the model expects; make the "
                           f"examples with the model's settings for calls you can trust")
        sample = info.get("sample", sample)
        v = read_variants(path)
        check_examples_match_reference(v, ref, path)
        with h5py.File(path, "r") as h5, cpu_threads(threads):
            probs.append(predict_probs(model, h5["pileups"], batch_size))
        cands += variant_candidates(v)
    order = {c: i for i, c in enumerate(ref.lengths)}
    rank = sorted(range(len(cands)), key=lambda i: (order.get(contig_alias(cands[i].contig, ref.lengths), 0),
                                                    cands[i].pos))  # stable: a site's examples stay in order
    all_probs = np.concatenate(probs) if probs else np.zeros((0, 3))
    records = postprocess([cands[i] for i in rank], all_probs[rank], min_qual)
    if meta.get("stutter"):  # needs the reads' repeat lengths, which example files do not hold
        logger.warning(f"note: {model_path} sets het indels in repeats hom-alt when the reads' repeat lengths say so; "
                       f"example files hold no reads, so `call --examples` leaves them as the network calls them "
                       f"(`call --reads` applies it)")
        meta = _without(meta, "stutter")
    meta, balance = _step(meta, "allele_balance", AlleleBalance, allele_balance)
    if balance is not None:
        fetches = {c: functools.partial(ref.fetch, name) for c in {r.contig for r in records}
                   if (name := contig_alias(c, ref.lengths))}
        records = [genotype_from_allele_balance(r, balance, fetches.get(r.contig)) for r in records]
    _write(output, records, ref, sample, model_path, meta, command)
    return _stats(len(cands), records)


def _stats(n_candidates: int, records: list[CallRecord]) -> dict:
    return {"candidates": n_candidates, "records": len(records), "pass": sum(r.filter == "PASS" for r in records)}


def check_output(output: str, min_qual: float) -> None:
    """Checks of the output and the calling settings, before any work.

    Raises
    ------
    GenotorchError
        ``output`` not ending in ``.vcf.gz``, not writable, or ``min_qual`` below 0.
    """
    if not str(output).endswith(".vcf.gz"):
        raise GenotorchError(f"--output {output} must end in .vcf.gz (a bgzipped, tabix-indexed VCF is written)")
    if min_qual < 0:
        raise GenotorchError(f"--min-qual {min_qual}: QUAL is a phred score, give 0 or more")
    prepare_output(output, "--output")


def check_examples_match_reference(v: dict, reference: Reference, path, sample: int = 200) -> None:
    """The examples' contigs must be in ``reference`` and their REF alleles must match it (first ``sample``).

    Raises
    ------
    GenotorchError
        Examples made on another reference build than ``--ref``.
    """
    contigs = sorted(set(v["contig"].tolist()))
    missing = [c for c in contigs if contig_alias(c, reference.lengths) is None]
    if missing:
        raise GenotorchError(f"{path} has examples on {', '.join(missing[:3])}, which {reference.path} lacks: give "
                             f"the --ref the examples were made with")
    n = min(sample, len(v["pos"]))
    bad = sum(reference.fetch(contig_alias(str(v["contig"][i]), reference.lengths), int(v["pos"][i]),
                              int(v["pos"][i]) + len(v["ref"][i])) != str(v["ref"][i]).upper() for i in range(n))
    if n and bad > 0.1 * n:
        raise GenotorchError(f"{bad} of the first {n} REF alleles of {path} differ from {reference.path}: the "
                             f"examples were made on another reference; give the --ref they were made with")


def _write(output: str, records: list[CallRecord], reference: Reference, sample: str, model_path: str, meta: dict,
           command: str) -> None:
    order = {c: i for i, c in enumerate(reference.lengths)}
    records.sort(key=lambda r: (order[r.contig], r.pos))
    write_vcf(output, records, reference.lengths, sample, _header_lines(model_path, meta, command))


def _step(meta: dict, key: str, kind, on: bool) -> tuple[dict, object]:
    """``(meta, the step's table)`` for a genotype step whose table the checkpoint stores in ``meta[key]``
    (``stutter``: :class:`StutterTable`; ``allele_balance``: :class:`AlleleBalance`): ``kind.from_dict`` of it, or
    None, with the key dropped from ``meta``, when the checkpoint has none or ``on`` is False."""
    if not on:
        meta = _without(meta, key)
    return meta, kind.from_dict(meta[key]) if meta.get(key) else None


def _without(meta: dict, key: str) -> dict:
    """The checkpoint's meta without ``key`` (``stutter``, ``allele_balance``): the genotype step that uses it is not
    run, nor claimed in the header."""
    return {k: v for k, v in meta.items() if k != key}


def _header_lines(model_path: str, meta: dict, command: str, preset: str | None = None,
                  shard: str | None = None, linkage: ReadLinkage | None = None, mate_overlap: bool = False
                  ) -> list[str]:
    extra = [f"##genotorch_model={Path(model_path).resolve()}",
             f"##genotorch_command={command}",
             f"##genotorch_make_examples={json.dumps(meta['example_info']['config'], sort_keys=True)}"]
    if preset:
        extra.append(f"##genotorch_preset={preset}")
    if shard:
        extra.append(f"##genotorch_shard={shard}")
    if meta.get("training_protocol"):
        extra.append(f"##genotorch_model_training={meta['training_protocol']}")
    if meta.get("calibration"):
        extra.append(f"##genotorch_model_calibration={json.dumps(meta['calibration'], sort_keys=True)}")
    if meta.get("stutter"):
        st = meta["stutter"]
        het = (f", and RefCall indels there het beyond the largest het-vs-hom-ref log ratio of hom-ref tracts "
               f"({st['het_threshold']:.2f}; Dirichlet-multinomial, dispersion {st['dispersion']:.1f})"
               if st.get("het_threshold") is not None else "")
        extra.append(f"##genotorch_repeat_zygosity=het indels in repeats set hom-alt by the reads' repeat lengths"
                     f" (reads aligned {st.get('min_flank', 2)} bp beyond the tract on both sides)"
                     f"{het} (stutter table: {st.get('source', '')})")
    if meta.get("allele_balance"):
        ab = meta["allele_balance"]
        indel = (f"; indels outside repeats too, error rate {ab['indel_error_rate']:.4f}"
                 if ab.get("indel_error_rate") is not None else "")
        extra.append(f"##genotorch_allele_balance=hom-alt SNPs set het, and het SNPs hom-alt or hom-ref, when their "
                     f"allele depths make that genotype more likely "
                     f"(binomial, error rate {ab['error_rate']:.4f}{indel}; counted on {ab.get('source', '')})")
    if linkage is not None:
        extra.append(f"##genotorch_read_linkage=RefCall SNPs set het when their alt reads are one haplotype of a het "
                     f"SNP call within {linkage.max_distance} bp (read pairs; error rate {linkage.error_rate:.4f})")
    if mate_overlap:
        extra.append("##genotorch_mate_overlap=het calls set hom-ref when all (>= 2) of their alt fragments are "
                     "overlapping read pairs, weighed by the site's rate of overlapping pairs (r**k)")
    return extra
