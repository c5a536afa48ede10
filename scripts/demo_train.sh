#!/usr/bin/env bash
# Training demo (the harness end to end in ~1 min), on the real NA12878 slice shipped in data/demo:
#   make-examples (train + validation windows) -> train -> call the held-out GIAB-confident region -> evaluate,
#   and bcftools mpileup | bcftools call on the same region, side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/demo_data.sh

t0=$(now)
$GT make-examples --ref $REF --reads $BAM --truth $TRUTH --confident $D/train_window.bed --regions $D/train_window.bed -o "$OUT/train.h5" -j 2
$GT make-examples --ref $REF --reads $BAM --truth $TRUTH --confident $D/val_window.bed --regions $D/val_window.bed -o "$OUT/val.h5"
$GT train configs/demo_pileup.yaml --output-dir "$OUT/train"
t1=$(now)
$GT call --ref $REF --reads $BAM --model "$OUT/train/checkpoints/best.ckpt" --regions $CONF -o "$OUT/genotorch.vcf.gz"
t2=$(now)
$GT evaluate --calls "$OUT/genotorch.vcf.gz" --truth $TRUTH --confident $CONF --ref $REF --json "$OUT/genotorch.eval.json"

if command -v bcftools >/dev/null; then
  t3=$(now)
  bcftools mpileup -f $REF -R $CONF $BAM 2>/dev/null | bcftools call -mv -Oz -o "$OUT/bcftools.vcf.gz" 2>/dev/null
  t4=$(now)
  $GT evaluate --calls "$OUT/bcftools.vcf.gz" --truth $TRUTH --confident $CONF --ref $REF --json "$OUT/bcftools.eval.json" 2>/dev/null
  awk -v tr="$t1" -v t0="$t0" -v a="$t2" -v b="$t1" -v c="$t4" -v d="$t3" 'BEGIN {
    printf "\nwall time: genotorch training %.1f s; call %.1f s; bcftools mpileup|call %.1f s (ratio call/bcftools %.1f)\n",
      tr - t0, a - b, c - d, (a - b) / (c - d) }'
else
  echo "(bcftools not installed: no side-by-side table)"
fi
