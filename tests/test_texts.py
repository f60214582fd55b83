"""The text catalogues: one per language, the same keys and placeholders in each, so that a label
added in English cannot be missing (or lose a value) in Dutch."""

from __future__ import annotations

import string

import pytest

from labfinance.engine.catalogue import CATALOGUE
from labfinance.texts import LANGUAGES, Texts, catalogue


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_language_has_the_same_keys():
    english = set(catalogue("en"))
    assert len(english) > 300
    for lang in LANGUAGES:
        keys = set(catalogue(lang))
        assert keys == english, (lang, sorted(keys ^ english)[:20])


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_text_has_the_same_placeholders_in_every_language(lang):
    english, other = catalogue("en"), catalogue(lang)
    wrong = [key for key in english if placeholders(english[key]) != placeholders(other[key])]
    assert not wrong, wrong


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_text_is_empty(lang):
    assert all(text.strip() for text in catalogue(lang).values())


def test_the_english_metric_labels_are_the_engines():
    t = Texts("en")
    for m in CATALOGUE:
        assert t(f"metric.{m.name}.label") == m.label
        assert t(f"metric.{m.name}.meaning") == m.meaning


def test_a_dutch_text_is_dutch():
    # the words the issue asks for, spelled as a Dutch public-finance reader writes them
    t = Texts("nl")
    assert t("metric.funding_shortfall.label") == "Dekkingstekort"
    assert t("metric.bcr.label") == "Baten-kostenverhouding"
    assert "aandeel toe te schrijven aan anderen" in t("param.attribution")
    assert "share due to others" in Texts("en")("param.attribution").lower()
