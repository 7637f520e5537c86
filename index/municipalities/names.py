"""Parse a municipality name as the documents write it into kind, base and hints.

"Landkreis Osnabrück", "Osnabrück, Landkreis" and "Landkreises Osnabrück" all give
kind ``kreis`` and base "Osnabrück"; "Stadt Osnabrück" and "Osnabrück, kreisfreie
Stadt" give kind ``muni`` and the same base, so the two never merge. Berlin and
Hamburg districts get kind ``bezirk``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.municipalities import gazetteer as gz
from index.municipalities import geodata
from index.municipalities.linker import common_words
from index.municipalities.reference import kreisfrei_land

_PREFIX = re.compile(
    r"^(Stadt und Landkreis|Freie und Hansestadt|Freie Hansestadt|Hanse- und Universitätsstadt|"
    r"Bundeshauptstadt|Landeshauptstadt|Universitätsstadt|Wissenschaftsstadt|Widukindstadt|"
    r"Eifelgemeinde|Samtgemeinde|Verbandsgemeinde|Amt|Große Kreisstadt|Kreisstadt|Hansestadt|Städteregion|"
    r"Regionalverband|Region|Landkreises|Landkreis|Kreises|Kreis|Stadtbezirk|Bezirk|Gemeinde|Stadt)\s+(.+)$"
)
# Prefixes that fix the type; the rest ("Stadt", "Landeshauptstadt") leave it open.
_PREFIX_TYPE = {
    "Samtgemeinde": gz.KREISANGEHOERIG, "Gemeinde": gz.KREISANGEHOERIG, "Eifelgemeinde": gz.KREISANGEHOERIG,
    "Kreisstadt": gz.KREISANGEHOERIG, "Große Kreisstadt": gz.KREISANGEHOERIG,
    "Widukindstadt": gz.KREISANGEHOERIG, "Bundeshauptstadt": gz.KREISFREI,
    "Freie Hansestadt": gz.KREISFREI, "Freie und Hansestadt": gz.KREISFREI,
}
_ASSOCIATIONS = {"Samtgemeinde", "Verbandsgemeinde", "Amt"}
_KREIS_PREFIX = {"Landkreis", "Landkreises", "Kreis", "Kreises"}
_KREIS_KEEP = {"Städteregion", "Regionalverband", "Region"}  # part of the name itself
_DESCRIPTOR = re.compile(
    r"(kreisfreie Stadt|kreisangehörige Stadt|kreisangehörige Gemeinde|Landkreis|Kreis|Stadtbezirk|Landeshauptstadt)"
)
_PAREN = re.compile(r"\(([^()]*)\)")
_KREIS_NAME = re.compile(r"[\wÄÖÜäöüß-]+kreis|[A-ZÄÖÜ][a-zäöüß]+-Kreis [A-ZÄÖÜ].+", re.IGNORECASE)  # "Burgenlandkreis"


@dataclass
class ParsedName:
    """A municipality name as written in a document, parsed into its parts (see field
    comments): ``kind`` keeps districts and towns of one name apart, ``base`` is the
    name without its prefix, ``display`` the catalogue's canonical name."""

    kind: str  # "kreis" | "bezirk" | "muni"
    base: str  # "Osnabrück", "Burgenlandkreis", "Region Hannover", "Elm-Asse"
    display: str  # canonical name: "Landkreis Osnabrück", "Osnabrück", "Samtgemeinde Elm-Asse"
    written: str  # the cleaned name as written
    type_hint: str | None = None
    land: str | None = None  # Land code
    parent: str | None = None  # "Kreis Wesel" for "Dinslaken, kreisangehörige Stadt (Kreis Wesel)"
    joint_kreis: bool = False  # "Stadt und Landkreis Würzburg"

    @property
    def key(self) -> tuple[str, str]:
        """Merge key: (kind, folded base name before any "/")."""
        return (self.kind, gz.fold(self.base.split("/")[0]))


def clean(raw: str) -> str:
    """Strip markup, footnote stars and line-break hyphen gaps ("Charlottenburg- Wilmersdorf")."""
    text = re.sub(r"<[^<>]+>", " ", raw).replace("\u00ad", "").replace("*", " ")
    text = re.sub(r"(\w)-\s+(?=[A-ZÄÖÜ])", r"\1-", text)
    text = re.sub(r"\s+", " ", text).strip(" ,;:")
    return text.replace(" ,", ",")


def parse_name(raw: str) -> ParsedName:
    """Parse a name as the documents write it: "Landkreis Osnabrück", "Stadt Dülmen",
    "Osnabrück, Landkreis", "Dinslaken, kreisangehörige Stadt (Kreis Wesel)", "Stadt
    und Landkreis Würzburg". Type and Land are hints from the prefix and the gazetteer."""
    written = clean(raw)
    text = written
    if "," in text and _DESCRIPTOR.search(text.split(",", 1)[1]):
        return _parse_table_form(written)
    match = _PREFIX.match(text)
    prefix, rest = (match.group(1), match.group(2)) if match else ("", text)
    if prefix == "Stadt und Landkreis":
        return ParsedName("muni", rest, rest, written, None, kreisfrei_land(rest), joint_kreis=True)
    if prefix in _KREIS_PREFIX:
        label = "Kreis" if prefix.startswith("Kreis") else "Landkreis"
        return ParsedName("kreis", rest, f"{label} {rest}", written, gz.LANDKREIS)
    if prefix in _KREIS_KEEP:
        return ParsedName("kreis", text, text, written, gz.LANDKREIS)
    if prefix in ("Bezirk", "Stadtbezirk") or re.search(r"\s(?:von|in) (Berlin|Hamburg)$", rest) or (
        not prefix and re.match(r"^(Berlin|Hamburg) [A-ZÄÖÜ][\wäöüß-]+$", rest)
    ):
        return _parse_bezirk(rest, written)
    if not prefix and _KREIS_NAME.fullmatch(text):
        return ParsedName("kreis", text, text, written, gz.LANDKREIS)
    land = None
    paren = _PAREN.search(rest)
    if paren and gz.land_code(paren.group(1)):
        land = gz.land_code(paren.group(1))
        rest = _PAREN.sub("", rest, count=1).strip()
    if prefix in _ASSOCIATIONS:  # a Gemeindeverband is never the town of the same name
        display = f"{prefix} {rest}"
        return ParsedName("muni", display, display, written, gz.KREISANGEHOERIG, land)
    display = rest
    type_hint = _PREFIX_TYPE.get(prefix)
    return ParsedName("muni", rest, display, written, type_hint, land)


def _parse_table_form(written: str) -> ParsedName:
    """DESI Tabelle 1 style: 'Dinslaken, kreisangehörige Stadt (Kreis Wesel)'."""
    base, desc = (part.strip() for part in written.split(",", 1))
    parent = land = None
    for inner in _PAREN.findall(desc):
        if gz.land_code(inner):
            land = gz.land_code(inner)
        else:
            parent = inner.strip()
    desc = _PAREN.sub("", desc)
    if "Stadtbezirk" in desc:
        return ParsedName("bezirk", base, base, written, gz.STADTBEZIRK, land)
    if re.search(r"\bkreisfreie Stadt", desc):
        return ParsedName("muni", base, base, written, gz.KREISFREI, land, parent)
    if re.search(r"kreisangehörige (Stadt|Gemeinde)", desc):
        return ParsedName("muni", base, base, written, gz.KREISANGEHOERIG, land, parent)
    if re.search(r"\b(Land)?[Kk]reis\b", desc):
        label = "Landkreis" if "Landkreis" in desc else "Kreis"
        return ParsedName("kreis", base, f"{label} {base}", written, gz.LANDKREIS, land)
    return ParsedName("muni", base, base, written, None, land, parent)


def _parse_bezirk(rest: str, written: str) -> ParsedName:
    land = None
    m = re.match(r"^(.+?)\s+(?:von|in)\s+(Berlin|Hamburg)$", rest) or re.match(r"^(.+?)\s*\((Berlin|Hamburg)\)$", rest)
    if m:
        rest, land = m.group(1), gz.land_code(m.group(2))
    m = re.match(r"^(Berlin|Hamburg)\s+(.+)$", rest)
    if m:
        land, rest = gz.land_code(m.group(1)), m.group(2)
    return ParsedName("bezirk", rest, rest, written, gz.STADTBEZIRK, land)


def aliases_for(parsed: ParsedName) -> set[str]:
    """Surface forms that name this municipality (used for matching and resolving)."""
    out = {parsed.display}
    if "," not in parsed.written:  # table forms ("Merzig, kreisangehörige Stadt (…)") are noise
        out.add(parsed.written)
    base = parsed.base
    forms = {base}
    if "/" in base:
        forms.add(base.split("/")[0].strip())
    core = gz.strip_qualifier(base)
    paren = _PAREN.search(base)
    if paren:
        q = paren.group(1)
        forms |= {core, f"{core} im {q}", f"{core} am {q}", f"{core} an der {q}", f"{core}/{q}"}
    elif core != base and "/" not in base:
        forms.add(core)
    if parsed.kind == "kreis":
        if parsed.display == base:  # Burgenlandkreis, Region Hannover
            out |= forms
        else:
            for f in forms:
                out |= {f"Landkreis {f}", f"Landkreises {f}", f"Kreis {f}", f"Kreises {f}", f"{f}, Landkreis"}
        return out
    if parsed.kind == "bezirk":
        land = gz.BUNDESLAENDER.get(parsed.land or "", "")
        out |= forms | {f"Bezirk {base}", f"Stadtbezirk {base}"}
        if land:
            out |= {f"{base} in {land}", f"Bezirk {base} von {land}", f"{land}-{base}", f"{base} ({land})"}
        return out
    out |= forms
    association = parsed.base.split(" ", 1)
    if association[0] in _ASSOCIATIONS and not geodata.candidates(association[1]):
        out.add(association[1])  # "Elm-Asse": no town has the name, so the bare name means the Samtgemeinde
    for f in forms:
        if f[-1:] not in "sßxz" and not set(" /(") & set(f):
            out.add(f + "s")  # genitive: "Osnabrücks Zukunft"
    if parsed.kind != "kreis":
        out |= {a for f in forms for a in place_adjectives(f)}
    return out


_ADJ_INGEN = re.compile(r"(?:ing|ung|ang)en$")


def place_adjectives(name: str) -> set[str]:
    """The regular German place adjectives of a one-word place name ("Ortsadjektive",
    Duden grammar § 1009): "Freiberg" -> {"Freiberger"}, "Hanau" -> {"Hanauer"},
    "Rheine" -> {"Rheiner"}, "Tübingen" -> {"Tübinger"}, "Darmstadt" -> {"Darmstädter"}.

    Irregular forms ("Münchner", "Hallenser", "Bremer") are not derived. A form that is
    also a common German word in Ding (``linker.common_words``: "Hammer", "Hamburger")
    is dropped: it would link every hammer to Hamm. Multi-word names and names with a
    slash, hyphen or parenthesis give none. The forms are
    aliases, so they only ever *mention* a place (``evidence.passage_members``).
    """
    if not name or set(" /(-.") & set(name) or not name[:1].isupper():
        return set()
    if name.endswith("stadt"):
        forms = {name[:-5] + "städter"}
    elif _ADJ_INGEN.search(name):
        forms = {name[:-2] + "er"}
    elif name.endswith("e"):
        forms = {name + "r"}
    else:
        forms = {name + "er"}
    common = common_words()
    return {f for f in forms if gz.fold(f) not in common}
