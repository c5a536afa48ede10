"""Picture commands: render (IGV-like PNGs from reads, or pileup tensors channel by channel), igv-batch,
negative-sites."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from genotorch.cli.common import console, user_errors


@user_errors
def render_cmd(
    out_dir: Path = typer.Option(..., "--output", "-o", help="Folder for the PNGs (one per site: chr_start_end.png)."),
    ref: Optional[Path] = typer.Option(None, "--ref", help="Reference FASTA (with --reads)."),
    reads: Optional[Path] = typer.Option(None, "--reads", help="BAM/CRAM, indexed."),
    sites: Optional[Path] = typer.Option(None, "--sites", help="VCF (each POS) or BED (each interval's centre)."),
    region: Optional[List[str]] = typer.Option(None, "--regions", help="Site(s): chr:pos (that base) or chr:start-end "
                                               "(1-based; its centre); several separated by spaces or commas."),
    examples: Optional[Path] = typer.Option(None, "--examples", help="make-examples HDF5: draw its pileup tensors instead."),
    index: Optional[List[int]] = typer.Option(None, "--index", help="With --examples: which examples (default: the first 10)."),
    flank: int = typer.Option(50, help="Bases each side of the site."),
    px_per_base: int = typer.Option(6, help="Pixels per base."),
    max_rows: int = typer.Option(60, help="Read rows drawn (fixed picture height; deterministic downsampling above)."),
    layout: str = typer.Option("collapsed", help="collapsed (pack reads into rows) or one_per_row."),
    seed: int = typer.Option(0, help="Seed of the row downsampling."),
    realign: bool = typer.Option(False, "--realign/--no-realign", help="Draw the reads after haplotype-aware local "
                                 "realignment, as make-examples sees them (compare with and without)."),
):
    """Draw IGV-like pictures of the reads at sites (no IGV needed), or pileup tensors from make-examples."""
    from genotorch.errors import GenotorchError
    from genotorch.render.reads import RenderConfig, render_site, render_tensor, save_png
    from genotorch.render.sites import read_sites, site_name

    if examples:
        import h5py

        from genotorch.io.examples import read_example_info, read_variants

        info = read_example_info(examples)
        v = read_variants(examples)
        with h5py.File(examples, "r") as h5:
            n = len(h5["labels"])
            for i in index or range(min(10, n)):
                if not 0 <= i < n:
                    raise GenotorchError(f"--index {i}: {examples} has {n} examples")
                name = f"{i:06d}_{v['contig'][i]}_{int(v['pos'][i]) + 1}_{v['ref'][i]}_{v['alt'][i]}.png"
                save_png(render_tensor(h5["pileups"][i], info["channels"]), out_dir / name,
                         f"channels: {', '.join(info['channels'])}")
        console.print(f"wrote {len(index or range(min(10, n)))} tensor pictures to {out_dir} "
                      f"(channels left to right: {', '.join(info['channels'])})")
        return
    if not (ref and reads):
        raise GenotorchError("give --ref and --reads (or --examples)")
    cfg = RenderConfig(flank=flank, px_per_base=px_per_base, max_rows=max_rows, layout=layout, seed=seed)
    from genotorch.io.alignments import open_alignments
    from genotorch.io.intervals import match_contig, parse_region, split_region_specs
    from genotorch.io.reference import Reference

    reference = Reference(ref)
    bam = open_alignments(reads, reference)
    todo = read_sites(sites, reference.lengths) if sites else []
    for text in split_region_specs(region or []):
        iv = parse_region(text, reference.lengths, flag="--regions", single_base=True)
        todo.append((iv.contig, (iv.start + iv.end - 1) // 2))
    if not todo:
        raise GenotorchError("no site to draw: give --sites or --region")
    realigner = None
    if realign:
        from genotorch.variants.realign import RealignConfig, realign_reads

        realigner = lambda ev, fetch, a, b: realign_reads(ev, fetch, a, b, RealignConfig())[0]  # noqa: E731
    for contig, pos in todo:
        c = match_contig(contig, reference.lengths, "site contig")
        name = site_name(contig, pos, flank).replace(",", "") + ("_realigned" if realign else "")
        save_png(render_site(bam, reference, c, pos, cfg, realigner), out_dir / f"{name}.png",
                 f"{c}:{pos + 1} {reads}{' (realigned)' if realign else ''}")
    console.print(f"wrote {len(todo)} pictures ({cfg.size[1]}x{cfg.size[0]} px) to {out_dir}")


@user_errors
def igv_batch_cmd(
    sites: Path = typer.Option(..., "--sites", help="VCF (each POS) or BED (each interval's centre)."),
    genome: str = typer.Option(..., "--genome", help="IGV genome id (hg19, hg38) or a FASTA path."),
    reads: List[str] = typer.Option(..., "--reads", help="BAM/CRAM path(s) or URL(s) to load."),
    snapshot_dir: str = typer.Option(..., "--snapshot-dir", help="Where IGV writes the PNGs."),
    output: Path = typer.Option(..., "--output", "-o", help="Batch script to write (run with igv.sh -b FILE)."),
    flank: int = typer.Option(150, help="Bases each side of the site (IGV window = 2 x flank + 1)."),
    layout: str = typer.Option("collapse", help="collapse, squish or expand."),
    max_panel_height: int = typer.Option(500, help="IGV maxPanelHeight (px)."),
):
    """Write an IGV batch script that snapshots every site (for users who want real IGV screenshots)."""
    from genotorch.render.sites import igv_batch, read_sites, write_text

    s = read_sites(sites)
    write_text(output, igv_batch(s, genome, reads, snapshot_dir, flank, layout, max_panel_height))
    console.print(f"wrote {output}: {len(s)} snapshots into {snapshot_dir} (run: igv.sh -b {output})")


@user_errors
def negative_sites_cmd(
    truth: Path = typer.Option(..., "--truth", help="Truth VCF (known variants: negatives keep away from them)."),
    kind: str = typer.Option(..., "--kind", help="random (covered positions), near (2-50 bp from a variant) or lookalike (candidates absent from the truth)."),
    output: Path = typer.Option(..., "--output", "-o", help="BED of the sites (1-bp intervals)."),
    n: int = typer.Option(100, "--number", "-n", help="How many sites (at most)."),
    regions: Optional[List[str]] = typer.Option(None, "--regions", help="Regions (chr:start-end or BED) for random/lookalike."),
    reads: Optional[Path] = typer.Option(None, "--reads", help="BAM/CRAM (random: coverage; lookalike: candidates)."),
    ref: Optional[Path] = typer.Option(None, "--ref", help="Reference FASTA."),
    min_depth: int = typer.Option(5, help="random: minimum read depth at the site."),
    seed: int = typer.Option(0, help="Seed: the same seed gives the same sites."),
):
    """Negative sites for screenshot/picture datasets, reproducible with a seed, written as a BED."""
    from genotorch.io.intervals import parse_regions
    from genotorch.io.reference import Reference
    from genotorch.render.sites import read_sites, write_text
    from genotorch.variants.negative_sites import negative_sites

    iv = parse_regions(list(regions), Reference(ref).lengths) if (regions and ref) else []
    s = negative_sites(kind, n, seed, truth_sites=read_sites(truth, flag="--truth"), regions=iv,
                       reads=str(reads) if reads else None, ref=str(ref) if ref else None, min_depth=min_depth)
    write_text(output, "".join(f"{c}\t{p}\t{p + 1}\t{kind}\n" for c, p in s))
    console.print(f"wrote {len(s)} {kind} negative sites to {output}")
