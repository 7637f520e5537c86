import pytest

from ingest.sentences import load_abbreviations, sentence_spans, split_sentences


@pytest.mark.parametrize(
    "text",
    [
        "Ergebnisbericht zum 2. Demografie Gipfel Mai 2013 wurde vorgestellt.",
        "Am 5. November 2019 unterzeichneten sie in Potsdam die Vereinbarung.",
        "Das Projekt lief von Juni 2017–Juni 2018 bundesweit.",
        "Es gibt z.B. Sprachkurse, u.a. für Frauen, vgl. S. 38 bzw. Abs. 2 des Vertrags.",
        "Dr. Julia Nast und Prof. Dr. Petra Bendel sprachen mit Dipl.-Ing. Christa Böhme.",
        "Die Kosten betragen ca. 2 Mio. Euro, ggf. auch mehr, d. h. z. B. für Räume.",
        "Der Workshop fand am 14. November 2024 statt.",
        "Die Stadt hat 46.613 Einwohner und eine Quote von 83,8 % im Jahr 2017.",
    ],
)
def test_no_split_inside(text):
    assert split_sentences(text) == [text]


def test_splits_real_sentence_ends():
    text = "Im Jahr 2015 kamen viele Menschen. Die Stadt reagierte schnell! Wie geht es weiter? Das Amt plant 2. Die Zahl ist klein."
    assert split_sentences(text) == [
        "Im Jahr 2015 kamen viele Menschen.", "Die Stadt reagierte schnell!", "Wie geht es weiter?",
        "Das Amt plant 2.", "Die Zahl ist klein."]


def test_spans_point_into_text():
    text = "Erster Satz hier.  Zweiter Satz mit Abs. 3 folgt. Dritter."
    for start, end in sentence_spans(text):
        assert text[start:end] == text[start:end].strip()
    assert [text[s:e] for s, e in sentence_spans(text)] == split_sentences(text)


def test_abbreviation_list_is_loaded():
    abbrevs = load_abbreviations()
    assert {"z.b", "u.a", "ggf", "dipl.-ing", "i.d.r", "usw"} <= abbrevs
