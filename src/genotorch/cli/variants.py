"""Variant-calling commands: make-examples, call, evaluate."""

from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional

import typer

from genotorch.cli.common import chunk_progress, command_line, console, user_errors
from genotorch.encode.pileup import DEFAULT_CHANNELS as DEFAULT_CHANNEL_NAMES

CONTIG_RULE = ("Contig names that differ only by a 'chr' prefix (truth '20', reads 'chr20') are matched; "
               "no other renaming is done.")

RATE_HELP = ("Stop when candidates per kb of covered reference exceed this (real data: 1-3; a --ref with other "
             "bases than the reads' reference: over 100); 0 turns the check off.")
REGIONS_HELP = "Region(s): 1-based closed chr:start-end strings and/or BED files (0-based). Default: whole reference."


@user_errors
def make_examples_cmd(
    ref: Path = typer.Option(..., "--ref", help="Reference FASTA (plain or bgzipped), indexed (.fai/.gzi)."),
    reads: Path = typer.Option(..., "--reads", help="Aligned reads, BAM or CRAM, indexed (.bai/.csi/.crai)."),
    output: Path = typer.Option(..., "--output", "-o", help="HDF5 example file to write (.h5); example_info.json beside it."),
    regions: Optional[List[str]] = typer.Option(None, "--regions", help=REGIONS_HELP),
    truth: Optional[Path] = typer.Option(None, "--truth", help="Truth VCF (bgzipped + tabix) for labels. " + CONTIG_RULE),
    confident: Optional[Path] = typer.Option(None, "--confident", help="Confident-regions BED; candidates outside get no label (-1)."),
    shard: Optional[str] = typer.Option(None, "--shard", help="Process only shard i/n of the chunks (e.g. 0/4), for clusters."),
    workers: int = typer.Option(1, "--workers", "-j", help="Processes for this shard; the output does not depend on it."),
    height: int = typer.Option(100, help="Pileup height H (5 reference rows + up to H-5 reads)."),
    width: int = typer.Option(221, help="Pileup width W (odd; the candidate is at column W//2)."),
    min_mapping_quality: int = typer.Option(5, help="Skip reads with MAPQ below this (phred)."),
    min_base_quality: int = typer.Option(10, help="Bases below this quality (phred) are not counted."),
    preset: str = typer.Option("illumina", "--preset", help="Sequencing technology (illumina, hifi, ont): the "
                               "defaults of the settings below that it fixes (realignment, candidate fractions)."),
    min_fraction_snps: Optional[float] = typer.Option(None, help="Min alt fraction for an SNV candidate (preset: "
                                                      "0.12; ont 0.08)."),
    min_fraction_indels: Optional[float] = typer.Option(None, help="Min alt fraction for an indel candidate "
                                                        "(preset: 0.06; ont 0.12)."),
    min_count: int = typer.Option(2, help="Min reads supporting an alt allele."),
    seed: int = typer.Option(2101079370, help="Seed of the read downsampling above H-5 reads."),
    channels: str = typer.Option(",".join(DEFAULT_CHANNEL_NAMES), help="Comma-separated pileup channels, in order."),
    max_candidates_per_kb: float = typer.Option(100.0, help=RATE_HELP),
    realign: Optional[bool] = typer.Option(None, "--realign/--no-realign", help="Haplotype-aware local realignment of the reads "
                                 "around indels and soft clips before counting alleles and drawing pileups "
                                 "(DeepVariant's realigner; for short reads)."),
    spanning_indel_reads: Optional[bool] = typer.Option(None, "--spanning-indel-reads/--all-indel-reads", help="An "
                                 "indel's pileup draws only the reads aligned across its homopolymer/STR tract (a "
                                 "read ending inside the repeat cannot show the repeat's length); preset default: "
                                 "on for illumina, off for hifi/ont."),
):
    """Find candidate variants and write their pileup tensors (and genotype labels) to HDF5."""
    from genotorch.encode.pileup import PileupConfig
    from genotorch.variants.candidates import CandidateConfig
    from genotorch.variants.make_examples import Inputs, MakeExamplesConfig, make_examples
    from genotorch.variants.presets import get_preset
    from genotorch.variants.realign import RealignConfig

    p = get_preset(preset)
    min_fraction_snps = p.min_fraction_snps if min_fraction_snps is None else min_fraction_snps
    min_fraction_indels = p.min_fraction_indels if min_fraction_indels is None else min_fraction_indels
    realign = p.realign if realign is None else realign
    spanning_indel_reads = p.spanning_indel_reads if spanning_indel_reads is None else spanning_indel_reads

    cfg = MakeExamplesConfig(
        min_mapping_quality=min_mapping_quality,
        candidates=CandidateConfig(min_base_quality=min_base_quality, min_count_snps=min_count,
                                   min_count_indels=min_count, min_fraction_snps=min_fraction_snps,
                                   min_fraction_indels=min_fraction_indels),
        pileup=PileupConfig(height=height, width=width, min_base_quality=min_base_quality, seed=seed,
                            channels=tuple(c.strip() for c in channels.split(",") if c.strip()),
                            row_order=p.row_order, spanning_indel_reads=spanning_indel_reads),
        realign=RealignConfig(enabled=realign),
    )
    inputs = Inputs(str(ref), str(reads), str(truth) if truth else None, str(confident) if confident else None)
    t0 = time.perf_counter()
    with chunk_progress("make-examples", "examples") as update:
        info = make_examples(inputs, output, cfg, regions, shard, workers, update, max_candidates_per_kb)
    lc = info["label_counts"]
    console.print(f"wrote {info['n_examples']} examples to {output} in {time.perf_counter() - t0:.1f} s "
                  f"(labels: hom-ref {lc['0']}, het {lc['1']}, hom-alt {lc['2']}, unlabelled {lc['-1']})")


@user_errors
def call_cmd(
    ref: Path = typer.Option(..., "--ref", help="Reference FASTA, indexed."),
    reads: Optional[Path] = typer.Option(None, "--reads", help="Aligned reads, BAM or CRAM, indexed."),
    model: Optional[Path] = typer.Option(None, "--model", help="Checkpoint from `genotorch train`. Default: the "
                                         "preset's shipped model (genotorch/models/default, see MODEL_CARD.md)."),
    preset: Optional[str] = typer.Option(None, "--preset", help="Sequencing technology: illumina (default model), "
                                         "hifi or ont: the preset's shipped model, and reads of another technology "
                                         "are refused. Recorded in the VCF header."),
    output: Path = typer.Option(..., "--output", "-o", help="Output VCF (.vcf.gz; a .tbi index is written beside it)."),
    regions: Optional[List[str]] = typer.Option(None, "--regions", help=REGIONS_HELP),
    examples: Optional[List[Path]] = typer.Option(None, "--examples", help="Call from make-examples HDF5 file(s) "
                                                  "instead of --reads (repeat it for one file per --shard)."),
    workers: int = typer.Option(1, "--workers", "-j", help="Processes making pileups."),
    threads: int = typer.Option(1, "--model-threads", min=1, help="Torch threads for the model on the CPU. 1 costs "
                                "the least CPU time per candidate; run more --workers or --shard jobs to use more "
                                "cores."),
    gvcf: Optional[Path] = typer.Option(None, "--gvcf", help="Also write a gVCF (.g.vcf.gz, DeepVariant-style "
                                        "reference blocks with <*>, GQ bands of 5, MIN_DP) for joint genotyping."),
    phase: bool = typer.Option(True, "--phase/--no-phase", help="Long-read presets: when the reads carry no HP tags, "
                               "phase a first pass with WhatsHap, tag the reads and call again (pileups sorted by "
                               "haplotype, as the model was trained)."),
    repeat_zygosity: bool = typer.Option(True, "--repeat-zygosity/--no-repeat-zygosity", help="Set a het indel "
                                         "call in a homopolymer/STR hom-alt, and a RefCall one het, when the reads' "
                                         "repeat lengths, scored with the model's stutter table, say so (models "
                                         "with a table: the Illumina one)."),
    allele_balance: bool = typer.Option(True, "--allele-balance/--no-allele-balance", help="Set a hom-alt SNP call, "
                                        "or a hom-alt indel call outside homopolymers/STRs, het (and a het call "
                                        "hom-alt or hom-ref) when its allele depths make that the more likely "
                                        "genotype under the model's binomial read model (models with error "
                                        "rates: the Illumina one)."),
    read_linkage: bool = typer.Option(True, "--read-linkage/--no-read-linkage", help="Set a RefCall SNP het when "
                                      "its alt reads are one haplotype of a het SNP call within 500 bp (on read "
                                      "pairs covering both; models with an allele-balance error rate). Needs "
                                      "--reads."),
    mate_overlap: bool = typer.Option(True, "--mate-overlap/--no-mate-overlap", help="Set a het call hom-ref when "
                                      "all (>= 2) of its alt fragments are overlapping read pairs (both mates "
                                      "cover the site) and the site's other fragments make that unlikely for a "
                                      "real allele: an error in the library molecule, read twice. Needs --reads; "
                                      "not with --preset hifi/ont (unpaired reads)."),
    shard: Optional[str] = typer.Option(None, "--shard", help="Call only shard i/n of the chunks (e.g. 0/4), one VCF "
                                        "per shard; `bcftools concat -a` of all n equals one call (see workflow/)."),
    min_qual: float = typer.Option(1.0, help="Non-reference calls with QUAL below this get FILTER LowQual."),
    max_candidates_per_kb: float = typer.Option(100.0, help=RATE_HELP),
):
    """Call variants: candidates -> pileups -> model -> bgzipped, indexed VCF (GT:GQ:DP:AD:VAF:PL).

    GT is the most likely of 0/0, 0/1, 1/1; GQ = -10log10(1-P(GT)); QUAL = -10log10(P(0/0)), both capped at 99.
    Two alt alleles at one site combine into 1/2 when that is the most likely genotype (see
    genotorch.variants.postprocess); a third is dropped.
    """
    from genotorch.errors import GenotorchError
    from genotorch.variants.call import call_from_examples, call_variants

    if preset is not None:
        from genotorch.variants.presets import get_preset

        get_preset(preset)  # a bad name stops here, before any work
    if model is None:
        from genotorch.models.default import default_model_path
        from genotorch.variants.presets import get_preset

        model = default_model_path(get_preset(preset or "illumina").model_file)
    t0 = time.perf_counter()
    if examples:
        if gvcf:
            raise GenotorchError("--gvcf needs --reads (the reference blocks come from the reads' counts)")
        if shard:
            raise GenotorchError("--shard applies to --reads; with --examples, give the shards' HDF5 files instead")
        stats = call_from_examples([str(e) for e in examples], str(ref), str(model), str(output), min_qual,
                                   command=command_line(), threads=threads, allele_balance=allele_balance)
    else:
        if reads is None:
            raise GenotorchError("give --reads (BAM/CRAM) or --examples (HDF5 from make-examples)")
        with chunk_progress("call", "candidates") as update:
            stats = call_variants(str(ref), str(reads), str(model), str(output), regions, workers, min_qual,
                                  progress=update, max_candidates_per_kb=max_candidates_per_kb,
                                  command=command_line(), preset=preset, shard=shard,
                                  gvcf=str(gvcf) if gvcf else None, phase=phase, threads=threads,
                                  repeat_zygosity=repeat_zygosity, allele_balance=allele_balance,
                                  read_linkage=read_linkage, mate_overlap=mate_overlap)
    console.print(f"wrote {stats['records']} records ({stats['pass']} PASS) from {stats['candidates']} candidates "
                  f"to {output} in {time.perf_counter() - t0:.1f} s")


@user_errors
def evaluate_cmd(
    calls: Path = typer.Option(..., "--calls", help="VCF of calls (PASS non-ref calls count)."),
    truth: Path = typer.Option(..., "--truth", help="Truth VCF. " + CONTIG_RULE),
    confident: Path = typer.Option(..., "--confident", help="Confident-regions BED; only variants inside count."),
    ref: Path = typer.Option(..., "--ref", help="Reference FASTA (for normalisation)."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the counts and metrics as JSON."),
    errors: Optional[Path] = typer.Option(None, "--errors", help="Write every FP, FN and genotype error as TSV: type, "
                                          "genotypes, FILTER/QUAL/GQ/DP/VAF of the call (or 'no candidate'), "
                                          "homopolymer/STR context; a summary by kind is printed."),
    plots: Optional[Path] = typer.Option(None, "--plots", help="Folder for calibration.png: GQ against the observed "
                                         "genotype error rate of every call record (PASS and RefCall)."),
):
    """TP/FP/FN, precision, recall, F1 for SNPs and indels, counted as hap.py does (alleles normalised, right allele
    with wrong genotype = FP + FN, only PASS calls, only confident regions)."""
    from genotorch.variants.evaluate import evaluate, format_table, write_json

    result = evaluate(str(calls), str(truth), str(confident), str(ref), str(errors) if errors else None,
                      str(plots) if plots else None)
    console.print(format_table(result, f"{calls} vs {truth}"), highlight=False)
    if errors:
        console.print(f"errors by kind ({errors}):", highlight=False)
        for kind, n in result["errors"].items():
            console.print(f"  {n:5d}  {kind}", highlight=False)
    if plots:
        from genotorch.variants.error_report import format_reliability

        console.print(f"GQ calibration ({plots}/calibration.png):\n{format_reliability(result['gq_calibration'])}",
                      highlight=False)
    if json_out:
        write_json(result, json_out)
    return result



@user_errors
def simulate_cmd(
    ref: Path = typer.Option(..., "--ref", help="Reference FASTA, indexed."),
    truth: Path = typer.Option(..., "--truth", help="PHASED truth VCF (bgzipped + tabix), e.g. GIAB's PGandRTGphasetransfer."),
    out_dir: Path = typer.Option(..., "--output", "-o", help="Folder for reads.bam, truth.vcf.gz, confident.bed, "
                                 "run_info.json (--out-dir: the old spelling)."),
    regions: List[str] = typer.Option(..., "--regions", help="Region(s) to simulate: chr:start-end (1-based) and/or BED files."),
    exclude: Optional[List[str]] = typer.Option(None, "--exclude", help="Region(s) that get no reads at all (keep a real test window fair)."),
    depth: float = typer.Option(30.0, help="Mean diploid fold coverage (each haplotype gets half)."),
    read_length: int = typer.Option(150, help="Read length in bp (paired-end)."),
    fragment_mean: int = typer.Option(400, help="Mean fragment (insert) size in bp."),
    fragment_sd: int = typer.Option(50, help="Fragment size standard deviation in bp."),
    profile: str = typer.Option("auto", help="art_illumina sequencing system (HS20, HS25, HSXt, MSv3, ...); auto: by read length."),
    quality_shift: int = typer.Option(0, help="Shift simulated base qualities by this (negative: more sequencing errors)."),
    margin: int = typer.Option(500, help="bp left out of confident.bed at each end of a simulated piece (coverage falls off)."),
    sample: Optional[str] = typer.Option(None, help="Sample in the truth VCF (default: the first)."),
    seed: int = typer.Option(0, help="art_illumina's random seed (the same seed gives the same reads)."),
    threads: int = typer.Option(2, "--workers", "-j", help="bwa mem / samtools sort threads (--threads/-t: the old "
                                "spelling)."),
    contamination: float = typer.Option(0.0, help="Fraction of the depth from a contaminant genome with random "
                                        "variants (hom-ref in the truth): low-fraction negatives for training."),
    contaminant_spacing: int = typer.Option(300, help="Mean bp between the contaminant's random variants."),
    random_variant_spacing: int = typer.Option(0, help="Add seeded random phased variants to the sample, one per "
                                               "this many bp on average (0: only the truth's)."),
    repeat_indel_fraction: float = typer.Option(0.0, help="Of the random indels, the fraction placed as unit "
                                                "expansions/contractions of a nearby homopolymer or STR."),
    technology: str = typer.Option("illumina", help="illumina (art_illumina paired reads, bwa mem), hifi or ont "
                                   "(pbsim long reads with homopolymer-length errors, minimap2; --read-length and "
                                   "--profile do not apply)."),
    haplotype_tags: bool = typer.Option(True, "--haplotype-tags/--no-haplotype-tags", help="Long reads: tag each "
                                        "read HP:i:1 or HP:i:2 by the haplotype it was drawn from (as WhatsHap's "
                                        "haplotag would)."),
    stutter_rate: float = typer.Option(0.0, help="PCR stutter: per read and repeat tract, probability "
                                       "rate x (length - 5) of one unit more or less (0: none)."),
    profile_from: Optional[Path] = typer.Option(None, "--profile-from", help="Real paired reads (BAM/CRAM): build "
                                                "art_illumina's quality profile from them with ART's own profiler "
                                                "(art_profiler_illumina) instead of a built-in --profile; "
                                                "--read-length may not exceed their length."),
):
    """Simulate a labelled Illumina read set from a reference and a phased truth VCF: the sample's two haplotypes
    -> art_illumina paired reads -> bwa mem -> sorted, indexed BAM, with the truth VCF and confident BED to label it
    (then `genotorch make-examples --truth OUT/truth.vcf.gz --confident OUT/confident.bed`). Needs art_illumina
    (Debian package art-nextgen-simulation-tools), bwa and samtools on PATH."""
    from genotorch.variants.simulate import SimulationConfig, simulate_training_data

    cfg = SimulationConfig(depth=depth, read_length=read_length, fragment_mean=fragment_mean, fragment_sd=fragment_sd,
                           profile=profile, quality_shift=quality_shift, margin=margin, seed=seed, sample=sample,
                           threads=threads, contamination=contamination, contaminant_spacing=contaminant_spacing,
                           random_variant_spacing=random_variant_spacing, repeat_indel_fraction=repeat_indel_fraction,
                           stutter_rate=stutter_rate, technology=technology, haplotype_tags=haplotype_tags,
                           profile_reads=str(profile_from) if profile_from else None)
    t0 = time.perf_counter()
    info = simulate_training_data(ref, truth, regions, out_dir, cfg, exclude or (), log=lambda s: console.print(s))
    c = info["counts"]
    console.print(f"wrote {out_dir}/reads.bam ({info['n_reads']} alignments), truth.vcf.gz ({c['truth_records']} "
                  f"records), confident.bed ({c['confident_bp']} bp) in {time.perf_counter() - t0:.1f} s")
