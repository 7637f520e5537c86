"""Entity linking of German municipalities in any document, driven by the reference gazetteer.

``EntityLinker().link(text)`` returns the ``Link``s of a text: where a Kreis, a kreisfreie
Stadt or a Gemeinde is named, and which one. The candidates are the official reference
data (``reference.py``: Destatis' 401 Kreise and kreisfreie Städte, GeoNames' German
places), not a list of the corpus's municipalities, so a document about a place the corpus
never named is linked all the same. The method follows the usual gazetteer linker
(mention detection by longest match over a name dictionary, candidate generation,
disambiguation by context and by prior, refusal when it stays ambiguous):

1. **Mentions.** Longest match of folded word tokens against every reference name and its
   spelled-out forms ("Neustadt a.d.Waldnaab" = "Neustadt an der Waldnaab"), on name
   boundaries: the name ends where the reference name ends, so "Landkreis Lüchow-Dannenberg
   im Osten" is "Lüchow-Dannenberg" and "Weissach im Tal" stays whole. A genitive "-s" is
   tried too ("Osnabrücks"). A name must start with a capital, must not be part of a hyphen
   compound ("Berlin-Brandenburg") or follow a postal code. URLs and e-mail addresses are
   masked first, in linear time.
2. **Prefix.** The words before the name ("Landkreis", "des Landkreises", "Kreis", "Stadt",
   "der Gemeinde", "Samtgemeinde", "Große Kreisstadt", "Stadt und Landkreis" …) choose the
   kind: a Kreis prefix links the Kreis, a town prefix the town ("Landkreis Osnabrück" vs
   "Osnabrück"); a bare name means the town, and a Kreis only where no town has the name.
   A prefix before a name the reference data lacks ("Samtgemeinde Elm-Asse") still makes a
   mention, without reference data.
3. **Unprefixed names must be distinctive**: never a Land's name ("Brandenburg", "Berlin"),
   never a common German word (the Ding dictionary's words in a sense other than a place,
   where installed: "Hof", "Essen" need a prefix or a place preposition before them), never
   right after a capitalised non-word ("Lea Freudenberg" is a person); a one-word town
   name needs ``BARE_SURE_POPULATION`` inhabitants, or the same name with a prefix in the
   same text, or a catalogue entry ("one sense per discourse").
4. **Disambiguation** between places of one name: a Land named in the same sentence, or
   the Land of another municipality linked there ("Neustadt … im Landkreis Harburg"), then
   the document's Land (Land names and unambiguous links, when at least
   ``DOCUMENT_LAND_SHARE`` of them agree), then the population prior (a place at least
   ``PRIOR_RATIO`` times the size of every other). Otherwise the mention is refused
   (``Link.entity`` None, ``Link.candidates`` listed).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from index.municipalities import gazetteer as gz
from index.municipalities import geodata, reference

MAX_NAME_TOKENS = 6
MAX_TOKEN_CHARS = 60  # a longer "word" is no name; it is skipped before any lookup
BARE_MIN_POPULATION = 10_000
BARE_SURE_POPULATION = 50_000  # below this, a bare name needs the same name with a prefix in the text
PRIOR_RATIO = 2.0
DOCUMENT_LAND_SHARE = 0.6
DING_PATH = Path("/usr/share/trans/de-en")

# prefix words (folded) -> the kind they select; multi-word prefixes end with these words
_KREIS_PREFIX = {"landkreis", "landkreises", "landkreise", "kreis", "kreises"}
_TOWN_PREFIX = {
    "stadt", "gemeinde", "samtgemeinde", "verbandsgemeinde", "ortsgemeinde", "stadtgemeinde", "marktgemeinde",
    "markt", "amt", "kreisstadt", "hansestadt", "landeshauptstadt", "universitaetsstadt", "wissenschaftsstadt",
    "bundesstadt", "stadtverwaltung", "gemeindeverwaltung", "buergermeister", "oberbuergermeister",
    "buergermeisterin", "oberbuergermeisterin",
}
_NEW_NAME_PREFIX = {"samtgemeinde", "verbandsgemeinde", "ortsgemeinde", "gemeinde", "amt", "marktgemeinde",
                    "markt", "stadt", "landkreis", "landkreises", "kreis", "kreises"}
_TYPE_OF_PREFIX = {"samtgemeinde": "Samtgemeinde", "verbandsgemeinde": "Verbandsgemeinde", "amt": "Amt"}
# Gemeindeverbände: not in the reference data, and never the town of the same name
_ASSOCIATION = set(_TYPE_OF_PREFIX)
_LAND_AFTER = re.compile(r"(?:\s*\(|,?\s+in\s+|,\s*)([A-ZÄÖÜ][\w-]+)")
_PLACE_PREPOSITIONS = {"in", "aus", "nach", "von", "bei"}
_TOKEN = re.compile(r"\w+", re.UNICODE)
_MARKUP = re.compile(r"\{[^}]*\}|\[[^\]]*\]|\([^)]*\)")
_URL = re.compile(r"(?:https?://|www\.)\S+")
_POSTCODE_BEFORE = re.compile(r"\b\d{4,5}\s+$")
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-ZÄÖÜ])|\n\s*\n")
# names after a prefix the reference data does not know: capitalised words, "Elm-Asse"
_NEW_NAME = re.compile(r"[A-ZÄÖÜ][a-zäöüß]{2,30}(?:-[A-ZÄÖÜ][a-zäöüß]{1,30}){0,3}"
                       r"(?: \([A-ZÄÖÜ][a-zäöüß]{2,20}\)| (?:im|am|an der|in der|ob der) (?!(?:Osten|Westen|Norden|Süden)\b)"
                       r"[A-ZÄÖÜ][a-zäöüß]{2,20})?")
_NEW_NAME_STOP = {
    "am", "an", "auf", "aus", "bei", "der", "die", "das", "des", "dem", "den", "ein", "eine", "für", "in", "im",
    "mit", "und", "von", "zu", "zur", "zum", "ohne", "über", "als", "sowie", "wie", "deutschland", "verwaltung",
    "kommune", "kommunen", "gesellschaft", "teil", "ebene", "seite", "integration", "leitung", "politik", "region",
    "raum", "bevölkerung", "rat", "gemeinsam", "selbst", "hand", "alle", "heimat", "land", "vielfalt", "stadtteil",
    "quartier", "büro", "bürger", "bürgerinnen", "einwohner", "einwohnerinnen", "mitte", "nord", "süd", "ost",
    "west", "zentrum", "gebiet", "kreis", "stadt", "gemeinde", "verwaltungen", "amt", "ämter", "jugend",
    "schule", "schulen", "presse", "pressestelle", "telefon", "fax", "mail", "internet", "kontakt",
}
# "Weissach im Tal", "Rheinau am Rhein"; but not "Lüchow-Dannenberg im Osten"
_EXTENSION = re.compile(r" (?:im|am|an der|in der|ob der) (?P<word>[A-ZÄÖÜ][a-zäöüß]{2,20})(?![-\w])")
_NOT_NAME_PARTS = {
    "Osten", "Westen", "Norden", "Süden", "Nordosten", "Nordwesten", "Südosten", "Südwesten", "Zentrum", "Herzen",
    "Rahmen", "Jahr", "Jahre", "Bereich", "Landkreis", "Kreis", "Land", "Bundesland", "Vergleich", "Auftrag",
    "Mittelpunkt", "Kreisgebiet", "Stadtgebiet", "Umland", "Verbund", "Einzelnen", "Wesentlichen", "Grunde",
    "Sommer", "Winter", "Frühjahr", "Herbst", "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
    "September", "Oktober", "November", "Dezember", "Namen", "Netzwerk", "Projekt", "Programm", "Wettbewerb",
}
_NOUN_ENDINGS = ("ung", "heit", "keit", "schaft", "tion", "ierte", "ismus", "ität", "ment", "ende", "ern", "ungen")


_MORE_WORDS = re.compile(r"(?: [A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)*){1,2}(?=[\s,.;:)]|$)")


@dataclass(frozen=True)
class Entity:
    """A municipality the linker can name.

    ``kind`` "kreis" | "muni" | "bezirk"; ``key`` the catalogue's merge key (kind, folded
    base); ``name`` the display name ("Landkreis Lüchow-Dannenberg", "Halle (Saale)");
    ``type`` one of ``gazetteer.TYPES`` (or "Samtgemeinde" etc. for a new name); ``land`` a
    Land code; ``population`` the reference figure (Destatis 2018 or GeoNames), None for a
    name the reference data lacks (``known`` False).
    """

    kind: str
    base: str
    name: str
    type: str | None
    land: str | None
    population: int | None = None
    known: bool = True
    ags: str | None = None
    geonameid: int | None = None
    country: str = "Deutschland"
    catalogued: bool = False  # a catalogue entry (``EntityLinker(extra=…)``), not only reference data

    @property
    def key(self) -> tuple[str, str]:
        """(kind, folded base), as ``names.ParsedName.key``."""
        return (self.kind, gz.fold(self.base.split("/")[0]))


@dataclass
class Link:
    """One mention: ``start``/``end`` character offsets of the name (without its prefix),
    ``prefix`` the folded prefix word(s) or None, and the linked ``entity`` (None when
    refused as ambiguous; then ``candidates`` lists them)."""

    start: int
    end: int
    surface: str
    entity: Entity | None
    prefix: str | None = None
    prefix_start: int | None = None
    candidates: list[Entity] = field(default_factory=list)

    @property
    def linked(self) -> bool:
        """True when the mention names one entity."""
        return self.entity is not None


def mask_links(text: str) -> str:
    """``text`` with URLs and e-mail addresses blanked out (same length), in linear time:
    e-mail addresses are found from each "@" outwards to the surrounding white space,
    never by a pattern that can backtrack."""
    chars = list(_URL.sub(lambda m: " " * len(m.group(0)), text)) if ("www." in text or "://" in text) else None
    at = text.find("@")
    if at < 0:
        return "".join(chars) if chars is not None else text
    chars = chars if chars is not None else list(text)
    n = len(text)
    last_end = 0
    while at >= 0:
        left = at
        while left > last_end and not text[left - 1].isspace():
            left -= 1
        right = at + 1
        while right < n and not text[right].isspace():
            right += 1
        if left < at and right > at + 1:
            chars[left:right] = " " * (right - left)
        last_end = right
        at = text.find("@", right)
    return "".join(chars)


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Folded single German words of the Ding dictionary (``DING_PATH``) in a sense other
    than a place: "hof", "essen", "deutschunterricht", not "leipzig" (empty without the
    dictionary). A place name that is such a word
    needs a prefix or a place preposition; a new name after a prefix must not be one.
    About 2 s, once per process."""
    out: set[str] = set()
    try:
        fh = DING_PATH.open(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    with fh:
        for line in fh:
            if line.startswith("#") or " :: " not in line:
                continue
            for part in line.split(" :: ", 1)[0].split("|"):
                for syn in part.split(";"):
                    if "[geogr.]" in syn or "(Stadt " in syn or "(Gemeinde " in syn:
                        continue  # the place itself, not a word
                    word = _MARKUP.sub(" ", syn).split()
                    if len(word) == 1 and word[0][:1].isalpha():
                        out.add(gz.fold(word[0]))
    return frozenset(out)


@lru_cache(maxsize=1)
def _place_index() -> dict[tuple[str, ...], tuple[Entity, ...]]:
    """folded name tokens -> reference entities (Kreise, kreisfreie Städte, German places)."""
    index: dict[tuple[str, ...], list[Entity]] = {}

    def add(name: str, ent: Entity) -> None:
        key = tuple(gz.fold(name).split())
        if key and ent not in index.setdefault(key, []):
            index[key].append(ent)

    kreisfrei: dict[tuple[str, str], Entity] = {}
    for k in reference.kreise():
        ent = Entity(k.kind, k.base, k.name, k.type, k.land, k.population, True, ags=k.ags)
        for form in {k.base, reference.expand(k.written.split(",")[0]), gz.strip_qualifier(k.base)}:
            add(form, ent)
        if k.kind == "muni":
            kreisfrei[(k.land, gz.fold(gz.strip_qualifier(k.base)))] = ent
    for key, records in geodata._index().items():
        for rec in records:
            if rec.country != "DE" or rec.land is None:
                continue
            first = gz.fold(rec.name).split()
            if not first or key.split()[0] != first[0]:
                continue  # an alternate name in another language ("Cologne", "Monaco di Baviera")
            core = (rec.land, gz.fold(gz.strip_qualifier(rec.name)))
            ent = kreisfrei.get(core) or Entity("muni", rec.name, rec.name, gz.KREISANGEHOERIG, rec.land,
                                                rec.population, True, geonameid=rec.geonameid)
            add(key, ent)
    return {k: tuple(v) for k, v in index.items()}


def _max_len() -> int:
    return min(MAX_NAME_TOKENS, max((len(k) for k in _place_index()), default=1))


class EntityLinker:
    """Links municipality names in text to reference entities (method: module docstring).

    :param extra: optional ``(name, Entity)`` pairs known besides the reference data (the
        catalogue's own entries, e.g. Berlin districts), matched like reference names.
    """

    def __init__(self, extra: list[tuple[str, Entity]] | None = None):
        self._index = dict(_place_index())
        for name, ent in extra or []:
            key = tuple(gz.fold(name).split())
            if key and not any((c.key, c.land) == (ent.key, ent.land) for c in self._index.get(key, ())):
                self._index[key] = (*self._index.get(key, ()), ent)
        self._max = max(_max_len(), max((len(k) for k, _ in ((tuple(gz.fold(n).split()), e) for n, e in extra or [])),
                                        default=1))
        self._common = common_words()
        self._land_names = {tuple(gz.fold(n).split()): c for c, n in gz.BUNDESLAENDER.items()}
        self._land_words = {w for key in self._land_names for w in key} | {k[0] for k in self._index if len(k) == 1}

    def link(self, text: str, strict: bool = True) -> list[Link]:
        """Every mention in ``text``, left to right, linked or refused (module docstring).

        A bare one-word name of a town under ``BARE_SURE_POPULATION`` inhabitants
        (``BARE_MIN_POPULATION`` with ``strict=False``, for headings) is kept only when the
        text also names it with a prefix, or when it is a catalogue entry ("one sense per
        discourse"). A capitalised word right before a bare name makes it a
        person's name ("Lea Freudenberg"), not a place.
        Linear in the text: tokens longer than ``MAX_TOKEN_CHARS`` are skipped, at most
        ``MAX_NAME_TOKENS`` tokens are looked up per position.
        """
        masked = mask_links(text)
        tokens = [(m.start(), m.end(), gz.fold(m.group(0))) for m in _TOKEN.finditer(masked)
                  if m.end() - m.start() <= MAX_TOKEN_CHARS]
        mentions = self._disambiguate(masked, tokens, self._mentions(masked, tokens))
        prefixed = {lk.entity.key for lk in mentions if lk.entity is not None
                    and (lk.prefix or self._land_after(masked, lk.end))}
        floor = BARE_SURE_POPULATION if strict else BARE_MIN_POPULATION
        return [lk for lk in mentions if lk.prefix or lk.entity is None or self._sure(lk, prefixed, floor)]

    def _land_after(self, text: str, end: int) -> bool:
        """True when a Land follows the name ("Mühlhausen in Thüringen", "Freiberg (Sachsen)")."""
        m = _LAND_AFTER.match(text, end)
        return bool(m and gz.land_code(m.group(1)))

    @staticmethod
    def _sure(link: Link, prefixed: set, floor: int) -> bool:
        e = link.entity
        if e.kind != "muni" or e.catalogued or e.key in prefixed or re.search(r"[ -]", link.surface.strip()):
            return True
        return (e.population or 0) >= floor

    # -- mention detection ---------------------------------------------------------------
    def _mentions(self, text: str, tokens) -> list[Link]:
        out: list[Link] = []
        i = 0
        while i < len(tokens):
            start = tokens[i][0]
            if not text[start].isupper():
                i += 1
                continue
            prefix, pstart = self._prefix(text, tokens, i)
            if prefix is None and self._person_before(text, tokens, i):
                i += 1
                continue
            found = None if prefix in _ASSOCIATION else self._longest(text, tokens, i, prefix)
            if found is None:
                new = self._new_name(text, tokens, i, prefix, pstart) if prefix in _NEW_NAME_PREFIX else None
                if new is not None:
                    out.append(new[0])
                    i = new[1]
                else:
                    i += 1
                continue
            n, cands = found
            end = tokens[i + n - 1][1]
            ext = _EXTENSION.match(text, end)
            if ext and ext.group("word") not in _NOT_NAME_PARTS and all(c.kind == "muni" for c in cands):
                # "Weissach im Tal": a longer name than the reference data knows, not "Weissach"
                name = text[start : ext.end()]
                lands = {c.land for c in cands}
                ent = Entity("muni", name, name, gz.KREISANGEHOERIG, lands.pop() if len(lands) == 1 else None,
                             None, known=False)
                out.append(Link(start, ext.end(), name, ent, prefix, pstart, [ent]))
                while i < len(tokens) and tokens[i][0] < ext.end():
                    i += 1
                continue
            out.append(Link(start, end, text[start:end], None, prefix, pstart, list(cands)))
            if prefix == "stadt und landkreis":  # names the Kreis of the same name as well
                key = tuple(t[2] for t in tokens[i : i + n])
                kreise = [c for c in self._index.get(key, ()) if c.kind == "kreis"]
                if kreise:
                    out.append(Link(start, end, text[start:end], None, "kreis", pstart,
                                    list({(c.key, c.land): c for c in kreise}.values())))
            i += n
        return out

    def _prefix(self, text: str, tokens, i: int) -> tuple[str | None, int | None]:
        """The prefix word(s) right before token ``i`` (only white space between)."""
        sep = text[tokens[i - 1][1] : tokens[i][0]] if i else ""
        if i == 0 or not sep.isspace() or "\n" in sep:  # a prefix stands on the name's line
            return None, None
        word = tokens[i - 1][2]
        if word in _KREIS_PREFIX:
            if i >= 3 and tokens[i - 3][2] == "stadt" and tokens[i - 2][2] == "und":
                return "stadt und landkreis", tokens[i - 3][0]
            return "kreis", tokens[i - 1][0]
        if word in _TOWN_PREFIX:
            if word == "kreisstadt" and i >= 2 and tokens[i - 2][2] == "grosse":
                return "kreisstadt", tokens[i - 2][0]
            return word, tokens[i - 1][0]
        if word in _PLACE_PREPOSITIONS:
            return "@" + word, None  # a place preposition: not a prefix, but it vouches for a place
        return None, None

    def _person_before(self, text: str, tokens, i: int) -> bool:
        """A capitalised non-word right before, in the same sentence: "Lea Freudenberg"."""
        if i == 0 or text[tokens[i - 1][1] : tokens[i][0]] != " ":
            return False
        prev_start = tokens[i - 1][0]
        if not text[prev_start].isupper() or tokens[i - 1][2] in self._common or tokens[i - 1][2] in self._land_words:
            return False
        before = text[max(0, prev_start - 2) : prev_start].strip()
        return not before or before[-1] not in ".!?:;\n|•-–"

    def _longest(self, text: str, tokens, i: int, prefix: str | None):
        for n in range(min(self._max, len(tokens) - i), 0, -1):
            key = tuple(t[2] for t in tokens[i : i + n])
            cands = self._index.get(key)
            if cands is None and key[-1].endswith("s") and len(key[-1]) > 3:
                cands = self._index.get(key[:-1] + (key[-1][:-1],))  # genitive "Osnabrücks"
            if not cands or not self._boundaries(text, tokens[i][0], tokens[i + n - 1][1]):
                continue
            cands = list({(c.key, c.land): c for c in reversed(cands)}.values())[::-1]
            if any(c.catalogued for c in cands):  # the catalogue already knows what this name means
                cands = [c for c in cands if c.catalogued]
            cands = self._by_prefix(cands, prefix)
            if cands and self._distinctive(key, cands, prefix):
                return n, cands
        return None

    @staticmethod
    def _boundaries(text: str, start: int, end: int) -> bool:
        if start >= 2 and text[start - 1] == "-" and text[start - 2].isalpha():
            return False
        if end + 1 < len(text) and text[end] == "-" and text[end + 1].isalpha():
            return False
        return not _POSTCODE_BEFORE.search(text[max(0, start - 8) : start])

    @staticmethod
    def _by_prefix(cands, prefix: str | None):
        kreise = [c for c in cands if c.kind == "kreis"]
        towns = [c for c in cands if c.kind != "kreis"]
        if prefix == "kreis":
            return kreise
        if prefix == "stadt und landkreis":
            return towns or kreise
        return towns or kreise  # a bare or town-prefixed name is the town; a Kreis only if no town has it

    def _distinctive(self, key: tuple[str, ...], cands, prefix: str | None) -> bool:
        if prefix and not prefix.startswith("@"):
            return True
        if key in self._land_names or key in (("berlin",), ("hamburg",), ("bremen",)):
            return False
        if all(c.kind == "kreis" for c in cands):
            return len(key) > 1 or key[0] not in self._common
        if len(key) > 1 and len("".join(key)) >= 8:
            return True
        big = max((c.population or 0) for c in cands)
        if key[0] in self._common:
            return prefix is not None and big >= BARE_SURE_POPULATION  # "in Essen", "aus Hof"; never a bare "Hof"
        return True  # how sure a bare one-word name is, ``link`` decides (``strict``)

    def _new_name(self, text: str, tokens, i: int, prefix: str, pstart: int | None):
        m = _NEW_NAME.match(text, tokens[i][0])
        if not m:
            return None
        start, end = m.start(), m.end()
        first = m.group(0).split("-")[0]
        if first.casefold() in _NEW_NAME_STOP or first.endswith(_NOUN_ENDINGS) or gz.fold(m.group(0)) in self._common:
            return None
        if gz.land_code(m.group(0)) or gz.land_code(m.group(0)[:-1]):  # "Kreis Nordrhein-Westfalens"
            return None
        if prefix in _ASSOCIATION:  # "Amt Dorf Mecklenburg-Bad Kleinen": up to two more capitalised words
            more = _MORE_WORDS.match(text, end)
            if more and not any(w.endswith(_NOUN_ENDINGS) for w in more.group(0).split()):
                end = more.end()
        name = text[start:end]
        j = i
        while j < len(tokens) and tokens[j][1] <= end:
            j += 1
        kind = "kreis" if prefix == "kreis" else "muni"
        type_ = gz.LANDKREIS if kind == "kreis" else gz.KREISANGEHOERIG
        display = f"{'Landkreis' if kind == 'kreis' else _TYPE_OF_PREFIX.get(prefix, '')} {name}".strip()
        base = display if prefix in _ASSOCIATION else name
        ent = Entity(kind, base, display, type_, None, None, known=False)
        return Link(start, end, name, ent, prefix, pstart, [ent]), max(j, i + 1)

    # -- disambiguation ------------------------------------------------------------------
    def _disambiguate(self, text: str, tokens, mentions: list[Link]) -> list[Link]:
        sentences = [0] + [m.end() for m in _SENTENCE_END.finditer(text)]
        land_mentions = self._land_mentions(tokens)
        doc_votes: Counter = Counter(c for _, c in land_mentions)
        for link in mentions:
            if link.entity is None and len({c.land for c in link.candidates}) == 1 and len(link.candidates) == 1:
                link.entity = link.candidates[0]
            if link.entity is not None and link.entity.land:
                doc_votes[link.entity.land] += 1
        total = sum(doc_votes.values())
        doc_land = None
        if total:
            code, count = doc_votes.most_common(1)[0]
            if count / total >= DOCUMENT_LAND_SHARE:
                doc_land = code
        for link in mentions:
            if link.entity is not None and (link.entity.known or link.entity.land):
                continue
            s = bisect.bisect_right(sentences, link.start) - 1
            lo, hi = sentences[s], sentences[s + 1] if s + 1 < len(sentences) else len(text)
            local = {c for pos, c in land_mentions if lo <= pos < hi}
            local |= {m.entity.land for m in mentions
                      if m is not link and m.entity is not None and m.entity.land and lo <= m.start < hi}
            if link.entity is not None:  # a name the reference data lacks: the Land of its context
                lands = local if len(local) == 1 else {doc_land} if doc_land else set()
                if len(lands) == 1:
                    link.entity = replace(link.entity, land=next(iter(lands)))
                    link.candidates = [link.entity]
                continue
            link.entity = self._choose(link.candidates, local, doc_land)
        for link in mentions:
            if link.prefix and link.prefix.startswith("@"):
                link.prefix, link.prefix_start = None, None
        return mentions

    def _land_mentions(self, tokens) -> list[tuple[int, str]]:
        out = []
        for i in range(len(tokens)):
            for n in (3, 2, 1):
                key = tuple(t[2] for t in tokens[i : i + n])
                code = self._land_names.get(key)
                if code:
                    out.append((tokens[i][0], code))
                    break
        return out

    @staticmethod
    def _choose(cands: list[Entity], local: set[str], doc_land: str | None) -> Entity | None:
        for lands in (local, {doc_land} if doc_land else set()):
            if lands:
                inside = [c for c in cands if c.land in lands]
                if len(inside) == 1:
                    return inside[0]
                if inside:
                    cands = inside
                    break
        ranked = sorted(cands, key=lambda c: -(c.population or 0))
        if len(ranked) == 1:
            return ranked[0]
        if (ranked[0].population or 0) >= PRIOR_RATIO * max(1, ranked[1].population or 0):
            return ranked[0]
        return None
