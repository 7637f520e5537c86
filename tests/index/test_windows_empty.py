"""A corpus without any sentence window (every passage one sentence or one long word, as a
1.8 MB single-token upload becomes) builds: the window step used to hand the model's
tokenizer an empty list, which fails (found by tools.bench_adversarial, issue 27)."""

from __future__ import annotations

from index.build import build_index
from index.model.embedder import HashEmbedder
from index.multivector import cut_to_tokens, windows
from core.settings import Settings


class _Tokenizing(HashEmbedder):
    """HashEmbedder with a tokenizer that, like the transformers one, fails on no texts."""

    prompts = {"query": "query: ", "passage": "passage: "}

    @staticmethod
    def tokenizer(texts, **kwargs):
        if not texts:
            raise IndexError("list index out of range")
        return {"offset_mapping": [[(0, len(t))] for t in texts]}


def test_no_windows_no_tokenizer_call():
    assert cut_to_tokens([], _Tokenizing(64), 88) == []


def test_a_corpus_without_windows_builds(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "token.txt").write_text("A" * 1_000, encoding="utf-8")
    settings = Settings.from_env(data_dir=tmp_path / "var", corpus_dir=corpus)
    outcome = build_index(settings, _Tokenizing(64))
    assert outcome.rebuilt and outcome.counts["passages"] == 1 and outcome.counts["windows"] == 0
    assert windows([])[0] == []
