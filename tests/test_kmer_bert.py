"""k-mer tokenizer (DNABERT vocabulary) and the k-mer BERT: ids, strands, padding, local pretrained directories,
training through the harness and reloading without the pretraining directory."""

import numpy as np
import pytest
import torch

from genotorch.encode.kmer import dnabert_vocab, read_vocab, tokenize, tokenize_one_hot, kmer_lookup
from genotorch.encode.onehot import one_hot, reverse_complement
from genotorch.errors import GenotorchError
from genotorch.models.registry import build_model

from builders import sequence_config as config


def test_dnabert_vocabulary_order():
    v = dnabert_vocab(3)
    assert v[:9] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "AAA", "AAT", "AAC", "AAG"]
    assert len(v) == 69 and v[-1] == "GGG" and len(dnabert_vocab(6)) == 4101  # DNABERT-6 vocab_size
    with pytest.raises(GenotorchError, match="k from 3 to 6"):
        dnabert_vocab(7)


def test_tokenize_exact_ids():
    # A=0 T=1 C=2 G=3 in DNABERT's order: ACG = 0*16+2*4+3 = 11 -> id 16; CGT = 45 -> 50; GTA = 52 -> 57
    ids = tokenize(["ACGTA", "acgta", "ACNTA", "AC"], 3, length=6)
    assert ids.tolist() == [[2, 16, 50, 57, 3, 0],  # 6 bp: 6 - 3 + 3 tokens
                            [2, 16, 50, 57, 3, 0],  # lowercase = uppercase
                            [2, 1, 1, 1, 3, 0],  # every 3-mer touching the N is [UNK]
                            [2, 3, 0, 0, 0, 0]]  # shorter than k: no k-mer
    v = dnabert_vocab(3)
    assert [v[i] for i in tokenize(["GATTACA"], 3)[0]] == ["[CLS]", "GAT", "ATT", "TTA", "TAC", "ACA", "[SEP]"]


def test_one_hot_reverse_complement_tokenizes_as_the_reverse_complement():
    s = "GATTACAGGCTTNACG"
    x = torch.from_numpy(one_hot([s]))
    lut = torch.from_numpy(kmer_lookup(dnabert_vocab(4), 4))
    assert tokenize_one_hot(torch.flip(x, (1, 2)), 4, lut).tolist() == tokenize([reverse_complement(s)], 4).tolist()


def test_read_vocab_rejects_other_files(tmp_path):
    p = tmp_path / "vocab.txt"
    p.write_text("\n".join(dnabert_vocab(5)))
    assert read_vocab(p)[1] == 5
    p.write_text("\n".join(dnabert_vocab(5)[:-1]))
    with pytest.raises(GenotorchError, match="expected all 1024"):
        read_vocab(p)
    p.write_text("[PAD]\nhello\nworld\n")
    with pytest.raises(GenotorchError, match="not a DNABERT"):
        read_vocab(p)


def tiny(**kw):
    return dict(n_classes=2, k=3, length=30, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                intermediate_size=64, **kw)


def test_mean_pooling_ignores_padding_and_cls_pooling_selectable():
    torch.manual_seed(0)
    m = build_model("kmer_bert", **tiny()).eval()
    s = "ACGTTGCAGGATCCA"
    with torch.no_grad():
        alone = m.embed(torch.from_numpy(one_hot([s])))
        padded = m.embed(torch.from_numpy(one_hot([s, "A" * 30], 30)))[:1]
        assert torch.allclose(alone, padded, atol=1e-5) and alone.shape == (1, 32)
        assert m(torch.from_numpy(one_hot([s], 30))).shape == (1, 2)
        assert not torch.allclose(m.embed(torch.from_numpy(one_hot([s])), pooling="cls"), alone)


def write_pretrained(path, k=3, hidden=32):
    from transformers import BertConfig, BertModel

    torch.manual_seed(1)
    enc = BertModel(BertConfig(vocab_size=4 ** k + 5, hidden_size=hidden, num_hidden_layers=2,
                               num_attention_heads=2, intermediate_size=64, max_position_embeddings=64))
    enc.save_pretrained(path)
    (path / "vocab.txt").write_text("\n".join(dnabert_vocab(k)) + "\n")
    return enc


def test_local_pretrained_directory_and_its_errors(tmp_path):
    enc = write_pretrained(tmp_path / "dnabert3")
    m = build_model("kmer_bert", n_classes=4, k=3, pretrained=str(tmp_path / "dnabert3"))
    assert torch.equal(m.bert.embeddings.word_embeddings.weight, enc.embeddings.word_embeddings.weight)
    assert m.classifier.out_features == 4  # a new head on the pretrained encoder
    assert all(mod.training for mod in m.modules())  # dropout on for fine-tuning
    with pytest.raises(GenotorchError, match="set k to 3"):
        build_model("kmer_bert", k=6, pretrained=str(tmp_path / "dnabert3"))
    with pytest.raises(GenotorchError, match="not a DNABERT checkpoint directory"):
        build_model("kmer_bert", k=3, pretrained=str(tmp_path / "nowhere"))
    with pytest.raises(GenotorchError, match="at most 64"):  # 64 positions: L - 3 + 3 <= 64
        build_model("kmer_bert", k=3, length=65, pretrained=str(tmp_path / "dnabert3"))


def test_fine_tune_from_pretrained_and_reload_without_it(tmp_path):
    import shutil

    from genotorch.models.checkpoint import load_classifier
    from genotorch.predict.sequences import predict_sequences
    from genotorch.train.run import train

    write_pretrained(tmp_path / "dnabert3")
    cfg = config(tmp_path, **{"model.name": "kmer_bert", "model.params": {"k": 3, "pretrained": str(tmp_path / "dnabert3")},
                              "trainer.max_epochs": 2, "optimizer.lr": 0.001})
    res = train(cfg, progress_bar=False)
    assert res.test["n"] == 100 and res.test["auroc"] > 0.7  # learned the planted TATAAA box (seeded: 0.816)
    seqs = ["ACGTACGTACTATAAAGCGTACGTACGTAGCATGCA", "ACGT" * 12]
    model, meta = load_classifier(res.best_checkpoint)
    before = predict_sequences(model, 40, seqs)
    shutil.rmtree(tmp_path / "dnabert3")
    model, meta = load_classifier(res.best_checkpoint)
    assert meta["config"]["model"]["params"]["pretrained"] == str(tmp_path / "dnabert3")  # recorded
    np.testing.assert_allclose(predict_sequences(model, 40, seqs), before, atol=1e-6)

    # embed: mean-pooled embeddings with ids, .h5 and .npy, equal to the model's own pooling of the one-hot
    import h5py
    from typer.testing import CliRunner

    from genotorch.cli.main import app

    fasta = tmp_path / "q.fa"
    fasta.write_text(f">a\n{seqs[0]}\n>b desc\n{seqs[1]}\n>long\n{seqs[1] * 3}\n")
    r = CliRunner().invoke(app, ["embed", str(fasta), "--model", str(res.best_checkpoint), "-o", str(tmp_path / "e.h5")])
    assert r.exit_code == 0, r.output
    with h5py.File(tmp_path / "e.h5") as f:
        emb, ids = f["embeddings"][:], [i.decode() for i in f["ids"][:]]
        assert f.attrs["pooling"] == "mean" and f.attrs["model_name"] == "kmer_bert"
    assert ids == ["a", "b", "long"] and emb.shape == (3, 32) and emb.dtype == np.float32
    with torch.no_grad():
        direct = model.embed(torch.from_numpy(one_hot(seqs[:1], 40))).numpy()
    np.testing.assert_allclose(emb[:1], direct, atol=1e-5)
    r = CliRunner().invoke(app, ["embed", str(fasta), "--model", str(res.best_checkpoint), "-o", str(tmp_path / "e.npy"),
                                 "--pooling", "cls"])
    assert r.exit_code == 0, r.output
    assert np.load(tmp_path / "e.npy").shape == (3, 32)
    assert (tmp_path / "e.ids.txt").read_text().split() == ["a", "b", "long"]
    r = CliRunner().invoke(app, ["embed", str(fasta), "--model", str(res.best_checkpoint), "-o", str(tmp_path / "e.txt")])
    assert r.exit_code == 2 and "use .npy" in r.output and not (tmp_path / "e.txt").exists()


def test_cnn_embedding_is_the_penultimate_layer(tmp_path):
    from genotorch.predict.sequences import embed_sequences

    torch.manual_seed(0)
    m = build_model("small_cnn", n_classes=2, filters=8).eval()
    s = ["ACGTTGCAGGATCCA", "TTTTGGGGCCCCAAAA"]
    emb = embed_sequences(m, 16, s)
    with torch.no_grad():
        h = m.features(torch.from_numpy(one_hot(s, 16)))
    np.testing.assert_allclose(emb, torch.cat([h.amax(-1), h.mean(-1)], 1).numpy(), atol=1e-5)
    with pytest.raises(GenotorchError, match="only k-mer transformers"):
        embed_sequences(m, 16, s, pooling="cls")


def test_init_from_a_checkpoint_for_another_k_or_input(tmp_path):
    from genotorch.train.run import train

    cfg = config(tmp_path, **{"model.name": "kmer_bert", "trainer.max_epochs": 1, "trainer.max_steps": 2,
                              "model.params": {"k": 3, "hidden_size": 16, "num_hidden_layers": 1,
                                               "num_attention_heads": 2, "intermediate_size": 32}})
    ck3 = train(cfg, progress_bar=False).last_checkpoint
    (tmp_path / "x").mkdir()
    other = config(tmp_path / "x", **{"model.name": "kmer_bert", "trainer.max_steps": 1,
                                      "model.params": {"k": 4, "hidden_size": 16, "num_hidden_layers": 1,
                                                       "num_attention_heads": 2, "intermediate_size": 32}})
    with pytest.raises(GenotorchError, match="a 3-mer model, but this config has model.params.k = 4"):
        train(other, init_from=str(ck3), progress_bar=False)
    cnn = config(tmp_path / "x", **{"trainer.max_steps": 1})
    with pytest.raises(GenotorchError, match="no tensor of its kmer_bert model matches this run's small_cnn"):
        train(cnn, init_from=str(ck3), progress_bar=False)


def test_init_from_a_pileup_checkpoint_is_refused(tmp_path):
    from genotorch.models.default import default_model_path
    from genotorch.train.run import train

    with pytest.raises(GenotorchError, match="reads pileup input"):
        train(config(tmp_path, **{"trainer.max_steps": 1}), init_from=str(default_model_path()), progress_bar=False)


def test_dnabert_masked_lm_checkpoint_loads_its_encoder(tmp_path):
    """DNABERT-6 is published as BertForMaskedLM (weights under ``bert.``, an MLM head beside): the encoder loads,
    the MLM head is left out."""
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(2)
    mlm = BertForMaskedLM(BertConfig(vocab_size=4 ** 4 + 5, hidden_size=16, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=32, max_position_embeddings=40))
    mlm.save_pretrained(tmp_path / "dnabert4")
    (tmp_path / "dnabert4" / "vocab.txt").write_text("\n".join(dnabert_vocab(4)) + "\n")
    m = build_model("kmer_bert", n_classes=2, k=4, length=30, pretrained=str(tmp_path / "dnabert4"))
    assert torch.equal(m.bert.encoder.layer[0].attention.self.query.weight,
                       mlm.bert.encoder.layer[0].attention.self.query.weight)
