#!/usr/bin/env bash
# The README's main job: call the real NA12878 slice shipped in data/demo (chr20:10,000,001-10,100,000, 101 bp,
# ~52x) with the shipped default model (trained on simulated reads only, never on this window), evaluate against
# the NIST truth inside its confident BED, and run `bcftools mpileup | bcftools call` on the same reads side by side.
#   OUT=runs/demo bash scripts/demo.sh       (the training demo is scripts/demo_train.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/demo_data.sh

t0=$(now)
$GT call --ref $REF --reads $BAM --regions chr20:10000001-10100000 -o "$OUT/genotorch.vcf.gz"
t1=$(now)
echo "== genotorch (shipped model) inside the confident BED"
$GT evaluate --calls "$OUT/genotorch.vcf.gz" --truth $TRUTH --confident $CONF --ref $REF --json "$OUT/genotorch.eval.json"

if command -v bcftools >/dev/null; then
  t2=$(now)
  bcftools mpileup -f $REF -r chr20:10000001-10100000 $BAM 2>/dev/null | bcftools call -mv -Oz -o "$OUT/bcftools.vcf.gz" 2>/dev/null
  t3=$(now)
  echo "== bcftools mpileup | bcftools call -mv, same reads"
  $GT evaluate --calls "$OUT/bcftools.vcf.gz" --truth $TRUTH --confident $CONF --ref $REF --json "$OUT/bcftools.eval.json" 2>/dev/null
  side_by_side $'\n== side by side: NA12878 chr20:10,000,001-10,100,000, inside the confident BED (hap.py counting)'
  awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN {
    printf "\nwall time over 100 kb: genotorch call %.1f s; bcftools %.1f s (ratio %.1f)\n", b - a, d - c, (b - a) / (d - c) }'
else
  echo "(bcftools not installed: no side-by-side table)"
fi
