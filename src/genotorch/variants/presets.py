"""Sequencing-technology presets (DeepVariant's ``--model_type``): ``illumina``, ``hifi`` (PacBio HiFi) and ``ont``
(Oxford Nanopore R10).

A preset names its shipped model (``genotorch/models/default/pileup_<preset>.pt``) and the make-examples settings
that model was trained with (DeepVariant's choices: realignment for short reads only; for ONT a higher indel and a
lower SNV fraction, since its reads carry many homopolymer indel errors; for long reads, pileup rows grouped by
the reads' HP haplotype tags), and the read lengths it expects: a BAM
whose median read length says another technology is refused with the preset to use.
"""

from __future__ import annotations

from dataclasses import dataclass

from genotorch.errors import GenotorchError

LONG_READ_BP = 1000  # median read length above which reads are long reads


@dataclass(frozen=True)
class Preset:
    """What a preset fixes: the shipped model's file name, make-examples settings, and whether its reads are long."""

    name: str
    model_file: str
    realign: bool
    min_fraction_snps: float
    min_fraction_indels: float
    long_reads: bool
    row_order: str = "name"  # pileup rows: "haplotype" sorts HP-tagged reads by haplotype (long reads)
    # indel pileups draw only the reads aligned across the indel's repeat tract (encode.pileup); off for long reads,
    # whose shipped models were trained and tested without it (a long read rarely ends inside a repeat)
    spanning_indel_reads: bool = True


PRESETS: dict[str, Preset] = {
    "illumina": Preset("illumina", "pileup_illumina.pt", True, 0.12, 0.06, False),
    "hifi": Preset("hifi", "pileup_hifi.pt", False, 0.12, 0.06, True, "haplotype", False),
    "ont": Preset("ont", "pileup_ont.pt", False, 0.08, 0.12, True, "haplotype", False),
}


def get_preset(name: str) -> Preset:
    """The preset called ``name``. Raises GenotorchError naming the presets for another name."""
    if name not in PRESETS:
        raise GenotorchError(f"--preset {name}: choose one of {', '.join(PRESETS)}")
    return PRESETS[name]


def check_reads_fit(preset: Preset, median_read_length: int, reads: str) -> None:
    """Refuse reads that plainly belong to another technology than ``preset`` (by their median length in bp;
    0 = no read seen, not checked).

    Raises
    ------
    GenotorchError
        Naming the median length and the preset to use.
    """
    if not median_read_length:
        return
    long_reads = median_read_length > LONG_READ_BP
    if long_reads and not preset.long_reads:
        raise GenotorchError(f"--reads {reads}: median read length {median_read_length:,} bp is long reads, but "
                             f"--preset {preset.name} is for short reads: use --preset hifi or --preset ont")
    if preset.long_reads and not long_reads:
        raise GenotorchError(f"--reads {reads}: median read length {median_read_length:,} bp is short reads, but "
                             f"--preset {preset.name} is for long reads: use --preset illumina")
