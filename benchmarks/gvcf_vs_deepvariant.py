"""genotorch's gVCF beside DeepVariant 1.9's golden gVCF on NA12878 chr20:10,000,000-10,010,000 (the shared
``deepvariant_golden`` set), position by position.

Both files are expanded to one entry per reference position (a block's GQ and genotype apply to each of its
positions; a variant record to its first position). Printed: records of each kind; of the positions both files put
in a reference block, how many have the same GQ and the same GQ band (binsize 5) and the same MIN_DP of their block;
positions of variant records in one file and not the other; and genotype agreement at the shared variant records
(DeepVariant writes its RefCall records ./.; genotorch 0/0). Nothing here trained or tuned anything.

    python benchmarks/gvcf_vs_deepvariant.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import pysam

ROOT = Path(__file__).resolve().parents[1]
REGION = ("chr20", 9_999_999, 10_010_000)  # 0-based half-open: golden's first record is at POS 10,000,000


def expand(path: str | Path) -> dict[int, tuple]:
    """0-based position -> (kind, GT, GQ, MIN_DP) for REGION; kind is 'block' or 'variant'."""
    out = {}
    with pysam.VariantFile(str(path)) as vf:
        sample = next(iter(vf.header.samples))
        for r in vf.fetch(REGION[0], REGION[1], REGION[2]):
            s = r.samples[sample]
            gt = "/".join("." if a is None else str(a) for a in s["GT"])
            if r.alts == ("<*>",):
                for p in range(r.start, r.stop):
                    out[p] = ("block", gt, s["GQ"], s["MIN_DP"])
            else:
                out[r.start] = ("variant", gt, s["GQ"], None)
    return out


def compare(ours: str | Path, golden: str | Path) -> dict:
    """Counts of the comparison described in the module docstring."""
    a, b = expand(ours), expand(golden)
    both_block = [p for p in b if b[p][0] == "block" and a.get(p, ("",))[0] == "block"]
    band = lambda gq: 0 if gq < 1 else (gq - 1) // 5 * 5 + 1  # noqa: E731
    va = {p for p in a if a[p][0] == "variant"}
    vb = {p for p in b if b[p][0] == "variant"}
    shared = sorted(va & vb)
    norm = lambda gt: "0/0" if gt == "./." else gt  # noqa: E731
    return {"block_positions_golden": sum(v[0] == "block" for v in b.values()),
            "block_positions_both": len(both_block),
            "same_gq": sum(a[p][2] == b[p][2] for p in both_block),
            "same_band": sum(band(a[p][2]) == band(b[p][2]) for p in both_block),
            "same_min_dp": sum(a[p][3] == b[p][3] for p in both_block),
            "variants_golden": len(vb), "variants_ours": len(va), "variants_shared": len(shared),
            "same_gt": sum(norm(a[p][1]) == norm(b[p][1]) for p in shared),
            "variants_only_golden": sorted(vb - va), "variants_only_ours": sorted(va - vb)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = ap.parse_args(argv)
    d = args.shared / "data/variants"
    golden_txt = d / "deepvariant_golden/golden.postprocess_gvcf_output.g.vcf"
    with tempfile.TemporaryDirectory() as tmp:
        golden = Path(tmp) / "golden.g.vcf.gz"
        pysam.tabix_compress(str(golden_txt), str(golden))
        pysam.tabix_index(str(golden), preset="vcf")
        hg1 = d / "hg001_illumina_grch37"
        subprocess.run([sys.executable, "-m", "genotorch.cli.main", "call", "--ref",
                        str(hg1 / "ucsc.hg19.chr20.unittest.fasta.gz"), "--reads",
                        str(hg1 / "NA12878_S1.chr20.10_10p1mb.bam"), "--regions", "chr20:10000000-10010000",
                        "-o", f"{tmp}/calls.vcf.gz", "--gvcf", f"{tmp}/calls.g.vcf.gz"], check=True)
        c = compare(f"{tmp}/calls.g.vcf.gz", golden)
    n = c["block_positions_both"]
    print(f"reference-block positions: golden {c['block_positions_golden']}, in a block in both {n}")
    print(f"  same GQ {c['same_gq']} ({c['same_gq'] / n:.4f}), same GQ band {c['same_band']} "
          f"({c['same_band'] / n:.4f}), same MIN_DP of the block {c['same_min_dp']} ({c['same_min_dp'] / n:.4f})")
    print(f"variant records: golden {c['variants_golden']}, genotorch {c['variants_ours']}, at the same position "
          f"{c['variants_shared']}, same genotype there {c['same_gt']} (RefCall ./. read as 0/0)")
    print(f"  only in golden: {[p + 1 for p in c['variants_only_golden']]}")
    print(f"  only in genotorch: {[p + 1 for p in c['variants_only_ours']]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
