"""Raw records: what one place in one document says about one municipality."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Sources in order of trust: earlier ones win for name, type, Land and population.
SOURCE_PRIORITY = (
    "desi-tabelle-1", "difu-profil", "difu-sonderkategorie", "difu-anhang", "desi-interviews",
    "desi-tabelle-1-kreis", "partnerstaedte", "desi-gute-idee", "einwohnerangabe", "verlinkt", "erwaehnung",
)


@dataclass
class Record:
    """What one place in one document says about one municipality, before merging.

    ``offset`` is a character offset into ``Document.text`` of ``doc_id``; ``quote`` the
    line it stands in; ``source`` one of ``SOURCE_PRIORITY`` (which record wins a
    conflict); ``population`` in inhabitants as the document states it.
    """

    name: str  # as written, e.g. "Osnabrück, Landkreis" or "Stadt Dülmen"
    doc_id: str
    offset: int
    quote: str
    source: str  # one of SOURCE_PRIORITY
    type_hint: str | None = None
    land: str | None = None  # Land code
    country: str | None = None
    population: int | None = None
    facts: list[dict] = field(default_factory=list)  # {name, value, offset, quote}
    projects: list[str] = field(default_factory=list)

    def add_fact(self, name: str, value: str, offset: int | None = None, quote: str | None = None) -> None:
        """Append a ``{name, value, offset, quote}`` fact; offset and quote default to the record's."""
        self.facts.append(
            {"name": name, "value": value, "offset": self.offset if offset is None else offset,
             "quote": short(quote if quote is not None else self.quote)}
        )

    @property
    def rank(self) -> int:
        """Position of ``source`` in ``SOURCE_PRIORITY`` (0 = most trusted); ValueError for another source."""
        return SOURCE_PRIORITY.index(self.source)


def lines_with_offsets(text: str) -> list[tuple[int, str]]:
    """Every line of ``text`` (split at "\\n") with the character offset where it starts."""
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def to_int(value: str) -> int | None:
    """'46.613' / '7.395**' / '1 464 301' -> int; '---' -> None."""
    digits = re.sub(r"[.\s\u202f*]", "", value or "")
    return int(digits) if digits.isdigit() else None


def short(text: str, limit: int = 300) -> str:
    """Tags removed and whitespace collapsed, cut to at most ``limit`` characters with "…"."""
    text = re.sub(r"<[^<>]+>", " ", text)  # never across another "<": linear
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def strip_markup(text: str) -> str:
    """Tags, replacement characters and ``**`` removed, line-break hyphenation joined
    ("Wis- senschaft" -> "Wissenschaft", "Stadt- und" kept), whitespace collapsed."""
    text = re.sub(r"<[^<>]+>", " ", text).replace("\ufffd", " ").replace("**", "")
    text = re.sub(r"(\w)- (?!(?:und|oder|bzw|sowie|als|bis)\b)(?=[a-zäöüß])", r"\1", text)  # "Wis- senschaft"
    return re.sub(r"\s+", " ", text).strip()
