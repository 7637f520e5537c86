"""German sentence splitting with nltk Punkt, trained on the corpus (no downloads).

``nltk.download`` is unavailable, so the Punkt parameters are learned from the corpus
with :class:`PunktTrainer`, extended by a German abbreviation list
(``data/abbreviations_de.txt``) and shipped as ``data/punkt_de.json``. Rebuild with::

    python -m ingest.sentences --train corpus/*.txt

Punkt alone splits after ordinals and day numbers ("2. Demografie Gipfel",
"5. November 2019") because German nouns are always capitalised; a split after a
one- or two-digit number (or a Roman numeral) is therefore undone.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import string
from functools import lru_cache
from pathlib import Path

from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer, PunktTrainer

from ingest.readers import read_document
from ingest.structure import build

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
ABBREVIATIONS_PATH = DATA_DIR / "abbreviations_de.txt"
PARAMS_PATH = DATA_DIR / "punkt_de.json"
_ORDINAL_END = re.compile(r"(?:^|[\s(])(?:\d{1,2}|[IVX]{1,4})\.$")
# After "2." these words start a new sentence; nouns and month names ("2. Demografie
# Gipfel", "5. November") do not.
_STARTERS = set(
    "Der Die Das Dem Den Des Dies Diese Dieser Dieses Es Er Sie Wir Ich Man Im In Am Auch Zudem "
    "Dabei Damit Danach Daher Deshalb Außerdem Hier So Ein Eine Einen Bei Mit Nach Für Zur Zum Um "
    "Wenn Als Seit Darüber Weitere Insgesamt Zusätzlich Viele Alle Einige Manche Mehrere Nur Seitdem "
    "Inzwischen Heute Jetzt Dort Darauf Daraufhin Anschließend Schließlich Trotzdem Dennoch Allerdings "
    "Jedoch Aber Und Oder Denn Doch Nun Wie Was Wer Warum Welche Welcher Jede Jeder Jedes Davon Dazu "
    "Hierzu Hierbei Ihr Ihre Sein Seine Unser Unsere Bisher Derzeit Aktuell Rund Knapp Etwa Fast Mehr "
    "Weniger Gleichzeitig Ebenso Darunter Davor Dadurch Somit Also".split()
)


def load_abbreviations(path: Path = ABBREVIATIONS_PATH) -> set[str]:
    """Abbreviations as Punkt stores them: lowercase, without the final period.

    Source: the hand-kept list ``data/abbreviations_de.txt`` (one per line, ``#``
    comments), plus every single letter for initials and "z. B."-style forms.
    """
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.add(line.lower().rstrip("."))
    # Single letters: initials and spaced forms such as "z. B.", "d. h.", "u. a.".
    out.update(string.ascii_lowercase)
    out.update("äöü")
    return out


def train(texts: list[str]) -> PunktParameters:
    """Learn Punkt parameters from German text and add the abbreviation list."""
    trainer = PunktTrainer()
    trainer.INCLUDE_ALL_COLLOCS = True
    for text in texts:
        trainer.train(text, finalize=False)
    trainer.finalize_training()
    params = trainer.get_params()
    params.abbrev_types.update(load_abbreviations())
    return params


def params_to_dict(params: PunktParameters) -> dict:
    """Punkt parameters as sorted JSON-ready data (the format of ``data/punkt_de.json``)."""
    return {
        "abbrev_types": sorted(params.abbrev_types),
        "collocations": sorted([a, b] for a, b in params.collocations),
        "sent_starters": sorted(params.sent_starters),
        "ortho_context": dict(sorted(params.ortho_context.items())),
    }


def params_from_dict(data: dict) -> PunktParameters:
    """Inverse of :func:`params_to_dict`; missing keys give empty parameters."""
    params = PunktParameters()
    params.abbrev_types = set(data.get("abbrev_types", []))
    params.collocations = {tuple(pair) for pair in data.get("collocations", [])}
    params.sent_starters = set(data.get("sent_starters", []))
    for key, value in data.get("ortho_context", {}).items():
        params.ortho_context[key] = int(value)
    return params


@lru_cache(maxsize=1)
def tokenizer() -> PunktSentenceTokenizer:
    """The shipped German tokenizer (abbreviation list only if the JSON is missing)."""
    if PARAMS_PATH.exists():
        params = params_from_dict(json.loads(PARAMS_PATH.read_text(encoding="utf-8")))
        params.abbrev_types.update(load_abbreviations())  # the list may be newer than the JSON
    else:
        log.warning("%s missing; sentence splitting uses the abbreviation list only", PARAMS_PATH)
        params = PunktParameters()
        params.abbrev_types = load_abbreviations()
    return PunktSentenceTokenizer(params)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in ``text`` (whitespace between them excluded)."""
    spans: list[tuple[int, int]] = []
    for start, end in tokenizer().span_tokenize(text):
        first = text[start:end].split(maxsplit=1)[0] if text[start:end].strip() else ""
        if spans and _ORDINAL_END.search(text[spans[-1][0] : spans[-1][1]]) and first not in _STARTERS:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` as strings (see :func:`sentence_spans`)."""
    return [text[s:e] for s, e in sentence_spans(text)]


def _training_texts(paths: list[Path]) -> list[str]:
    texts = []
    for path in paths:
        cleaned = build(read_document(path).pages)
        texts.append("\n\n".join(b.text for b in cleaned.blocks if b.kind in ("paragraph", "list")))
    return texts


def main(argv: list[str] | None = None) -> None:
    """CLI: ``python -m ingest.sentences --train FILE… [--out PATH]`` retrains
    ``data/punkt_de.json`` from the paragraphs and lists of the given corpus files."""
    parser = argparse.ArgumentParser(description="Train German Punkt parameters on corpus files.")
    parser.add_argument("--train", nargs="+", type=Path, required=True, metavar="FILE")
    parser.add_argument("--out", type=Path, default=PARAMS_PATH)
    args = parser.parse_args(argv)
    params = train(_training_texts(args.train))
    args.out.write_text(json.dumps(params_to_dict(params), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(params.abbrev_types)} abbreviations, "
          f"{len(params.collocations)} collocations, {len(params.sent_starters)} sentence starters")


if __name__ == "__main__":
    main()
