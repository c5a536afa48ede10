# Sourced by demo.sh and demo_train.sh: the shipped real slice (data/demo) and the output folder.
GT=${GENOTORCH:-.venv/bin/genotorch}
D=data/demo
OUT=${OUT:-runs/demo}
REF=$D/ucsc.hg19.chr20.unittest.fasta.gz
BAM=$D/NA12878_S1.chr20.10_10p1mb.bam
TRUTH=$D/test_nist.b37_chr20_100kbp_at_10mb.vcf.gz
CONF=$D/test_nist.b37_chr20_100kbp_at_10mb.bed
mkdir -p "$OUT"
now() { date +%s.%N; }
