"""simulate-training-data on a 20 kb slice of the real reference and HG001's phased truth."""

import json
import shutil

import pysam
import pytest

from genotorch.errors import GenotorchError
from genotorch.io.intervals import Interval
from genotorch.variants.simulate import SimulationConfig, art_profile, simulate_training_data, subtract

pytestmark = pytest.mark.skipif(not (shutil.which("art_illumina") and shutil.which("bwa")),
                                reason="art_illumina / bwa not installed (scripts/install.sh installs them)")


def test_subtract_cuts_holes():
    got = subtract([Interval("c", 0, 100), Interval("d", 0, 10)], [Interval("c", 20, 30), Interval("c", 90, 200)])
    assert got == [Interval("c", 0, 20), Interval("c", 30, 90), Interval("d", 0, 10)]


def test_art_profile_by_read_length():
    assert [art_profile(n) for n in (100, 101, 150, 250)] == ["HS20", "HS25", "HS25", "MSv3"]


@pytest.fixture(scope="module")
def sim(shared, tmp_path_factory):
    d = shared / "variants" / "hg001_illumina_grch37"
    out = tmp_path_factory.mktemp("sim")
    truth = next(d.glob("HG001_*PGandRTGphasetransfer.vcf.gz"))
    info = simulate_training_data(d / "ucsc.hg19.chr20.unittest.fasta.gz", truth, ["chr20:10095001-10120000"], out,
                                  SimulationConfig(depth=20, read_length=100, seed=3, threads=1),
                                  exclude=["chr20:10000001-10100000"])
    return out, info, truth


def test_outputs_are_complete_and_labelled(sim):
    out, info, truth = sim
    assert info["pieces"] == ["chr20:10100001-10120000"]
    assert (out / "confident.bed").read_text() == "chr20\t10100500\t10119500\n"
    assert json.loads((out / "run_info.json").read_text())["counts"] == info["counts"]
    assert not list(out.glob(".sim-*"))  # the temporary folder is gone
    # the truth is the phased VCF's records inside the piece, genotypes unchanged (none overlap or are unphased here)
    with pysam.VariantFile(str(truth)) as vf:
        expected = [(r.pos, r.alleles, r.samples[0]["GT"]) for r in vf.fetch("20", 10100000, 10120000)
                    if r.start >= 10100000 and r.stop <= 10120000]
    with pysam.VariantFile(str(out / "truth.vcf.gz")) as vf:
        got = [(r.pos, r.alleles, r.samples[0]["GT"]) for r in vf]
    assert info["counts"]["skipped_unphased"] == info["counts"]["skipped_overlap"] == 0
    assert got == expected and len(got) == info["counts"]["truth_records"] > 20


def test_reads_are_on_the_full_reference_and_carry_the_alleles(sim):
    out, info, _ = sim
    with pysam.AlignmentFile(str(out / "reads.bam")) as bam:
        assert bam.references == ("chr20",) and bam.lengths == (63025520,)
        assert bam.header["RG"][0]["SM"] == "HG001"
        assert bam.count("chr20", 9_990_000, 10_099_000) == 0  # the excluded window gets no reads
        n = bam.count("chr20", 10_105_000, 10_115_000)
        assert 20 * 10_000 / 100 * 0.8 < n < 20 * 10_000 / 100 * 1.3  # ~20x of 100 bp reads
        mapq = [r.mapping_quality for r in bam.fetch("chr20", 10_105_000, 10_115_000)]
        assert sum(q >= 20 for q in mapq) / len(mapq) > 0.95
        with pysam.VariantFile(str(out / "truth.vcf.gz")) as vf:
            snvs = [r for r in vf if len(r.ref) == len(r.alts[0]) == 1 and 10_101_000 < r.pos < 10_119_000]
        for rec in snvs:  # hom-alt ~100% alt, het ~50%: the reads were made from the haplotypes
            col = bam.count_coverage("chr20", rec.start, rec.stop, quality_threshold=0)
            counts = {b: c[0] for b, c in zip("ACGT", col)}
            frac = counts[rec.alts[0]] / max(1, sum(counts.values()))
            want = sum(1 for a in rec.samples[0]["GT"] if a) / 2
            assert abs(frac - want) < 0.3, (rec.pos, frac, want)


def test_same_seed_same_reads(sim, shared, tmp_path):
    out, info, truth = sim
    d = shared / "variants" / "hg001_illumina_grch37"
    simulate_training_data(d / "ucsc.hg19.chr20.unittest.fasta.gz", truth, ["chr20:10095001-10120000"], tmp_path,
                           SimulationConfig(depth=20, read_length=100, seed=3, threads=1),
                           exclude=["chr20:10000001-10100000"])

    def reads(p):
        with pysam.AlignmentFile(str(p / "reads.bam")) as bam:
            return [(r.query_name, r.reference_start, r.query_sequence) for r in bam]

    assert reads(tmp_path) == reads(out)


def test_bad_input_is_named(shared, tmp_path, monkeypatch):
    d = shared / "variants" / "hg001_illumina_grch37"
    ref, truth = d / "ucsc.hg19.chr20.unittest.fasta.gz", next(d.glob("HG001_*.vcf.gz"))
    with pytest.raises(GenotorchError, match="nothing long enough"):
        simulate_training_data(ref, truth, ["chr20:10000001-10100000"], tmp_path, exclude=["chr20:10000001-10100000"])
    with pytest.raises(GenotorchError, match="--sample NA12891 is not in"):
        simulate_training_data(ref, truth, ["chr20:10100001-10120000"], tmp_path, SimulationConfig(sample="NA12891"))
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(GenotorchError, match="apt-get install art-nextgen-simulation-tools bwa samtools"):
        simulate_training_data(ref, truth, ["chr20:10100001-10120000"], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_random_variants_rate_and_kinds():
    import numpy as np

    from genotorch.variants.simulate import random_variants

    seq = "ACGT" * 25_000
    out = random_variants(seq, 100, np.random.default_rng(0))
    assert out != seq and abs(len(out) - len(seq)) < 300  # insertions and deletions roughly cancel
    assert random_variants(seq, 100, np.random.default_rng(0)) == out  # seeded
    same = random_variants(seq[:5000], 10**9, np.random.default_rng(0))
    assert same == seq[:5000]


def test_random_variants_join_the_truth(shared, tmp_path):
    d = shared / "variants" / "hg001_illumina_grch37"
    truth = next(d.glob("HG001_*PGandRTGphasetransfer.vcf.gz"))
    info = simulate_training_data(d / "ucsc.hg19.chr20.unittest.fasta.gz", truth, ["chr20:10100001-10120000"], tmp_path,
                                  SimulationConfig(depth=10, read_length=100, seed=4, random_variant_spacing=400))
    with pysam.VariantFile(str(truth)) as vf:
        real = {r.pos for r in vf.fetch("20", 10100000, 10120000) if r.start >= 10100000 and r.stop <= 10120000}
    with pysam.VariantFile(str(tmp_path / "truth.vcf.gz")) as vf:
        got = [(r.pos, r.samples[0]["GT"]) for r in vf]
    extra = [p for p, _ in got if p not in real]
    assert real <= {p for p, _ in got} and len(extra) == info["counts"]["random_variants"]
    assert 20_000 / (400 + 20) * 0.5 < len(extra) < 20_000 / (400 + 20) * 1.5
    assert all(min(abs(p - q) for q in real) >= 20 for p in extra)  # never on top of a real variant
    gts = [gt for p, gt in got if p in set(extra)]
    assert {(1, 1), (1, 0), (0, 1)} == set(gts)


def test_repeat_tracts_indels_and_stutter():
    import numpy as np

    from genotorch.variants.simulate_errors import _stutter_read, repeat_indel, repeat_tracts

    seq = "GCT" + "A" * 8 + "GC" + "CA" * 5 + "TTG"
    assert repeat_tracts(seq) == [(3, 11, "A"), (13, 23, "CA")]  # the GC before (CA)5 is no unit of it
    rng = np.random.default_rng(0)
    for _ in range(20):  # anchored on the base before the tract, whole units added or removed
        pos, (ref, alt) = repeat_indel(seq, 100, (3, 11, "A"), rng)
        assert pos == 102 and ref[0] == alt[0] == "T" and set(ref[1:] + alt[1:]) == {"A"} and len(ref) != len(alt)
    read = "ACGT" + "T" * 15 + "GACC"
    outs = {_stutter_read(read, "I" * len(read), 0.1, 1.0, np.random.default_rng(k))[0] for k in range(40)}
    assert outs <= {read.replace("T" * 15, "T" * 14), read.replace("T" * 15, "T" * 16)}  # p = min(1, 1.0): always
    assert len(outs) == 2
    assert _stutter_read(read, "I" * len(read), 0.0, 1.0, np.random.default_rng(0))[0] == read


def test_multiallelic_repeat_site():
    import numpy as np

    from genotorch.variants.simulate_errors import repeat_indel_pair

    seq = "GCT" + "CA" * 6 + "TTG"
    rng = np.random.default_rng(0)
    for _ in range(20):
        pos, (ref, a1, a2) = repeat_indel_pair(seq, 100, (3, 15, "CA"), rng)
        assert pos == 102 and a1 != a2 and ref[0] == a1[0] == a2[0] == "T"
        for a in (ref, a1, a2):  # anchor + whole CA units, REF the longest deletion's span
            assert a[1:] == "CA" * ((len(a) - 1) // 2)
        assert seq[2:2 + len(ref)] == ref


@pytest.mark.parametrize("technology,platform,quality", [("hifi", "PACBIO", (60, 60)), ("ont", "ONT", (5, 60))])
def test_long_reads(shared, tmp_path, technology, platform, quality):
    import numpy as np

    from genotorch.variants.simulate import SimulationConfig, simulate_training_data

    d = shared / "variants/hg001_illumina_grch37"
    truth = next(d.glob("HG001_*PGandRTGphasetransfer.vcf.gz"))
    info = simulate_training_data(d / "ucsc.hg19.chr20.unittest.fasta.gz", truth, ["chr20:10100001-10160000"],
                                  tmp_path, SimulationConfig(depth=10, seed=4, technology=technology, threads=1))
    with pysam.AlignmentFile(str(tmp_path / "reads.bam")) as bam:
        assert bam.header.to_dict()["RG"][0]["PL"] == platform
        reads = [r for r in bam if not r.is_secondary and not r.is_supplementary]
    lengths = [r.query_length for r in reads]
    quals = np.concatenate([r.query_qualities for r in reads])
    assert np.median(lengths) > 2000 and quals.min() >= quality[0] and quals.max() <= quality[1]
    assert info["counts"]["homopolymer_error_reads"] > 0
    assert sum(1 for r in reads if r.mapping_quality >= 20) > 0.9 * len(reads)  # minimap2 put them back


def test_preset_refuses_reads_of_another_technology():
    from genotorch.errors import GenotorchError
    from genotorch.variants.presets import check_reads_fit, get_preset

    check_reads_fit(get_preset("illumina"), 150, "x.bam")
    check_reads_fit(get_preset("hifi"), 15000, "x.bam")
    check_reads_fit(get_preset("ont"), 0, "x.bam")  # no read seen: nothing to say
    with pytest.raises(GenotorchError, match="use --preset hifi or --preset ont"):
        check_reads_fit(get_preset("illumina"), 15000, "x.bam")
    with pytest.raises(GenotorchError, match="use --preset illumina"):
        check_reads_fit(get_preset("ont"), 150, "x.bam")


def test_quality_profile_from_real_reads(shared, tmp_path):
    """ART's profiler on real HG002 HiSeq X reads (binned qualities, 128 bp): the simulated reads carry only the
    quality values the real reads carry, and a longer read length is refused."""
    d = shared / "variants" / "hg001_illumina_grch37"
    real = shared / "variants/hg002_illumina_hiseqx_grch37/NA24385_chr_20_36018823_36039513.bam"
    truth = next(d.glob("HG001_*PGandRTGphasetransfer.vcf.gz"))
    ref = d / "ucsc.hg19.chr20.unittest.fasta.gz"
    cfg = SimulationConfig(depth=8, read_length=128, seed=3, threads=1, profile_reads=str(real))
    info = simulate_training_data(ref, truth, ["chr20:10100001-10110000"], tmp_path / "sim", cfg)
    assert (tmp_path / "sim" / "art_profile_R1.txt").exists() and (tmp_path / "sim" / "art_profile_R2.txt").exists()
    assert info["profile"].startswith(f"built from {real} by art_profiler_illumina")
    with pysam.AlignmentFile(str(real)) as bam:
        real_quals = {q for r in bam.head(2000) for q in r.query_qualities}
    with pysam.AlignmentFile(str(tmp_path / "sim" / "reads.bam")) as bam:
        sim_quals = {q for r in bam.head(2000) for q in r.query_qualities}
    assert sim_quals == real_quals and len(real_quals) == 8  # HiSeq X's eight quality bins, none of art's own
    with pytest.raises(GenotorchError, match="--read-length 150 exceeds the 128-bp reads of --profile-from"):
        simulate_training_data(ref, truth, ["chr20:10100001-10110000"], tmp_path / "sim2",
                               SimulationConfig(depth=8, read_length=150, seed=3, profile_reads=str(real)))
    assert not (tmp_path / "sim2" / "reads.bam").exists()
