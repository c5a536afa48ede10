# Sourced by demo.sh and demo_train.sh: the shipped real slice (data/demo), the output folder, and the side-by-side
# table of genotorch and bcftools.
GT=${GENOTORCH:-.venv/bin/genotorch}
PY=${PYTHON:-.venv/bin/python}
D=data/demo
OUT=${OUT:-runs/demo}
REF=$D/ucsc.hg19.chr20.unittest.fasta.gz
BAM=$D/NA12878_S1.chr20.10_10p1mb.bam
TRUTH=$D/test_nist.b37_chr20_100kbp_at_10mb.vcf.gz
CONF=$D/test_nist.b37_chr20_100kbp_at_10mb.bed
mkdir -p "$OUT"
now() { date +%s.%N; }

# side_by_side TITLE: the F1 table of $OUT/genotorch.eval.json beside $OUT/bcftools.eval.json
side_by_side() {
  "$PY" -c "import json, sys; from genotorch.variants.evaluate import format_side_by_side as f
print(f({n: json.load(open(sys.argv[1] + '/' + n + '.eval.json')) for n in ('genotorch', 'bcftools')}, sys.argv[2]))" \
    "$OUT" "$1"
}
