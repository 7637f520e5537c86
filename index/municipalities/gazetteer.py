"""Static reference data about German municipalities, and name normalisation.

Everything here is general knowledge, not read from the corpus: the 16 Länder with
their abbreviations, neighbours and East/West position; the list of kreisfreie
Städte (2024) with their Land; the foreign partner cities of the Darmstadt slides;
and a few municipalities the corpus names without saying where they are. Values
taken from here are marked ``"gazetteer"`` in ``Municipality.provenance``.
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

# Kreisfreie Städte by Land (Hannover, Saarbrücken and Aachen belong to a
# Region/Regionalverband/Städteregion and are kreisangehörig).
_KREISFREIE = {
    "BW": "Baden-Baden|Freiburg im Breisgau|Heidelberg|Heilbronn|Karlsruhe|Mannheim|Pforzheim|Stuttgart|Ulm",
    "BY": "Amberg|Ansbach|Aschaffenburg|Augsburg|Bamberg|Bayreuth|Coburg|Erlangen|Fürth|Hof|Ingolstadt|"
    "Kaufbeuren|Kempten (Allgäu)|Landshut|Memmingen|München|Nürnberg|Passau|Regensburg|Rosenheim|"
    "Schwabach|Schweinfurt|Straubing|Weiden in der Oberpfalz|Würzburg",
    "BB": "Brandenburg an der Havel|Cottbus|Frankfurt (Oder)|Potsdam",
    "HE": "Darmstadt|Frankfurt am Main|Kassel|Offenbach am Main|Wiesbaden",
    "MV": "Rostock|Schwerin",
    "NI": "Braunschweig|Delmenhorst|Emden|Oldenburg (Oldenburg)|Osnabrück|Salzgitter|Wilhelmshaven|Wolfsburg",
    "NW": "Bielefeld|Bochum|Bonn|Bottrop|Dortmund|Duisburg|Düsseldorf|Essen|Gelsenkirchen|Hagen|Hamm|Herne|"
    "Köln|Krefeld|Leverkusen|Mönchengladbach|Mülheim an der Ruhr|Münster|Oberhausen|Remscheid|Solingen|Wuppertal",
    "RP": "Frankenthal (Pfalz)|Kaiserslautern|Koblenz|Landau in der Pfalz|Ludwigshafen am Rhein|Mainz|"
    "Neustadt an der Weinstraße|Pirmasens|Speyer|Trier|Worms|Zweibrücken",
    "SN": "Chemnitz|Dresden|Leipzig",
    "ST": "Dessau-Roßlau|Halle (Saale)|Magdeburg",
    "SH": "Flensburg|Kiel|Lübeck|Neumünster",
    "TH": "Erfurt|Gera|Jena|Suhl|Weimar",
    "BE": "Berlin", "HH": "Hamburg", "HB": "Bremen|Bremerhaven",
}

FOREIGN_CITIES = {
    "Chesterfield": "Vereinigtes Königreich", "Bursa": "Türkei", "Trondheim": "Norwegen",
    "Saanen": "Schweiz", "Brescia": "Italien",
}

# Municipalities the corpus names without their Land or type, keyed by (kind, folded base).
_EXTRA = {
    ("muni", "freiberg"): (KREISANGEHOERIG, "SN"), ("muni", "sundern"): (KREISANGEHOERIG, "NW"),
    ("muni", "sulingen"): (KREISANGEHOERIG, "NI"), ("muni", "warendorf"): (KREISANGEHOERIG, "NW"),
    ("kreis", "warendorf"): (LANDKREIS, "NW"), ("kreis", "coesfeld"): (LANDKREIS, "NW"),
    ("kreis", "wesel"): (LANDKREIS, "NW"), ("kreis", "segeberg"): (LANDKREIS, "SH"),
    ("kreis", "neuss"): (LANDKREIS, "NW"), ("kreis", "osterholz"): (LANDKREIS, "NI"),
    ("kreis", "wolfenbuettel"): (LANDKREIS, "NI"), ("kreis", "cochem zell"): (LANDKREIS, "RP"),
    ("kreis", "meissen"): (LANDKREIS, "SN"), ("kreis", "spree neisse"): (LANDKREIS, "BB"),
    ("kreis", "merzig wadern"): (LANDKREIS, "SL"), ("kreis", "wuerzburg"): (LANDKREIS, "BY"),
    ("kreis", "ostalbkreis"): (LANDKREIS, "BW"), ("kreis", "region hannover"): (LANDKREIS, "NI"),
    ("kreis", "regionalverband saarbruecken"): (LANDKREIS, "SL"), ("kreis", "hohenlohekreis"): (LANDKREIS, "BW"),
    ("kreis", "rhein kreis neuss"): (LANDKREIS, "NW"),
}


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


def kreisfrei_land(name: str) -> str | None:
    """Land code when ``name`` is a kreisfreie Stadt (qualifiers like '(Allgäu)' optional)."""
    return _KREISFREI_INDEX.get(fold(name)) or _KREISFREI_INDEX.get(fold(strip_qualifier(name)))


def extra_info(kind: str, base: str) -> tuple[str, str] | None:
    """(type, Land code) for a municipality the corpus leaves unplaced, else None."""
    return _EXTRA.get((kind, fold(base))) or _EXTRA.get((kind, fold(strip_qualifier(base))))


_QUALIFIER = re.compile(r"\s*(\([^)]*\)|/.*|\s(?:am|an der|im|in der|in|ob der)\s.+)$")


def strip_qualifier(name: str) -> str:
    """'Kempten (Allgäu)' -> 'Kempten', 'Ludwigshafen am Rhein' -> 'Ludwigshafen'."""
    return _QUALIFIER.sub("", name).strip()


_KREISFREI_INDEX: dict[str, str] = {}
for _code, _names in _KREISFREIE.items():
    for _n in _names.split("|"):
        _KREISFREI_INDEX[fold(_n)] = _code
        _KREISFREI_INDEX.setdefault(fold(strip_qualifier(_n)), _code)
