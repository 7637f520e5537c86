from index.analyzer import analyze, detect_language, split_compound, words


def test_umlauts_and_sharp_s_survive_tokenisation():
    assert words("Über die Größe der Straßen") == ["über", "die", "größe", "der", "straßen"]


def test_stopwords_removed_and_stems_shared():
    terms = analyze("Die Ehrenamtlichen und der Ehrenamtliche")
    assert "die" not in terms and "und" not in terms
    assert terms[0] == terms[-1] == analyze("Ehrenamt")[0]


def test_query_and_document_spellings_meet():
    assert analyze("Straße") == analyze("Strasse")
    assert analyze("Flüchtlinge")[0] == analyze("Flüchtlingen")[0]


def test_compounds_are_indexed_with_their_parts():
    parts = split_compound("ehrenamtskoordination")
    assert "koordination" in parts
    terms = analyze("Ehrenamtskoordination")
    assert analyze("Koordination")[0] in terms
    assert analyze("Ehrenamt")[0] in terms


def test_short_and_non_alpha_words_are_not_split():
    assert split_compound("haus") == ()
    assert split_compound("2015abc12345") == ()


def test_hyphenated_names_split_into_parts():
    terms = analyze("Samtgemeinde Elm-Asse")
    assert "elm" in terms and analyze("Asse")[0] in terms


def test_language_detection():
    assert detect_language("how do rural municipalities organise volunteer coordination") == "en"
    assert detect_language("Wie organisieren ländliche Gemeinden die Koordination von Ehrenamtlichen?") == "de"
    assert detect_language("Ehrenamtskoordination") == "de"
    assert detect_language("") == "de"
    # umlauts in names do not make an English question German
    assert detect_language("How many flats did Dülmen find for refugees?") == "en"
    assert detect_language("Wohnungen in Dülmen") == "de"
