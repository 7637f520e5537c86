"""A small German taxonomy of fields of action (Handlungsfelder) with keyword stems.

Matching works on folded word tokens (see ``gazetteer.fold``: "ü" -> "ue", "ß" -> "ss").
A plain stem must begin a word, a stem ending in "$" must be the whole word ("sprach" matches "Sprachkurse"); a stem written with
a leading "~" may also sit inside a compound ("~patenschaft" matches
"Bildungspatenschaften"). Stems are chosen so that common words do not fire:
"arbeit" alone is not a stem of Arbeit because of "Zusammenarbeit" and "Netzwerkarbeit".
"""

from __future__ import annotations

import re
from collections import Counter

from index.municipalities.gazetteer import fold

THEMES: dict[str, tuple[str, ...]] = {
    "Sprache": ("sprach", "~sprachkurs", "~sprachfoerder", "~sprachmittl", "~sprachcafe", "deutschkurs",
                "deutschunterricht", "deutschkenntnis", "integrationskurs", "dolmetsch", "~dolmetsch", "spracherwerb"),
    "Bildung": ("bildung", "schule", "schul", "~schule", "kita", "kindertages", "kindergart", "bildungs",
                "lernen", "lernwerkstatt", "nachhilfe", "hausaufgaben", "seiteneinst", "elternbildung"),
    "Arbeit": ("arbeitsmarkt", "~arbeitsmarkt", "beschaeftigung", "ausbildung", "~ausbildung", "beruf",
               "erwerbs", "jobcenter", "jobboerse", "job", "praktik", "fachkraeft", "arbeitgeber",
               "unternehmen", "arbeitsagentur", "qualifizierung", "anerkennung auslaendischer"),
    "Wohnen": ("wohnen", "wohnung", "~wohnung", "wohnraum", "~wohnraum", "mieter", "~mieter", "vermieter",
               "wohnungsbau", "quartier", "~quartier", "nachbarschaft", "stadtteil", "~stadtteil"),
    "Gesundheit": ("gesundheit", "~gesundheit", "psychosozial", "trauma", "medizin", "aerzt", "krankenhaus",
                   "pflege", "ernaehrung", "gewaltschutz", "~gewaltschutz", "sexualbildung", "sexualitaet"),
    "Engagement/Ehrenamt": ("ehrenamt", "~ehrenamt", "engagement", "~engagement", "engagier", "freiwillig",
                            "patenschaft", "~patenschaft", "paten", "~paten", "lotsen", "~lotsen",
                            "buergerschaftlich", "helferkreis", "~helferkreis", "initiative", "~initiative"),
    "Vernetzung": ("vernetzung", "netzwerk", "~netzwerk", "kooperation", "~kooperation", "runder tisch",
                   "runde tisch", "zusammenarbeit", "~zusammenarbeit", "buendnis", "~buendnis",
                   "koordinierung", "~koordinierung", "arbeitskreis", "~arbeitskreis"),
    "Verwaltung/interkulturelle Öffnung": ("verwaltung", "~verwaltung", "interkulturelle oeffnung",
                                           "interkulturelle kompetenz", "auslaenderbehoerde", "~behoerde",
                                           "willkommensbehoerde", "amt fuer", "personalpool",
                                           "one stop", "servicestelle", "~servicestelle"),
    "Partizipation": ("partizipation", "partizipativ", "beteiligung", "~beteiligung", "teilhabe",
                      "~teilhabe", "mitbestimm", "mitwirkung", "beirat", "~beirat", "selbstorganisation",
                      "migrantenselbstorganisation", "fluechtlingsrat"),
    "Antidiskriminierung": ("diskriminier", "antidiskriminier", "rassismus", "~rassismus", "rechtsextrem",
                            "demokratie", "~demokratie", "hass", "hetze", "vorurteil", "toleran", "weltoffen"),
    "Governance/Steuerung": ("integrationskonzept", "~konzept", "strategie", "~strategie", "steuerung",
                             "monitoring", "~monitoring", "leitbild", "~leitbild", "gesamtkonzept",
                             "querschnitt", "handlungskonzept", "integrationsmanagement", "evaluation"),
    "Willkommenskultur": ("willkommen", "~willkommen", "anerkennungskultur", "ankommen", "~ankommen",
                          "ankunft", "welcome", "begruessung", "erstorientierung"),
    "Unterbringung/Aufnahme": ("unterbringung", "~unterbringung", "unterkunft", "unterkuenfte",
                               "~unterkunft", "~unterkuenfte", "erstaufnahme", "aufnahme", "zuweisung",
                               "gemeinschaftsunterkunft", "asylbewerber", "schutzsuchend"),
    "Mobilität": ("mobilitaet", "mobil", "mitfahr", "~mitfahr", "fahrrad", "~fahrrad", "oepnv", "bus",
                  "verkehr", "fuehrerschein", "~fuehrerschein"),
    "Sport/Kultur": ("sport", "~sport", "kultur", "fussball", "~fussball", "musik", "~musik", "theater",
                     "verein$", "vereine$", "vereinen$", "vereins", "~sportverein", "kunst", "festival", "~kulturfest",
                     "~buergerfest", "~sommerfest", "freizeit", "~freizeit"),
    "Kinder/Jugend": ("kinder", "~kinder", "jugend", "~jugend", "junge menschen", "familie", "~familie",
                      "eltern", "~eltern", "unbegleitete"),
    "Begegnung/Zusammenleben": ("begegnung", "~begegnung", "zusammenleben", "dialog", "~dialog",
                                "zusammenhalt", "cafe", "~cafe", "treffpunkt", "~treff"),
}

_WORD = re.compile(r"[a-z0-9]+")


def _compile(stems: tuple[str, ...]) -> re.Pattern[str]:
    parts = []
    for stem in stems:
        inner, whole = stem.startswith("~"), stem.endswith("$")
        body = re.escape(fold(stem.strip("~$")))
        parts.append(("" if inner else r"\b") + body + (r"\b" if whole else ""))
    return re.compile("|".join(parts))


_PATTERNS = {theme: _compile(stems) for theme, stems in THEMES.items()}


def theme_hits(text: str) -> Counter[str]:
    """Number of stem hits per theme in ``text`` (only themes with at least one hit).

    Stems come from the hand-written ``THEMES`` table above, matched on folded tokens.
    """
    folded = fold(text)
    counts: Counter[str] = Counter()
    for theme, pattern in _PATTERNS.items():
        n = len(pattern.findall(folded))
        if n:
            counts[theme] = n
    return counts


def themes_in_text(text: str) -> list[str]:
    """Themes a short text (query, topic) speaks of, strongest first, ties in taxonomy order."""
    hits = theme_hits(text)
    order = list(THEMES)
    return sorted(hits, key=lambda t: (-hits[t], order.index(t)))


def canonical_theme(value: str) -> str | None:
    """A theme name, its fold ("sprache") or a word matching its stems -> the theme name."""
    key = fold(value)
    for theme in THEMES:
        if fold(theme) == key or key in fold(theme).split():
            return theme
    found = themes_in_text(value)
    return found[0] if len(found) == 1 else None
