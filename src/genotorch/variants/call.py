"""call: candidates -> pileups -> model -> genotypes -> bgzipped, indexed VCF.

The pileups are made with the make-examples settings stored in the model checkpoint, so they always match what the
model was trained on. Alternatively precomputed examples (``--examples``) are checked against the checkpoint's
channels and shape first.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Callable, Sequence

import h5py
import numpy as np
import torch

from genotorch.errors import GenotorchError
from genotorch.io.alignments import sample_name
from genotorch.io.examples import check_compatible, read_example_info, read_variants
from genotorch.io.reference import Reference
from genotorch.io.variants import write_vcf
from genotorch.models.checkpoint import load_classifier
from genotorch.variants.candidates import Candidate
from genotorch.variants.make_examples import (
    ChunkProcessor, Inputs, MakeExamplesConfig, iter_chunk_results, parse_shard, plan_chunks, resolve_regions,
)
from genotorch.variants.postprocess import CallRecord, postprocess


def predict_probs(model: torch.nn.Module, pileups: np.ndarray, batch_size: int = 256, device: str = "cpu") -> np.ndarray:
    """Softmax genotype probabilities, shape (N, 3), float64, for uint8 pileups (N, C, H, W)."""
    out = []
    with torch.inference_mode():
        for i in range(0, len(pileups), batch_size):
            x = torch.from_numpy(np.ascontiguousarray(pileups[i : i + batch_size])).to(device)
            out.append(torch.softmax(model(x).float(), dim=1).cpu().numpy())
    return np.concatenate(out).astype(np.float64) if out else np.zeros((0, 3))


def _device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def call_variants(reference: str, reads: str, model_path: str, output: str, regions: Sequence[str] | None = None,
                  workers: int = 1, min_qual: float = 1.0, batch_size: int = 256,
                  progress: Callable[[int, int, int], None] | None = None) -> dict:
    """Call variants in ``regions`` of ``reads`` and write ``output`` (.vcf.gz + .tbi).

    Returns
    -------
    dict with counts: candidates, records, pass.

    Raises
    ------
    GenotorchError
        Input problems (files, contigs, regions, checkpoint).
    """
    model, meta = load_classifier(model_path, kind="pileup")
    device = _device()
    model.to(device)
    me_config = MakeExamplesConfig.from_dict(meta["example_info"]["config"])
    inputs = Inputs(reference, reads)
    probe = ChunkProcessor(inputs, me_config)
    region_list = resolve_regions(probe.reference, regions)
    chunks = plan_chunks(region_list, me_config, parse_shard(None))
    records: list[CallRecord] = []
    n_cand = 0
    for k, res in enumerate(iter_chunk_results(inputs, chunks, me_config, workers, probe), 1):
        probs = predict_probs(model, res.pileups, batch_size, device)
        records.extend(postprocess(res.candidates, probs, min_qual))
        n_cand += len(res.candidates)
        if progress:
            progress(k, len(chunks), n_cand)
    sample = sample_name(probe.alignments)
    _write(output, records, probe.reference, sample, model_path)
    return _stats(n_cand, records)


def call_from_examples(examples: str, reference: str, model_path: str, output: str, min_qual: float = 1.0,
                       batch_size: int = 256) -> dict:
    """Call from a make-examples HDF5 file (e.g. made on another machine) instead of reads.

    Raises
    ------
    GenotorchError
        When the examples' channels or shape differ from the model's.
    """
    model, meta = load_classifier(model_path, kind="pileup")
    info = read_example_info(examples)
    check_compatible(info, meta["example_info"]["channels"], meta["example_info"]["shape"], examples, "--model")
    device = _device()
    model.to(device)
    with h5py.File(examples, "r") as h5:
        probs = predict_probs(model, h5["pileups"], batch_size, device)
    v = read_variants(examples)
    cands = [Candidate(str(v["contig"][i]), int(v["pos"][i]), str(v["ref"][i]), str(v["alt"][i]), int(v["depth"][i]),
                       int(v["ref_count"][i]), int(v["alt_count"][i])) for i in range(len(probs))]
    records = postprocess(cands, probs, min_qual)
    _write(output, records, Reference(reference), info.get("sample", "SAMPLE"), model_path)
    return _stats(len(cands), records)


def _stats(n_candidates: int, records: list[CallRecord]) -> dict:
    return {"candidates": n_candidates, "records": len(records), "pass": sum(r.filter == "PASS" for r in records)}


def _write(output: str, records: list[CallRecord], reference: Reference, sample: str, model_path: str) -> None:
    if not str(output).endswith(".vcf.gz"):
        raise GenotorchError(f"--output {output} must end in .vcf.gz (a bgzipped, tabix-indexed VCF is written)")
    order = {c: i for i, c in enumerate(reference.lengths)}
    records.sort(key=lambda r: (order[r.contig], r.pos))
    extra = [f"##genotorch_model={Path(model_path).resolve()}",
             f"##genotorch_command={' '.join(shlex.quote(a) for a in sys.argv)}"]
    write_vcf(output, records, reference.lengths, sample, extra)
