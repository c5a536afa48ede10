#!/usr/bin/env bash
# Train genotorch's default variant-calling model from simulated reads, seeded end to end (about 25 min on 2 cores).
#
#   bash scripts/train_default_model.sh [OUT]        (default OUT=runs/default_model)
#
# 1. simulate-training-data: HG001's two haplotypes over chr20:9,995,001-11,095,000 (GIAB v3.3.2 phased truth),
#    leaving chr20:10,000,001-10,100,000 out entirely (all the real labelled reads lie there: they stay the test);
#    plus seeded random variants (one per ~300 bp: new loci on every set, so the model cannot learn HG001's
#    ~1,300 sites by heart); art_illumina paired reads at several depths, read lengths and contamination fractions
#    (low-fraction hom-ref candidates); bwa mem; samtools.
# 2. make-examples on each set: training from chr20:9,995,001-11,000,000, validation from 11,000,001-11,095,000.
# 3. genotorch train configs/default_model.yaml, then the best checkpoint is stripped to weights + meta and
#    copied to src/genotorch/models/default/ with run_info (the model card is written by hand from the figures).
set -euo pipefail
cd "$(dirname "$0")/.."
GT=${GENOTORCH:-.venv/bin/genotorch}
OUT=${1:-runs/default_model}
S=../shared/data/variants/hg001_illumina_grch37
REF=$S/ucsc.hg19.chr20.unittest.fasta.gz
TRUTH=$S/HG001_chr20_GRCh37_GIAB_highconf_CG-IllFB-IllGATKHC-Ion-10X-SOLID_CHROM1-X_v.3.3.2_highconf_PGandRTGphasetransfer.vcf.gz
SPAN=chr20:9995001-11095000
HOLDOUT=chr20:10000001-10100000
mkdir -p "$OUT"

# name read_length depth contamination quality_shift seed
SETS="
s100x50 100 50 0.10 0 11
s100x30 100 30 0.20 0 12
s150x25 150 25 0.15 0 13
s150x40 150 40 0.08 0 14
s125x20 125 20 0.12 -5 15
s150x60 150 60 0.00 0 16
s101x35 101 35 0.25 0 17
"
train=() val=()
while read -r name len depth cont qs seed; do
  [ -z "$name" ] && continue
  d=$OUT/sim/$name
  if [ ! -s "$d/reads.bam" ]; then
    $GT simulate-training-data --ref $REF --truth $TRUTH --regions $SPAN --exclude $HOLDOUT -o "$d" \
      --read-length "$len" --depth "$depth" --contamination "$cont" --quality-shift "$qs" --seed "$seed" -t 2 \
      --random-variant-spacing 300
  fi
  [ -s "$d/train.h5" ] || $GT make-examples --ref $REF --reads "$d/reads.bam" --truth "$d/truth.vcf.gz" \
      --confident "$d/confident.bed" --regions chr20:9995001-11000000 -o "$d/train.h5" -j 2
  [ -s "$d/val.h5" ] || $GT make-examples --ref $REF --reads "$d/reads.bam" --truth "$d/truth.vcf.gz" \
      --confident "$d/confident.bed" --regions chr20:11000001-11095000 -o "$d/val.h5" -j 2
  train+=("$d/train.h5") val+=("$d/val.h5")
done <<< "$SETS"

list() { local IFS=,; echo "[$*]"; }
resume=()  # an interrupted run goes on from its last checkpoint
[ -s "$OUT/train/checkpoints/last.ckpt" ] && resume=(--resume "$OUT/train/checkpoints/last.ckpt")
$GT train configs/default_model.yaml "${resume[@]}" --output-dir "$OUT/train" --set "data.train=$(list "${train[@]}")" \
  --set "data.val=$(list "${val[@]}")"
.venv/bin/python -m genotorch.models.default "$OUT/train/checkpoints/best.ckpt" src/genotorch/models/default/
