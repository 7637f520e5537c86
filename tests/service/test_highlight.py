from markupsafe import Markup

from service.highlight import ELLIPSIS, QueryTerms, highlight, match_spans, snippet


def marked(text, query):
    return [text[s:e] for s, e in match_spans(text, QueryTerms.of(query))]


def test_stems_and_compound_parts_match():
    text = "Die Ehrenamtlichen und die Ehrenamtskoordination der Stadt stärken Sprachkurse."
    assert marked(text, "Ehrenamtliche") == ["Ehrenamtlichen", "Ehrenamtskoordination"]
    assert marked(text, "Koordination") == ["Ehrenamtskoordination"]
    assert marked(text, "Sprachkurs") == ["Sprachkurse"]
    assert marked("Flüchtlinge in der Straße", "fluchtlinge strasse") == ["Flüchtlinge", "Straße"]


def test_stopwords_and_unrelated_words_stay_unmarked():
    assert marked("Die Stadt und der Kreis", "die und der") == []
    assert marked("Wohnraum für alle", "Ehrenamt") == []


def test_escapes_before_marking():
    terms = QueryTerms.of("script Ehrenamt")
    out = highlight('<script>alert("Ehrenamt")</script> & <b>Ehrenamt</b>', terms)
    assert isinstance(out, Markup)
    assert out == ('&lt;<mark>script</mark>&gt;alert(&#34;<mark>Ehrenamt</mark>&#34;)&lt;/<mark>script</mark>&gt;'
                   ' &amp; &lt;b&gt;<mark>Ehrenamt</mark>&lt;/b&gt;')
    assert "<script" not in out and "<b>" not in out


def test_snippet_window_centres_on_matches():
    text = " ".join(["Vorspann"] * 80 + ["Patenschaften", "für", "Geflüchtete"] + ["Nachspann"] * 80)
    out = snippet(text, QueryTerms.of("Patenschaft Geflüchtete"), width=120)
    assert out.startswith(ELLIPSIS) and out.endswith(ELLIPSIS)
    assert "<mark>Patenschaften</mark> für <mark>Geflüchtete</mark>" in out
    assert len(out.replace("<mark>", "").replace("</mark>", "")) <= 124


def test_short_text_is_whole_and_no_match_starts_at_beginning():
    assert snippet("Kurzer Text.", QueryTerms.of("Text")) == "Kurzer <mark>Text</mark>."
    long = "Anfang " + "Wort " * 200
    out = snippet(long, QueryTerms.of("Ehrenamt"), width=60)
    assert out.startswith("Anfang") and out.endswith(ELLIPSIS) and "<mark>" not in out
