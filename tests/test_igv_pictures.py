"""The IGV-picture pipeline's parts: site-level answers of a caller's VCF, the per-class site metrics, and the sites
and pictures of a real HG002 region (scripts/igv_pictures.py)."""

import importlib.util

import numpy as np
import pysam
from PIL import Image

from conftest import ROOT
from genotorch.variants.site_calls import called_at, site_metrics, variant_starts


def write_vcf(path, records):
    header = pysam.VariantHeader()
    header.contigs.add("chr20", length=1000)
    for f in ("RefCall", "LowQual"):
        header.filters.add(f, None, None, f)
    header.formats.add("GT", 1, "String", "Genotype")
    header.add_sample("S")
    with pysam.VariantFile(str(path), "w", header=header) as vf:
        for start, ref, alt, gt, filt in records:
            r = vf.new_record(contig="chr20", start=start, alleles=(ref, alt))
            if filt:
                r.filter.add(filt)
            r.samples["S"]["GT"] = gt
            vf.write(r)
    return path


def test_called_at_reads_pass_non_reference_records_only(tmp_path):
    vcf = write_vcf(tmp_path / "c.vcf", [
        (100, "A", "C", (0, 1), "PASS"),
        (200, "A", "C", (0, 0), "RefCall"),
        (300, "A", "C", (1, 1), "LowQual"),
        (400, "A", "G", (1, 1), None),         # bcftools writes FILTER "."
        (500, "AT", "A", (1, 1), "PASS"),
    ])
    starts = variant_starts(vcf)
    assert list(starts) == ["20"] and starts["20"].tolist() == [100, 400, 500]
    sites = [("20", 100), ("chr20", 101), ("20", 102), ("20", 200), ("20", 300), ("20", 400), ("20", 499),
             ("20", 502), ("21", 100)]
    assert called_at(sites, starts).tolist() == [True, True, False, False, False, True, True, False, False]
    assert called_at(sites, starts, window=0).tolist() == [True, False, False, False, False, True, False, False,
                                                           False]


def test_site_metrics_counts_both_classes():
    truth = [True, True, True, False, False, False, False]
    said = [True, False, True, True, False, False, False]
    m = site_metrics(truth, said)
    assert m["n"] == 7 and m["accuracy"] == 5 / 7
    assert m["variant"] == {"tp": 2, "fp": 1, "fn": 1, "precision": 2 / 3, "recall": 2 / 3}
    assert m["no_variant"] == {"tp": 3, "fp": 1, "fn": 1, "precision": 3 / 4, "recall": 3 / 4}


def test_sites_and_pictures_of_a_real_region(shared, tmp_path):
    spec = importlib.util.spec_from_file_location("igv_pictures", ROOT / "scripts" / "igv_pictures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    from genotorch.io.reference import Reference
    from genotorch.render.reads import RenderConfig

    d = next(s for s in mod.read_sets(shared.parent) if s["name"] == "r36.01")
    cfg = RenderConfig(flank=20, px_per_base=4, row_px=4, gap_px=1, max_rows=32)
    ref = Reference(str(d["ref"]))
    conf = mod.confident(d, ref.lengths)
    rows = mod.build_set(d, ref, conf, tmp_path, 4, 0, cfg)
    truth = [r for r in rows if r["cls"] == "variant"]
    # the five GIAB v4.2.1 SNPs inside the approximate confident BED of 20:36,018,823-36,039,513
    assert [(r["kind"], r["pos"] + 1) for r in truth] == [("snp", p) for p in (36025230, 36030658, 36030939,
                                                                                36031097, 36032290)]
    neg = [r for r in rows if r["cls"] == "no_variant"]
    assert {r["kind"] for r in neg} == {"random", "near", "lookalike"}
    assert len({(r["contig"], r["pos"]) for r in rows}) == len(rows)  # no site twice
    tpos = np.array([r["pos"] for r in truth])
    for r in neg:  # every negative keeps 2 bp or more from the truth variants
        assert np.abs(tpos - r["pos"]).min() >= 2
    with Image.open(rows[0]["path"]) as img:
        assert img.size == (164, 200) and img.mode == "RGB"
    assert rows == mod.build_set(d, ref, conf, tmp_path, 4, 0, cfg)  # seeded: the same sites again
