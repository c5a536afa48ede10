"""Small builders for synthetic reads and files (DeepVariant/Nucleus style: ``make_read('ACGT', start=10, ...)``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pysam

from genotorch.config import TrainConfig, from_dict, load_train_config
from genotorch.variants.make_examples import MakeExamplesConfig

CONTIG = "chrT"


def make_header(contigs: dict[str, int] | None = None) -> pysam.AlignmentHeader:
    contigs = contigs or {CONTIG: 1000}
    return pysam.AlignmentHeader.from_dict({
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": k, "LN": v} for k, v in contigs.items()],
        "RG": [{"ID": "rg1", "SM": "SYNTH"}],
    })


_HEADER = make_header()


def make_read(seq: str, start: int, cigar: str | None = None, quals=None, mapq: int = 60, reverse: bool = False,
              name: str = "r", tlen: int = 300, read1: bool = True, flag_extra: int = 0,
              header: pysam.AlignmentHeader | None = None) -> pysam.AlignedSegment:
    """An aligned read at 0-based ``start`` on ``chrT``; ``cigar`` defaults to all-match; ``quals`` to 30 each."""
    r = pysam.AlignedSegment(header or _HEADER)
    r.query_name = name
    r.query_sequence = seq
    r.reference_id = 0
    r.reference_start = start
    r.cigarstring = cigar or f"{len(seq)}M"
    r.mapping_quality = mapq
    r.flag = 0x1 | (0x40 if read1 else 0x80) | (0x10 if reverse else 0) | 0x2 | flag_extra
    r.template_length = tlen
    r.query_qualities = pysam.qualitystring_to_array("".join(chr(33 + q) for q in (quals or [30] * len(seq))))
    return r


def write_fasta(path: Path, contigs: dict[str, str]) -> Path:
    """Plain FASTA + .fai index."""
    with open(path, "w") as fh:
        for name, seq in contigs.items():
            fh.write(f">{name}\n")
            for i in range(0, len(seq), 60):
                fh.write(seq[i : i + 60] + "\n")
    pysam.faidx(str(path))
    return path


def write_bam(path: Path, reads: list[pysam.AlignedSegment], header: pysam.AlignmentHeader | None = None,
              index: bool = True) -> Path:
    """Sorted BAM (+ .bai unless ``index=False``)."""
    unsorted = path.with_suffix(".unsorted.bam")
    with pysam.AlignmentFile(str(unsorted), "wb", header=header or _HEADER) as out:
        for r in reads:
            out.write(r)
    pysam.sort("-o", str(path), str(unsorted))
    unsorted.unlink()
    if index:
        pysam.index(str(path))
    return path


SMALL = MakeExamplesConfig(chunk_bp=5_000)  # several chunks even on short regions


def tiny_config(out_dir, train_h5, **trainer) -> TrainConfig:
    """A training config that runs a few steps of a very small pileup CNN (train and validate on ``train_h5``)."""
    return from_dict(TrainConfig, {
        "output_dir": str(out_dir), "seed": 1,
        "data": {"train": [str(train_h5)], "val": [str(train_h5)], "batch_size": 16, "balance": "sampler"},
        "model": {"name": "pileup_resnet", "params": {"widths": [8, 16], "dropout": 0.0}},
        "trainer": {"max_epochs": 1, "max_steps": 3, "val_every_n_steps": 2, "limit_val_batches": 2,
                    "checkpoint_every_n_steps": 2, **trainer},
    })


def write_chart(path: Path, kind: str, seed: int = 0, size=(60, 40), rgba: bool = True) -> Path:
    """A tiny overlap-chart-like PNG: a blue line on a transparent (RGBA) or white background; ``kind`` "flat"
    draws a plateau, "step" a plateau that drops half way, "blank" nothing."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    w, h = size
    im = Image.new("RGBA" if rgba else "RGB", size, (0, 0, 0, 0) if rgba else (255, 255, 255))
    d = ImageDraw.Draw(im)
    if kind != "blank":
        y = h * 0.3 + np.cumsum(rng.integers(-1, 2, w)) * 0.5  # a wobbly plateau: every seed draws its own
        pts = [(x, int(y[x]) if (kind == "flat" or x < w // 2) else int(h * 0.8)) for x in range(w)]
        d.line(pts, fill=(30, 60, 220, 255) if rgba else (30, 60, 220), width=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path)
    return path


def write_csv(path, rows):
    """A ``sequence,label`` CSV of ``rows``."""
    path.write_text("sequence,label\n" + "".join(f"{s},{lab}\n" for s, lab in rows))
    return path


def synthetic(n, seed):
    """``n`` random 40-bp sequences; every other one (label 1) carries a planted TATAAA box."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        s = list("".join(rng.choice(list("ACGT"), 40)))
        lab = i % 2
        if lab:
            p = int(rng.integers(0, 34))
            s[p:p + 6] = "TATAAA"
        rows.append(("".join(s), lab))
    return rows


def sequence_config(tmp_path, **over):
    """A small CNN sequence config on synthetic train/dev/test CSVs in ``tmp_path`` (``over``: overrides)."""
    train = write_csv(tmp_path / "train.csv", synthetic(400, 1))
    dev = write_csv(tmp_path / "dev.csv", synthetic(100, 2))
    test = write_csv(tmp_path / "test.csv", synthetic(100, 3))
    cfg = tmp_path / "s.yaml"
    cfg.write_text(f"""task: sequence
seed: 0
output_dir: {tmp_path / 'run'}
data: {{train: [{train}], val: [{dev}], test: [{test}], rc_augment: true, shift_augment: 2, batch_size: 32}}
model: {{name: small_cnn, params: {{filters: 32}}}}
optimizer: {{name: adamw, lr: 0.005}}
trainer: {{max_epochs: 8, val_every_n_steps: 13, limit_val_batches: 4, early_stopping_patience: 0,
          checkpoint_every_n_steps: 13, log_every_n_steps: 5}}
""")
    return load_train_config(cfg, over)


def subsample_bam(bam: Path, out: Path, seed_fraction: str, region: str) -> Path:
    """``samtools view -s seed_fraction`` (e.g. ``"8.3"``: seed 8, 30% of read pairs, as the benchmarks subsample)
    of ``region`` of ``bam``, indexed, at ``out``."""
    pysam.view("-b", "-s", seed_fraction, "-o", str(out), str(bam), region, catch_stdout=False)
    pysam.index(str(out))
    return out
