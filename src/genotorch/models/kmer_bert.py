"""``kmer_bert``: a DNABERT-style k-mer transformer classifier (Ji et al. 2021, Bioinformatics 37:2112).

Input: one-hot DNA ``(N, 4, L)`` float32 (as every sequence model here, so reverse-complement, shift and window
augmentation apply unchanged), tokenized inside the model into overlapping k-mers with DNABERT's vocabulary
(:mod:`genotorch.encode.kmer`); or token ids ``(N, T)`` int64 directly. Output: ``(N, n_classes)`` logits.

The encoder is ``transformers.BertModel``; the head is dropout + linear on a pooled vector, as in
``BertForSequenceClassification``. ``pooling``: ``"mean"`` (the mean of the last hidden states over the tokens
that are not padding, [CLS] and [SEP] included; better than [CLS] for DNA models, Zhou et al. 2024, DNABERT-2) or
``"cls"`` (the [CLS] hidden state, as DNABERT).

Where the encoder comes from, first match wins:

* ``bert_config`` + ``vocab``: rebuilt with random weights (a genotorch checkpoint then loads them; this is how a
  trained model is reloaded without its pretraining directory);
* ``pretrained``: a local DNABERT-format directory (``config.json``, ``vocab.txt``, ``pytorch_model.bin`` or
  ``model.safetensors``) read with ``BertModel.from_pretrained(path, local_files_only=True)``; nothing is
  downloaded. Its ``vocab.txt`` fixes k; a different ``k`` in the config raises an error;
* otherwise a fresh encoder of ``hidden_size``/``num_hidden_layers``/``num_attention_heads``/``intermediate_size``
  with DNABERT's vocabulary for ``k``.

Raises GenotorchError for: a missing or non-DNABERT directory, a k that disagrees with its vocabulary, a
sequence length that does not fit the position embeddings (``L - k + 3 > max_position_embeddings``).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from genotorch.encode.kmer import PAD, dnabert_vocab, kmer_lookup, read_vocab, tokenize_one_hot
from genotorch.errors import GenotorchError


class KmerBert(nn.Module):
    """DNABERT-style classifier: one-hot ``(N, 4, L)`` float -> overlapping k-mer token ids (DNABERT vocabulary) ->
    ``transformers.BertModel`` -> mean or [CLS] pooling -> dropout + linear -> ``(N, n_classes)`` logits (Ji et al.
    2021, Bioinformatics 37:2112)."""
    def __init__(self, n_classes: int = 2, k: int = 6, length: int = 0, in_channels: int = 4,
                 pooling: str = "mean", pretrained: str | None = None, hidden_size: int = 256,
                 num_hidden_layers: int = 4, num_attention_heads: int = 4, intermediate_size: int = 1024,
                 max_position_embeddings: int = 512, dropout: float = 0.1, bert_config: dict | None = None,
                 vocab: list[str] | None = None):
        super().__init__()
        from transformers import BertConfig, BertModel

        if pooling not in ("mean", "cls"):
            raise GenotorchError(f"model.params.pooling {pooling!r}: use 'mean' or 'cls'")
        if in_channels != 4:
            raise GenotorchError(f"kmer_bert reads one-hot DNA with 4 channels (A, C, G, T), not {in_channels}")
        if bert_config and vocab:
            self.bert = BertModel(BertConfig(**bert_config), add_pooling_layer=False)
            k = len(vocab[-1])
        elif pretrained:
            path = Path(pretrained)
            if not (path / "config.json").exists():
                raise GenotorchError(f"model.params.pretrained {path}: not a DNABERT checkpoint directory (needs "
                                     "config.json, vocab.txt and the weights; nothing is downloaded)")
            vocab, vk = read_vocab(path / "vocab.txt")
            if k != vk:
                raise GenotorchError(f"model.params.k = {k} but {path} is a {vk}-mer model: set k to {vk}")
            self.bert = BertModel.from_pretrained(str(path), local_files_only=True, add_pooling_layer=False)
            self.bert.train()  # from_pretrained returns eval mode: dropout must be on for fine-tuning
        else:
            vocab = dnabert_vocab(k)
            self.bert = BertModel(BertConfig(
                vocab_size=len(vocab), hidden_size=hidden_size, num_hidden_layers=num_hidden_layers,
                num_attention_heads=num_attention_heads, intermediate_size=intermediate_size,
                max_position_embeddings=max_position_embeddings, hidden_dropout_prob=dropout,
                attention_probs_dropout_prob=dropout, pad_token_id=PAD), add_pooling_layer=False)
        cfg = self.bert.config
        if len(vocab) != cfg.vocab_size:
            raise GenotorchError(f"vocabulary of {len(vocab)} tokens but the encoder has {cfg.vocab_size} embeddings")
        if length and length - k + 3 > cfg.max_position_embeddings:
            raise GenotorchError(f"{length} bp gives {length - k + 3} tokens, more than the model's "
                                 f"{cfg.max_position_embeddings} positions: set data.sequence_length to at most "
                                 f"{cfg.max_position_embeddings + k - 3} (longer sequences are cut into windows)")
        self.k, self.pooling, self.vocab = k, pooling, list(vocab)
        self.register_buffer("lookup", torch.from_numpy(kmer_lookup(vocab, k)), persistent=False)
        self.dropout = nn.Dropout(cfg.hidden_dropout_prob)
        self.classifier = nn.Linear(cfg.hidden_size, n_classes)

    def inference_params(self) -> dict:
        """Constructor arguments that rebuild this encoder without its pretraining directory."""
        return {"bert_config": self.bert.config.to_diff_dict(), "vocab": self.vocab}

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        """Token ids ``(N, T)`` int64 from one-hot ``(N, 4, L)`` (token ids pass through)."""
        if x.dtype in (torch.int64, torch.int32):
            return x.long()
        if x.dim() != 3 or x.shape[1] != 4:
            raise ValueError(f"expected one-hot DNA (N, 4, L) or token ids (N, T), got {tuple(x.shape)}")
        return tokenize_one_hot(x, self.k, self.lookup)

    def embed(self, x: torch.Tensor, pooling: str | None = None) -> torch.Tensor:
        """``(N, hidden_size)`` float32 pooled last hidden states (``pooling`` defaults to the model's)."""
        ids = self.tokens(x)
        mask = ids != PAD
        h = self.bert(input_ids=ids, attention_mask=mask.long()).last_hidden_state
        if (pooling or self.pooling) == "cls":
            return h[:, 0]
        m = mask.unsqueeze(-1).to(h.dtype)
        return (h * m).sum(1) / m.sum(1).clamp_min(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.embed(x)))
