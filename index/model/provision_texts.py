"""Verification strings for the provisioned model: German and English, short and long.

They cover what the tokenizer must reproduce: umlauts and ß, numbers and units,
German quotes „“, en dashes, tabs and newlines, bullets, ligatures, full-width
characters, emoji, mixed case, URLs, repeated spaces and unknown characters.
Long passages stay under ~300 tokens so that no truncation or windowing applies.
"""

from __future__ import annotations

SHORT = [
    "Sprachkurse für Geflüchtete",
    "Wie finde ich einen Integrationskurs in meiner Nähe?",
    "Ehrenamtliche Patenschaften in der Gemeinde",
    "Wohnraum für Zugewanderte",
    "Willkommenskultur im ländlichen Raum",
    "Was kostet ein Deutschkurs?",
    "Ausländerbehörde Öffnungszeiten",
    "Straßenfest der Kulturen",
    "Größe der Gemeinschaftsunterkunft",
    "ÜBERGANGSWOHNHEIM",
    "integrationsbeauftragte",
    "Kita-Platz für Kinder mit Fluchterfahrung",
    "How do municipalities organise volunteering?",
    "language courses for refugees",
    "affordable housing for newcomers",
    "Welcome centre opening hours",
    "BAMF-Integrationskurs, Modul 1–6",
    "§ 44 AufenthG",
    "Kosten: 2,20 € pro Unterrichtseinheit",
    "Teilnahme ab 16 Jahren",
    "Tel. 0221 / 123 45-67",
    "E-Mail: integration@stadt-beispiel.de",
    "https://www.bamf.de/DE/Themen/Integration/integration-node.html",
    "www.ehrenamt-deutschland.org/engagement?ort=Köln&radius=25",
    "„Ankommen ist mehr als ein Dach über dem Kopf“",
    "»Nachbarschaftshilfe« und ‚Lotsenprojekte‘",
    "Integration – Teilhabe – Zusammenhalt",
    "2015—2016: Hochphase der Zuwanderung",
    "• Sprachförderung\n• Wohnungssuche\n• Arbeitsmarkt",
    "Spalte A\tSpalte B\tSpalte C",
    "ﬁnanzielle Förderung und ﬂexible Angebote",
    "ＡＢＣ Vollbreite Ｚｅｉｃｈｅｎ １２３",
    "Willkommen! 👋 Wir helfen gern 🙂",
    "Familien 👨‍👩‍👧 suchen Wohnungen 🏠🏠",
    "Deutsch 🇩🇪 lernen mit Spaß ✔️",
    "MiGrAnTeNsElBsToRgAnIsAtIoNeN",
    "H₂O und CO₂ – Klimaschutz im Quartier",
    "x² + y² = r²",
    "Bürger*innen und Bürger:innen",
    "Ärzt_innen für Geflüchtete",
    "Übersetzungs­hilfe (mit weichem Trennstrich)",
    "Null-Euro-Ticket für Deutschkurs­teilnehmende",
    "Viele   Leerzeichen    hintereinander",
    "  führende und folgende Leerzeichen  ",
    "Zeile eins\r\nZeile zwei\r\nZeile drei",
    "Geschütztes\u00a0Leerzeichen und schmales\u202fLeerzeichen",
    "Null\u200bbreite\u200dZeichen",
    "Café, naïve, Ångström, Øresund",
    "Łódź, Kraków, İstanbul, Şanlıurfa",
    "Привет, как дела? Русскоязычige Beratung",
    "مرحبا بكم في مدينتنا",
    "Türkçe danışmanlık hizmeti",
    "ትግርኛ ቋንቋ ኮርስ",
    "日本語とドイツ語のコース",
    "欢迎来到我们的城市",
    "Ελληνικά μαθήματα γλώσσας",
    "Zeichen aus Hieroglyphen: 𓀀𓀁𓀂 bleiben unbekannt",
    "Symbole ⚠ ☎ ✉ ⌛ ♻",
    "Preis: 1.250,00 € bzw. $1,250.00",
    "Am 03.10.2024 um 14:30 Uhr",
    "Quote 37,5 % (Stand: Q3/2023)",
    "Art. 3 Abs. 3 GG; vgl. S. 12 ff.",
    "z. B., d. h., u. a., usw.",
    "Ein Satz ohne Punkt",
    "...",
    "?!",
    "A",
    "ß",
    "ẞ GROSSES ESZETT",
    "Ⅻ römische Zahl Ⅳ",
    "½ Stelle, ¼ Jahr, ¾ Mehrheit",
    "™ © ® ℃ № ℡",
    "ＦＡＱ： Ｗｉｅ ｍｅｌｄｅ ｉｃｈ ｍｉｃｈ ａｎ？",
    "～ Wellenlinie ～ und ~ Tilde",
    "Ersatzzeichen \ufffd im Text",
    "Der Unterstrich ▁ als Zeichen",
    "Steuerzeichen\x07 und\x1b Escape",
    "Tab\t\tdoppelt und\fSeitenumbruch",
]

_SENTENCES = [
    "Die Stadt hat 2016 eine zentrale Koordinierungsstelle für Integration eingerichtet, die Ehrenamtliche, Wohlfahrtsverbände und Behörden miteinander vernetzt.",
    "Integrationskurse bestehen aus einem Sprachkurs mit 600 Unterrichtseinheiten und einem Orientierungskurs mit 100 Unterrichtseinheiten.",
    "Viele Kommunen setzen auf dezentrale Unterbringung in Wohnungen statt auf große Gemeinschaftsunterkünfte, weil das die Teilhabe im Quartier erleichtert.",
    "„Wir wollten, dass sich neue Nachbarinnen und Nachbarn von Anfang an willkommen fühlen“, sagt die Integrationsbeauftragte.",
    "Ehrenamtliche Sprachpat*innen begleiten Familien zu Behördenterminen, helfen beim Ausfüllen von Formularen und üben Alltagsdeutsch.",
    "Die Förderung läuft über das Landesprogramm „Gemeinsam in Vielfalt“ und ist zunächst bis 31.12.2025 befristet.",
    "Bei der Wohnungssuche stoßen Geflüchtete oft auf Vorbehalte von Vermieter:innen – Mietbürgschaften der Stadt können helfen.",
    "The welcome centre offers counselling in Arabic, Dari, Tigrinya, Ukrainian and English, both in person and by phone.",
    "Municipal volunteering coordinators train mentors, match them with newcomers and organise regular exchange meetings.",
    "Kinder im schulpflichtigen Alter besuchen zunächst Vorbereitungsklassen, bevor sie in den Regelunterricht wechseln.",
    "Das Netzwerk umfasst mehr als 40 Vereine, darunter Sportclubs, Kirchengemeinden, Moscheegemeinden und Migrantenselbstorganisationen.",
    "Für Frauen mit kleinen Kindern gibt es Kurse mit paralleler Kinderbetreuung, damit die Teilnahme nicht an fehlender Betreuung scheitert.",
    "Die Evaluation zeigte: 72 % der Teilnehmenden erreichten das Sprachniveau B1 innerhalb von 18 Monaten.",
    "Weitere Informationen unter https://www.integration-beispielstadt.de/angebote oder telefonisch unter 0800 123 456.",
    "Übergangswohnheime sollen nur eine kurze Station sein; das Ziel bleibt eigener Wohnraum mit regulärem Mietvertrag.",
    "• Erstberatung im Rathaus\n• Vermittlung in Sprachkurse\n• Begleitung bei der Arbeitssuche",
    "Jahr\tTeilnehmende\tAbschlüsse\n2022\t1.204\t845\n2023\t1.377\t1.012",
    "Interkulturelle Öffnung der Verwaltung bedeutet auch, Formulare in einfacher Sprache anzubieten und Mitarbeitende zu schulen.",
    "Ein „Welcome Day“ im Frühjahr stellt Vereine, Beratungsstellen und Ehrenamtsprojekte vor – mit Musik, Essen und Kinderprogramm 🎉.",
    "Die ﬁnanzielle Ausstattung der Integrationsarbeit hängt stark von befristeten Projektmitteln ab, was langfristige Planung erschwert.",
]


def _passages() -> list[str]:
    """Deterministic long passages: rotating windows of 3-8 sentences."""
    out = []
    n = len(_SENTENCES)
    for i in range(30):
        length = 3 + (i % 6)
        start = (i * 7) % n
        parts = [_SENTENCES[(start + j) % n] for j in range(length)]
        sep = "\n\n" if i % 4 == 0 else " "
        out.append(sep.join(parts))
    return out


VERIFICATION_TEXTS: list[str] = SHORT + _SENTENCES + _passages()
