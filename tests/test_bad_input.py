"""Bad input, as a table: each row is an input to one command, and every row must end with exit status 2, one
line starting ``error:`` that holds the expected piece (the file, the flag or the fix), no traceback, and nothing
written under the output name.

The files the rows need are built once per session (``bad`` fixture): copies of the real demo slice with one thing
wrong each, and checkpoints carrying a harmless payload that would create a marker file if anything unpickled it.
"""

import builtins
import gzip
import shutil
from pathlib import Path

import numpy as np
import pysam
import pytest
import torch
from builders import write_fasta
from typer.testing import CliRunner

from conftest import SHARED
from genotorch.cli.main import app

runner = CliRunner()


class Payload:
    """Unpickling this opens (creates) ``marker``: the harmless stand-in for code in a checkpoint."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return builtins.open, (self.marker, "w")


def _vcf_with(src, dst, edit_line):
    """A bgzipped, indexed copy of VCF ``src`` with ``edit_line(fields) -> fields`` applied to its records."""
    text = dst.with_suffix("")
    with gzip.open(src, "rt") as fh, open(text, "w") as out:
        for k, line in enumerate(fh):
            if line.startswith("#"):
                out.write(line)
                continue
            out.write("\t".join(edit_line(k, line.rstrip("\n").split("\t"))) + "\n")
    pysam.tabix_compress(str(text), str(dst), force=True)
    pysam.tabix_index(str(dst), preset="vcf", force=True)
    return dst


@pytest.fixture(scope="session")
def bad(demo, model, seq_model, image_model, train_examples, tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    b = {"d": d, "ref": demo.ref, "bam": demo.bam, "truth": demo.truth, "bed": demo.confident,
         "model": model.last_checkpoint, "seq_model": seq_model, "image_model": image_model,
         "labelled": train_examples,
         "ont_ref": SHARED / "variants/hg002_ont_r10_grch38/grch38.chr20_5050000_5075000.masked.fa.gz",
         "ont_bam": SHARED / "variants/hg002_ont_r10_grch38/HG002_R10_chr20_5050000_5075000.bam"}
    b["noindex_bam"] = d / "noindex.bam"
    shutil.copy(demo.bam, b["noindex_bam"])
    b["cut_bam"] = d / "cut.bam"
    b["cut_bam"].write_bytes(demo.bam.read_bytes()[:1_000_000])
    shutil.copy(str(demo.bam) + ".bai", str(b["cut_bam"]) + ".bai")
    b["sam"] = d / "reads.sam"
    pysam.view("-h", "-o", str(b["sam"]), str(demo.bam), "chr20:10000001-10001000", catch_stdout=False)
    b["short_ref"] = write_fasta(d / "short.fa", {"chr20": "ACGT" * 500})
    b["other_ref"] = write_fasta(d / "other.fa", {"chrZ": "ACGT" * 500})
    # the right contig name and length, other bases (a shuffled copy of the slice the reads lie on)
    with pysam.FastaFile(str(demo.ref)) as fa:
        seq = fa.fetch("chr20")
    lo, hi = 9_990_000, 10_110_000
    rng = np.random.default_rng(0)
    b["wrong_bases_ref"] = write_fasta(d / "wrong_bases.fa", {"chr20": seq[:lo] + "".join(
        rng.choice(list("ACGT"), hi - lo)) + seq[hi:]})
    b["gzip_ref"] = d / "plain_gzip.fa.gz"
    with open(write_fasta(d / "tiny.fa", {"chr20": "ACGT" * 100}), "rb") as src, gzip.open(b["gzip_ref"], "wb") as dst:
        dst.write(src.read())
    b["cram"] = d / "reads.cram"
    pysam.view("-C", "-T", str(demo.ref), "-o", str(b["cram"]), str(demo.bam), "chr20:10000001-10003000",
               catch_stdout=False)
    pysam.index(str(b["cram"]))
    b["renamed_truth"] = _vcf_with(demo.truth, d / "chromosome20.vcf.gz",
                                   lambda k, f: ["chromosome20"] + f[1:])
    hdr = d / "renamed_hdr.vcf.gz"  # header contig lines renamed too, so htslib accepts the records
    with gzip.open(b["renamed_truth"], "rt") as fh:
        text = fh.read().replace("##contig=<ID=chr20,", "##contig=<ID=chromosome20,")
    (d / "renamed_hdr.vcf").write_text(text)
    pysam.tabix_compress(str(d / "renamed_hdr.vcf"), str(hdr), force=True)
    pysam.tabix_index(str(hdr), preset="vcf", force=True)
    b["renamed_truth"] = hdr
    b["bad_pos_vcf"] = d / "bad_pos.vcf"
    with gzip.open(demo.truth, "rt") as fh:
        lines = fh.read().splitlines(True)
    body = [i for i, line in enumerate(lines) if not line.startswith("#")]
    f = lines[body[3]].split("\t")
    f[1] = f[1][:2] + "x" + f[1][3:]  # same length: the truth's own index still points at the same bytes
    lines[body[3]] = "\t".join(f)
    b["bad_pos_vcf"].write_text("".join(lines))
    b["bad_pos_truth"] = d / "bad_pos_truth.vcf.gz"
    pysam.tabix_compress(str(b["bad_pos_vcf"]), str(b["bad_pos_truth"]), force=True)
    shutil.copy(str(demo.truth) + ".tbi", str(b["bad_pos_truth"]) + ".tbi")
    b["unindexed_truth"] = d / "unindexed.vcf.gz"
    shutil.copy(demo.truth, b["unindexed_truth"])
    b["unmatched_bed"] = d / "chromosome20.bed"
    b["unmatched_bed"].write_text("chromosome20\t10000000\t10100000\n")
    b["empty_bed"] = d / "empty.bed"
    b["empty_bed"].write_text("")
    b["garbage"] = d / "garbage.ckpt"
    b["garbage"].write_bytes(b"hello, not a checkpoint")
    b["marker"] = d / "PAYLOAD_RAN"
    b["payload"] = d / "payload.ckpt"
    good = torch.load(model.last_checkpoint, weights_only=True)
    good["hyper_parameters"]["meta"]["extra"] = Payload(b["marker"])
    torch.save(good, b["payload"])
    b["folder_h5"] = d / "folder.h5"
    b["folder_h5"].mkdir()
    b["a_file"] = d / "a_file"
    b["a_file"].write_text("x")
    b["six_channel_examples"] = d / "six.h5"
    assert run("make-examples", "--ref", demo.ref, "--reads", demo.bam, "--regions", "chr20:10000001-10002000",
               "-o", b["six_channel_examples"], "--channels", "read_base,base_quality,mapping_quality,strand,"
               "read_supports_variant,base_differs_from_ref")[0] == 0
    b["examples"] = d / "seven.h5"
    assert run("make-examples", "--ref", demo.ref, "--reads", demo.bam, "--regions", "chr20:10000001-10002000",
               "-o", b["examples"])[0] == 0
    b["not_h5"] = d / "not.h5"
    b["not_h5"].write_text("no")
    b["nan_labels"] = d / "nan.csv"
    b["nan_labels"].write_text("sequence,label\nACGTACGT,1\nACGTTTTT,nan\nAAAAACCC,0\n")
    b["empty_labels"] = d / "empty_label.csv"
    b["empty_labels"].write_text("sequence,label\nACGTACGT,1\nACGTTTTT,\nAAAAACCC,0\n")
    b["unlabelled"] = d / "unlabelled.csv"
    b["unlabelled"].write_text("sequence\nACGTACGT\n")
    b["empty_fasta"] = d / "empty.fa"
    b["empty_fasta"].write_text("")
    b["seqs"] = d / "seqs.fa"
    b["seqs"].write_text(">a\nACGTACGTACGTACGTACGTACGTACGTAC\n")
    from PIL import Image

    b["bomb_dir"] = d / "bomb"
    (b["bomb_dir"] / "flat").mkdir(parents=True)
    Image.new("1", (40000, 40000)).save(b["bomb_dir"] / "flat" / "bomb.png")  # 1-bit: tiny file, huge image
    b["image_dir"] = image_model.parent.parent.parent / "charts"
    return b


def run(*args):
    res = runner.invoke(app, [str(a) for a in args])
    return res.exit_code, res.output


def cfg(b, name, text):
    """A config file in the session folder (``{d}`` is the folder, ``{ex}`` the examples file)."""
    p = b["d"] / f"{name}.yaml"
    p.write_text(text.format(d=b["d"], ex=b["labelled"], out=b["d"] / f"run_{name}", image_dir=b["image_dir"]))
    return p


ME = ["make-examples", "--ref", "{ref}", "--reads", "{bam}", "--regions", "chr20:10000001-10002000", "-o", "{out}"]
CALL = ["call", "--ref", "{ref}", "--reads", "{bam}", "--model", "{model}", "--regions", "chr20:10000001-10002000",
        "-o", "{out}"]
EV = ["evaluate", "--calls", "{truth}", "--truth", "{truth}", "--confident", "{bed}", "--ref", "{ref}"]
TRAIN_OK = ("data: {{train: [{ex}], batch_size: 8}}\nmodel: {{name: pileup_resnet, params: {{widths: [4, 8]}}}}\n"
            "output_dir: {out}\ntrainer: {{max_epochs: 1, early_stopping_patience: 0}}\n")


def _set(args, flag, value):
    args = list(args)
    args[args.index(flag) + 1] = value
    return args


# id, argument list (with {placeholders} from the `bad` fixture, {out} the output), expected piece of the message
ROWS = [
    # make-examples: reads, reference, truth, confident regions, settings
    ("me-bam-no-index", _set(ME, "--reads", "{noindex_bam}"), "samtools index"),
    ("me-bam-truncated", _set(ME, "--reads", "{cut_bam}"), "truncated"),
    ("me-bam-missing", _set(ME, "--reads", "{d}/none.bam"), "does not exist"),
    ("me-sam-text", _set(ME, "--reads", "{sam}"), "SAM text"),
    ("me-ref-contig-length", _set(ME, "--ref", "{short_ref}"), "2,000 bp"),
    ("me-ref-no-shared-contig", _set(ME, "--ref", "{other_ref}"), "no contig"),
    ("me-ref-missing", _set(ME, "--ref", "{d}/none.fa"), "does not exist"),
    ("me-ref-gzip-not-bgzip", _set(ME, "--ref", "{gzip_ref}"), "bgzip"),
    ("me-ref-other-bases", _set(_set(ME, "--ref", "{wrong_bases_ref}"), "--regions", "chr20:10000001-10060000"),
     "probably not the reference"),
    ("me-cram-other-reference", _set(_set(ME, "--reads", "{cram}"), "--ref", "{wrong_bases_ref}"),
     "probably not the reference"),
    ("me-region-past-end", _set(ME, "--regions", "chr20:70000000-70001000"), "63,025,520 bp long"),
    ("me-region-malformed", _set(ME, "--regions", "chr20:abc"), "is not of the form"),
    ("me-region-start-after-end", _set(ME, "--regions", "chr20:2000-1000"), "start must be >= 1 and <= end"),
    ("me-region-unknown-contig", _set(ME, "--regions", "chr99:1-10"), "not in the reference"),
    ("me-truth-without-bed", ME + ["--truth", "{truth}"], "--truth needs --confident"),
    ("me-truth-missing", ME + ["--truth", "{d}/none.vcf.gz", "--confident", "{bed}"], "does not exist"),
    ("me-truth-no-index", ME + ["--truth", "{unindexed_truth}", "--confident", "{bed}"], "tabix -p vcf"),
    ("me-truth-unmatched-contig", ME + ["--truth", "{renamed_truth}", "--confident", "{bed}"],
     "none on the regions' contig"),
    ("me-truth-bad-pos", ME + ["--truth", "{bad_pos_truth}", "--confident", "{bed}"], "cannot be parsed"),
    ("me-bed-unmatched-contig", ME + ["--truth", "{truth}", "--confident", "{unmatched_bed}"], "has no interval"),
    ("me-bed-empty", ME + ["--truth", "{truth}", "--confident", "{empty_bed}"], "has no interval"),
    ("me-bed-missing", ME + ["--truth", "{truth}", "--confident", "{d}/none.bed"], "does not exist"),
    ("me-workers-zero", ME + ["-j", "0"], "--workers/-j 0"),
    ("me-workers-negative", ME + ["-j", "-2"], "--workers/-j -2"),
    ("me-fraction-snps-above-1", ME + ["--min-fraction-snps", "1.5"], "--min-fraction-snps 1.5"),
    ("me-fraction-indels-negative", ME + ["--min-fraction-indels", "-0.1"], "--min-fraction-indels -0.1"),
    ("me-min-count-zero", ME + ["--min-count", "0"], "--min-count 0"),
    ("me-mapq-negative", ME + ["--min-mapping-quality", "-1"], "--min-mapping-quality -1"),
    ("me-baseq-negative", ME + ["--min-base-quality", "-1"], "--min-base-quality -1"),
    ("me-width-even", ME + ["--width", "100"], "--width 100"),
    ("me-height-tiny", ME + ["--height", "3"], "--height 3"),
    ("me-unknown-channel", ME + ["--channels", "read_base,colour"], "unknown pileup channel"),
    ("me-shard-out-of-range", ME + ["--shard", "5/4"], "need 0 <= i < n"),
    ("me-shard-malformed", ME + ["--shard", "half"], "must look like i/n"),
    ("me-output-is-folder", _set(ME, "-o", "{folder_h5}"), "is a folder"),
    ("me-output-suffix", _set(ME, "-o", "{d}/ex.tfrecord.gz"), "make-examples writes HDF5"),
    ("me-output-under-a-file", _set(ME, "-o", "{a_file}/x.h5"), "cannot be created"),
    # call
    ("call-model-missing", _set(CALL, "--model", "{d}/none.ckpt"), "does not exist: check --model"),
    ("call-model-garbage", _set(CALL, "--model", "{garbage}"), "not a readable checkpoint"),
    ("call-model-payload", _set(CALL, "--model", "{payload}"), "refused unread"),
    ("call-model-sequence", _set(CALL, "--model", "{seq_model}"), "is a sequence model, not a pileup model"),
    ("call-model-image", _set(CALL, "--model", "{image_model}"), "is a image model, not a pileup model"),
    ("call-output-not-vcf-gz", _set(CALL, "-o", "{d}/calls.vcf"), "must end in .vcf.gz"),
    ("call-output-under-a-file", _set(CALL, "-o", "{a_file}/c.vcf.gz"), "cannot be created"),
    ("call-min-qual-negative", CALL + ["--min-qual", "-1"], "--min-qual -1"),
    ("call-workers-zero", CALL + ["-j", "0"], "--workers/-j 0"),
    ("call-no-reads", ["call", "--ref", "{ref}", "--model", "{model}", "-o", "{out}"], "give --reads"),
    ("call-shard-out-of-range", CALL + ["--shard", "4/4"], "need 0 <= i < n"),
    ("call-gvcf-suffix", CALL + ["--gvcf", "{out}.vcf"], "must end in .g.vcf.gz"),
    ("call-gvcf-with-examples", ["call", "--ref", "{ref}", "--examples", "{out}.h5", "--model", "{model}",
                                 "--gvcf", "{out}.g.vcf.gz", "-o", "{out}"], "--gvcf needs --reads"),
    ("call-shard-with-examples", ["call", "--ref", "{ref}", "--examples", "{out}.h5", "--model", "{model}",
                                  "--shard", "0/2", "-o", "{out}"], "--shard applies to --reads"),
    ("call-ref-other-bases", _set(_set(CALL, "--ref", "{wrong_bases_ref}"), "--regions", "chr20:10000001-10060000"),
     "probably not the reference"),
    ("call-preset-unknown", CALL + ["--preset", "sanger"], "--preset sanger: choose one of illumina, hifi, ont"),
    ("call-preset-long-reads-for-illumina", ["call", "--ref", "{ont_ref}", "--reads", "{ont_bam}", "--preset",
                                             "illumina", "--regions", "chr20:5050001-5060000", "-o", "{out}"],
     "use --preset hifi or --preset ont"),
    ("me-preset-unknown", ME + ["--preset", "pacbio"], "--preset pacbio: choose one of"),
    ("call-no-reads-in-regions", _set(CALL, "--regions", "chr20:20000001-20010000"),
     "has no mapped read in --regions chr20:20000001-20010000"),
    ("call-long-reads-none-in-regions", ["call", "--ref", "{ont_ref}", "--reads", "{ont_bam}", "--preset", "ont",
                                         "--regions", "chr20:1-40000", "-o", "{out}"], "has no mapped read"),
    ("me-no-reads-in-regions", _set(ME, "--regions", "chr20:20000001-20010000"), "has no mapped read"),
    ("sim-technology-unknown", ["simulate-training-data", "--ref", "{ref}", "--truth", "{truth}", "--regions",
                                "chr20:10000001-10020000", "--technology", "iontorrent", "-o", "{out}"],
     "--technology iontorrent"),
    ("sim-profile-from-missing", ["simulate-training-data", "--ref", "{ref}", "--truth", "{truth}", "--regions",
                                  "chr20:10000001-10020000", "--profile-from", "{out}.missing.bam", "-o", "{out}"],
     "--profile-from"),
    ("call-region-past-end", _set(CALL, "--regions", "chr20:63025000-63026000"), "bp long"),
    ("call-examples-other-build", ["call", "--ref", "{other_ref}", "--examples", "{examples}", "--model", "{model}",
                                   "-o", "{out}"], "give the --ref the examples were made with"),
    ("call-examples-wrong-bases", ["call", "--ref", "{wrong_bases_ref}", "--examples", "{examples}", "--model",
                                   "{model}", "-o", "{out}"], "made on another reference"),
    ("call-examples-channels", ["call", "--ref", "{ref}", "--examples", "{six_channel_examples}", "--model",
                                "{model}", "-o", "{out}"], "insert_size"),
    ("call-examples-missing", ["call", "--ref", "{ref}", "--examples", "{d}/none.h5", "--model", "{model}", "-o",
                               "{out}"], "does not exist"),
    ("call-examples-not-hdf5", ["call", "--ref", "{ref}", "--examples", "{not_h5}", "--model", "{model}", "-o",
                                "{out}"], "cannot be read as HDF5"),
    # evaluate
    ("eval-truth-unmatched-contig", _set(EV, "--truth", "{renamed_truth}"), "none of its"),
    ("eval-calls-unmatched-contig", _set(EV, "--calls", "{renamed_truth}"), "none of its"),
    ("eval-truth-bad-pos", _set(EV, "--truth", "{bad_pos_vcf}"), "cannot be parsed"),
    ("eval-calls-bad-pos", _set(EV, "--calls", "{bad_pos_vcf}"), "cannot be parsed"),
    ("eval-bed-unmatched", _set(EV, "--confident", "{unmatched_bed}"), "has no interval"),
    ("eval-bed-empty", _set(EV, "--confident", "{empty_bed}"), "has no interval"),
    ("eval-calls-missing", _set(EV, "--calls", "{d}/none.vcf.gz"), "does not exist"),
    ("eval-calls-other-build", _set(EV, "--ref", "{wrong_bases_ref}"), "another reference build"),
    # train
    ("train-config-missing", ["train", "{d}/none.yaml"], "does not exist"),
    ("train-config-unknown-key", ["train", ("cfg", "unknown", "trainer:\n  patience: 3\n")], "trainer.patience"),
    ("train-config-bad-yaml", ["train", ("cfg", "yaml", "data: [\n")], "not valid YAML"),
    ("train-config-empty", ["train", ("cfg", "empty", "")], "no example files given in data.train"),
    ("train-batch-size-zero", ["train", ("cfg", "bs0", TRAIN_OK.replace("batch_size: 8", "batch_size: 0"))],
     "data.batch_size = 0"),
    ("train-max-epochs-zero", ["train", ("cfg", "ep0", TRAIN_OK.replace("max_epochs: 1", "max_epochs: 0"))],
     "trainer.max_epochs = 0"),
    ("train-threshold-on-pileup", ["train", ("cfg", "thr", TRAIN_OK.replace("max_epochs: 1,", "max_epochs: 1, "
                                                                        "decision_threshold: val_mcc,"))],
     "decision_threshold val_mcc is for binary sequence or image models"),
    ("train-threshold-unknown", ["train", ("cfg", "thr2", TRAIN_OK.replace("max_epochs: 1,", "max_epochs: 1, "
                                                                         "decision_threshold: best,"))],
     "trainer.decision_threshold = 'best'; choose one of argmax, val_mcc"),
    ("train-lr-negative", ["train", ("cfg", "lr", TRAIN_OK + "optimizer: {{lr: -1}}\n")], "optimizer.lr = -1"),
    ("train-task-unknown", ["train", ("cfg", "task", "task: audio\n")], "choose one of"),
    ("train-examples-missing", ["train", ("cfg", "nofile", "data: {{train: [{d}/none.h5]}}\n")], "does not exist"),
    ("train-resume-garbage", ["train", ("cfg", "r1", TRAIN_OK), "--resume", "{garbage}"], "check --resume"),
    ("train-resume-missing", ["train", ("cfg", "r2", TRAIN_OK), "--resume", "{d}/none.ckpt"], "check --resume"),
    ("train-resume-payload", ["train", ("cfg", "r3", TRAIN_OK), "--resume", "{payload}"], "refused unread"),
    ("train-resume-other-task", ["train", ("cfg", "r4", TRAIN_OK), "--resume", "{seq_model}"],
     "trained a sequence model"),
    ("train-init-from-garbage", ["train", ("cfg", "i1", TRAIN_OK), "--init-from", "{garbage}"], "check --init-from"),
    ("train-init-from-payload", ["train", ("cfg", "i2", TRAIN_OK), "--init-from", "{payload}"], "refused unread"),
    ("train-init-from-other-input", ["train", ("cfg", "i3", TRAIN_OK), "--init-from", "{seq_model}"],
     "--init-from"),
    ("train-resume-and-init-from", ["train", ("cfg", "ri", TRAIN_OK), "--resume", "{model}", "--init-from",
                                    "{model}"], "exclude each other"),
    ("train-output-is-a-file", ["train", ("cfg", "of", TRAIN_OK), "--output-dir", "{a_file}"], "is a file"),
    ("train-sequence-nan-label", ["train", ("cfg", "nan", "task: sequence\noutput_dir: {out}\ndata: {{train: "
                                            "[{d}/nan.csv]}}\nmodel: {{name: small_cnn}}\n")], "missing label ('nan')"),
    ("train-sequence-empty-label", ["train", ("cfg", "el", "task: sequence\noutput_dir: {out}\ndata: {{train: "
                                              "[{d}/empty_label.csv]}}\nmodel: {{name: small_cnn}}\n")],
     "missing label ('')"),
    ("train-image-too-small", ["train", ("cfg", "small", "task: image\noutput_dir: {out}\ndata: {{root: {image_dir}, image_size: [4, 4], val_fraction: 0.2, test_fraction: "
                                         "0.2}}\nmodel: {{name: alexnet_like}}\n")], "cannot read inputs of shape"),
    # predict, evaluate-sequences, embed
    ("predict-payload", ["predict", "{seqs}", "--model", "{payload}", "-o", "{out}"], "refused unread"),
    ("predict-sequence-model-on-folder", ["predict", "{image_dir}", "--model", "{seq_model}", "-o", "{out}"],
     "is a folder"),
    ("predict-pileup-model", ["predict", "{image_dir}", "--model", "{model}", "-o", "{out}"],
     "not an image classifier"),
    ("predict-empty-fasta", ["predict", "{empty_fasta}", "--model", "{seq_model}", "-o", "{out}"],
     "holds no FASTA record"),
    ("predict-image-bomb", ["predict", "{bomb_dir}", "--model", "{image_model}", "-o", "{out}"],
     "not a readable image"),
    ("predict-missing-input", ["predict", "{d}/none.fa", "--model", "{seq_model}", "-o", "{out}"], "does not exist"),
    ("evalseq-payload", ["evaluate-sequences", "{nan_labels}", "--model", "{payload}", "-o", "{out}"],
     "refused unread"),
    ("evalseq-no-labels", ["evaluate-sequences", "{unlabelled}", "--model", "{seq_model}", "-o", "{out}"],
     "has no label column"),
    ("evalseq-nan-label", ["evaluate-sequences", "{nan_labels}", "--model", "{seq_model}", "-o", "{out}"],
     "missing label"),
    ("evalseq-image-model", ["evaluate-sequences", "{nan_labels}", "--model", "{image_model}", "-o", "{out}"],
     "not a sequence model"),
    ("embed-payload", ["embed", "{seqs}", "--model", "{payload}", "-o", "{out}"], "refused unread"),
    ("embed-pooling", ["embed", "{seqs}", "--model", "{seq_model}", "-o", "{out}", "--pooling", "max"],
     "--pooling max"),
    # render, negative-sites, igv-batch
    ("render-region-past-end", ["render", "--ref", "{ref}", "--reads", "{bam}", "--regions", "chr20:99999999", "-o",
                                "{out}"], "63,025,520 bp long"),
    ("render-region-not-a-number", ["render", "--ref", "{ref}", "--reads", "{bam}", "--regions", "chr20:abc", "-o",
                                    "{out}"], "--regions 'chr20:abc' is not of the form"),
    ("render-layout", ["render", "--ref", "{ref}", "--reads", "{bam}", "--regions", "chr20:10000100", "--layout",
                       "weird", "-o", "{out}"], "--layout weird"),
    ("render-no-site", ["render", "--ref", "{ref}", "--reads", "{bam}", "-o", "{out}"], "no site to draw"),
    ("render-index-past-end", ["render", "--examples", "{examples}", "--index", "99999", "-o", "{out}"],
     "--index 99999"),
    ("negsites-n-negative", ["negative-sites", "--truth", "{truth}", "--kind", "near", "-n", "-5", "-o", "{out}"],
     "--number/-n -5"),
    ("negsites-truth-garbage", ["negative-sites", "--truth", "{garbage}", "--kind", "near", "-o", "{out}"],
     "--truth"),
    ("igv-genome-newline", ["igv-batch", "--sites", "{truth}", "--genome", "hg19\nexit", "--reads", "{bam}",
                            "--snapshot-dir", "snaps", "-o", "{out}"], "--genome"),
    ("igv-reads-newline", ["igv-batch", "--sites", "{truth}", "--genome", "hg19", "--reads", "a.bam\nsnapshot x",
                           "--snapshot-dir", "snaps", "-o", "{out}"], "control character"),
    ("igv-snapshot-dir-newline", ["igv-batch", "--sites", "{truth}", "--genome", "hg19", "--reads", "{bam}",
                                  "--snapshot-dir", "s\r\nexit", "-o", "{out}"], "--snapshot-dir"),
    ("igv-layout", ["igv-batch", "--sites", "{truth}", "--genome", "hg19", "--reads", "{bam}", "--snapshot-dir",
                    "s", "--layout", "tall", "-o", "{out}"], "--layout tall"),
]


def _resolve(b, arg, out):
    if isinstance(arg, tuple):
        return str(cfg(b, arg[1], arg[2]))
    return str(arg).format(out=out, **{k: v for k, v in b.items()})


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_bad_input(bad, row, tmp_path, monkeypatch):
    name, args, expected = row
    if any("{ont_" in str(a) for a in args) and not bad["ont_bam"].exists():
        pytest.skip("../shared/data is not beside the repository")
    monkeypatch.chdir(tmp_path)  # nothing may appear in the working directory either (e.g. ./runs/train)
    out = tmp_path / "out" / ("x.vcf.gz" if args[0] == "call" else "x.h5" if args[0] == "make-examples" else "x")
    code, output = run(*[_resolve(bad, a, out) for a in args])
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert code == 2, output
    assert "Traceback" not in output
    assert len(errors) == 1 and expected in " ".join(output.split()), output
    assert not out.exists() and not (tmp_path / "runs").exists()
    if out.parent.exists():
        assert list(out.parent.iterdir()) == []
    for p in bad["d"].glob("run_*"):
        assert not p.exists(), f"{p} left behind"
    assert not bad["marker"].exists(), "the checkpoint's payload ran"


def test_at_least_80_rows():
    assert len(ROWS) >= 80


def test_json_into_a_missing_folder_is_created(demo, tmp_path):
    out = tmp_path / "new" / "folder" / "eval.json"
    code, output = run(*[a.format(truth=demo.truth, bed=demo.confident, ref=demo.ref) for a in EV], "--json", out)
    assert code == 0 and out.exists(), output


def test_output_replaced_with_a_note(demo, tmp_path):
    out = tmp_path / "x.h5"
    args = [a.format(ref=demo.ref, bam=demo.bam, out=out) for a in ME]
    assert run(*args)[0] == 0
    stale = tmp_path / f".x.h5.tmp-{2**22 + 17}"  # a temporary left by a killed run (no such process)
    stale.write_text("half")
    code, output = run(*args)
    assert code == 0 and "exists and will be replaced" in output and not stale.exists()


def test_train_refuses_a_folder_holding_another_config(bad, tmp_path):
    first = cfg(bad, "first", TRAIN_OK.replace("{out}", str(tmp_path / "run")))
    assert run("train", first)[0] == 0
    second = cfg(bad, "second", TRAIN_OK.replace("{out}", str(tmp_path / "run")).replace("widths: [4, 8]",
                                                                                         "widths: [4, 4]"))
    code, output = run("train", second)
    assert code == 2 and "holds a run of another config" in " ".join(output.split())
    code, output = run("train", second, "--overwrite")
    assert code == 0 and "was removed" in output


def test_help_states_the_contig_rule():
    res = runner.invoke(app, ["make-examples", "--help"], env={"COLUMNS": "300"})
    assert res.exit_code == 0 and "chr' prefix" in " ".join(res.output.split())


def _children(pid):
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_killed_run_leaves_no_workers_and_no_output(demo, tmp_path, sig):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "x.h5"
    for attempt in range(3):  # on a loaded machine the 2-s run may end before the signal lands: then run it again
        p = subprocess.Popen([sys.executable, "-m", "genotorch.cli.main", "make-examples", "--ref", str(demo.ref),
                              "--reads", str(demo.bam), "--regions", "chr20:10000001-10100000", "-j", "2", "-o",
                              str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while time.time() < deadline and len(_children(p.pid)) < 2:
            time.sleep(0.05)
        workers = _children(p.pid)
        assert len(workers) >= 2, "the workers never started"
        p.send_signal(getattr(signal, sig))
        code = p.wait(30)
        if code != 0:
            break
        for q in tmp_path.iterdir():  # finished first: a complete output, which the next attempt replaces
            q.unlink()
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers), "orphan workers"
    assert code == (-9 if sig == "SIGKILL" else 143)
    assert not out.exists()
    left = [q.name for q in tmp_path.iterdir()]
    if sig == "SIGTERM":
        assert left == []  # cleaned up on the way out
    else:
        assert all(name.startswith(".x.h5.tmp-") for name in left)  # nothing can clean up after SIGKILL...
        code, _ = run("make-examples", "--ref", demo.ref, "--reads", demo.bam, "--regions",
                      "chr20:10000001-10001000", "-o", out)
        assert code == 0 and sorted(q.name for q in tmp_path.iterdir()) == ["x.h5", "x.h5.example_info.json"]
