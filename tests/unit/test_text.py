"""Plain text helpers: a page's meta description cut to what search engines show."""

from shop.text import summary


def test_a_short_text_is_kept_on_one_line():
    assert summary("  Warm,\n\n light   and packable. ") == "Warm, light and packable."
    assert summary("") == ""


def test_a_long_text_is_cut_between_words_with_an_ellipsis():
    text = "word " * 60
    cut = summary(text)
    assert len(cut) <= 155 and cut.endswith("word…")
    assert summary("one, two, three", limit=12) == "one, two…"  # no comma before the …


def test_a_single_long_word_is_cut_at_the_limit():
    assert summary("x" * 200, limit=20) == "x" * 19 + "…"
