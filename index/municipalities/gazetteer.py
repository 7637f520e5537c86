"""The Länder, municipality types, and name normalisation.

General knowledge, not read from the corpus: the 16 Länder with their abbreviations,
neighbours and East/West position, and the catalogue's municipality types. The Kreise,
kreisfreie Städte, Gemeinden and foreign cities themselves come from official reference
data (``reference.py``: Destatis, GeoNames), not from lists kept here.
"""

from __future__ import annotations

import re
import unicodedata

KREISFREI = "kreisfreie Stadt"
KREISANGEHOERIG = "kreisangehörige Stadt/Gemeinde"
LANDKREIS = "Landkreis"
STADTBEZIRK = "Stadtbezirk"
FOREIGN = "ausländische Partnerstadt"
TYPES = (KREISFREI, KREISANGEHOERIG, LANDKREIS, STADTBEZIRK, FOREIGN)

BUNDESLAENDER = {
    "BW": "Baden-Württemberg", "BY": "Bayern", "BE": "Berlin", "BB": "Brandenburg",
    "HB": "Bremen", "HH": "Hamburg", "HE": "Hessen", "MV": "Mecklenburg-Vorpommern",
    "NI": "Niedersachsen", "NW": "Nordrhein-Westfalen", "RP": "Rheinland-Pfalz",
    "SL": "Saarland", "SN": "Sachsen", "ST": "Sachsen-Anhalt", "SH": "Schleswig-Holstein",
    "TH": "Thüringen",
}
_ABBR = {v: k for k, v in BUNDESLAENDER.items()}
_NEIGHBOURS = {
    "BW": "BY HE RP", "BY": "BW HE TH SN", "BE": "BB", "BB": "BE MV SN ST NI", "HB": "NI",
    "HH": "SH NI", "HE": "NI TH BY BW RP NW", "MV": "SH NI BB", "NI": "SH HH HB MV BB ST TH HE NW",
    "NW": "NI HE RP", "RP": "NW HE BW SL", "SL": "RP", "SN": "BY TH ST BB", "ST": "NI BB SN TH",
    "SH": "HH NI MV", "TH": "NI ST SN BY HE",
}
EAST = {"BB", "MV", "SN", "ST", "TH", "BE"}  # Berlin counted East (it is mixed)
# Extra spellings accepted for a Land in user input (folded, see ``fold``).
_LAND_ALIASES = {"nrw": "NW", "bawue": "BW", "mvp": "MV", "meckpomm": "MV"}

def fold(text: str) -> str:
    """Matching key: case-folded, umlauts spelled out, accents and punctuation dropped.

    The text is NFC-normalised first, so a decomposed "u" + U+0308 (as macOS writes it)
    folds like "ü": "Osnabru\u0308ck" -> "osnabrueck".
    """
    t = unicodedata.normalize("NFC", text).casefold().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    t = unicodedata.normalize("NFKD", t)
    t = "".join(c for c in t if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", t).strip()


def slugify(text: str) -> str:
    """URL-safe id from a name: :func:`fold` with hyphens ("Halle (Saale)" -> "halle-saale")."""
    return fold(text).replace(" ", "-")


def land_code(value: str | None) -> str | None:
    """'Brandenburg', 'BB', 'nrw' -> 'BB'; None when it is not a Land."""
    if not value:
        return None
    raw = value.strip()
    if raw.upper() in BUNDESLAENDER and raw.isupper():
        return raw.upper()
    key = fold(raw)
    for code, name in BUNDESLAENDER.items():
        if fold(name) == key:
            return code
    return _LAND_ALIASES.get(key)


def land_name(value: str | None) -> str | None:
    """Full name of a Land given in any form :func:`land_code` accepts, else None."""
    code = land_code(value)
    return BUNDESLAENDER[code] if code else None


def neighbours(code: str) -> set[str]:
    """Codes of the Länder bordering the Land ``code`` (empty for an unknown code)."""
    return set(_NEIGHBOURS.get(code, "").split())


def is_east(code: str | None) -> bool | None:
    """True for a Land of the former GDR (Berlin counted East), False otherwise, None for None."""
    return None if code is None else code in EAST


_QUALIFIER = re.compile(r"\s*(\([^)]*\)|/.*|\s(?:am|an der|im|in der|in|ob der)\s.+)$")


def strip_qualifier(name: str) -> str:
    """'Kempten (Allgäu)' -> 'Kempten', 'Ludwigshafen am Rhein' -> 'Ludwigshafen'."""
    return _QUALIFIER.sub("", name).strip()
