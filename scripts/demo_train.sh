#!/usr/bin/env bash
# Training demo, about a minute on 2 cores, on the real NA12878 slice shipped in data/demo:
#   make-examples over a training and a validation window -> fine-tune the shipped model there
#   (configs/demo_pileup.yaml, --init-from) -> call the GIAB-confident region, which training never sees ->
#   evaluate, beside bcftools mpileup | bcftools call on the same region.
#   OUT=runs/demo_train bash scripts/demo_train.sh        (its own folder: demo.sh's outputs stay)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/demo_train}
source scripts/demo_data.sh
SHIPPED=$("$PY" -c "from genotorch.models.default import default_model_path; print(default_model_path())")

t0=$(now)
$GT make-examples --ref $REF --reads $BAM --truth $TRUTH --confident $D/train_window.bed --regions $D/train_window.bed -o "$OUT/train.h5" -j 2
$GT make-examples --ref $REF --reads $BAM --truth $TRUTH --confident $D/val_window.bed --regions $D/val_window.bed -o "$OUT/val.h5"
$GT train configs/demo_pileup.yaml --output "$OUT/train" --overwrite --init-from "$SHIPPED" \
  --set "data.train=[$OUT/train.h5]" --set "data.val=[$OUT/val.h5]"
t1=$(now)
$GT call --ref $REF --reads $BAM --model "$OUT/train/checkpoints/last.ckpt" --regions $CONF -o "$OUT/genotorch.vcf.gz"
t2=$(now)
$GT evaluate --calls "$OUT/genotorch.vcf.gz" --truth $TRUTH --confident $CONF --ref $REF --json "$OUT/genotorch.eval.json" > /dev/null

if command -v bcftools >/dev/null; then
  t3=$(now)
  bcftools mpileup -f $REF -R $CONF $BAM 2>/dev/null | bcftools call -mv -Oz -o "$OUT/bcftools.vcf.gz" 2>/dev/null
  t4=$(now)
  $GT evaluate --calls "$OUT/bcftools.vcf.gz" --truth $TRUTH --confident $CONF --ref $REF --json "$OUT/bcftools.eval.json" > /dev/null 2>&1
  side_by_side $'\n== side by side: the fine-tuned demo model vs bcftools, NA12878 confident BED (never trained on)'
  awk -v t0="$t0" -v t1="$t1" -v a="$t2" -v c="$t4" -v d="$t3" 'BEGIN {
    printf "\nwall time: genotorch make-examples + training %.1f s; call %.1f s; bcftools mpileup|call %.1f s\n",
      t1 - t0, a - t1, c - d }'
else
  echo "(bcftools not installed: no side-by-side table)"
fi
