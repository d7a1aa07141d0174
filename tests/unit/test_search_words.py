"""The words of a search and the corrections offered for them (shop.search.words)."""

from shop.search.words import (
    MAX_QUERY_CHARS,
    MAX_WORDS,
    allowed_edits,
    closest_word,
    edit_distance,
    fts5_all,
    fts5_any,
    normalise,
    one_edit_away,
    trigrams,
    vocabulary_of,
)


def test_query_syntax_becomes_spaces():
    assert normalise('"tent" NEAR(bag* : & | ! -x').words == ("tent", "near", "bag", "x")
    assert normalise("  Sleeping  BAGS ").words == ("sleeping", "bags")
    assert normalise("!!!").words == () and normalise("!!!").raw == "!!!"


def test_the_raw_text_is_kept_trimmed_for_codes():
    assert normalise("  TNT-RDG-2P \n").raw == "TNT-RDG-2P"
    assert normalise("TNT-RDG-2P").words == ("tnt", "rdg", "2p")


def test_long_queries_are_cut():
    assert len(normalise("x" * 5000).raw) == MAX_QUERY_CHARS
    assert len(normalise("a " * 500).words) == MAX_WORDS
    assert normalise("tent" * 50).words[0] == ("tent" * 10)  # 40 characters a word


def test_nul_and_underscores_split_nothing_into_syntax():
    assert normalise("te\x00nt").words == ("tent",)
    assert normalise("snake_case").words == ("snake", "case")


def test_unicode_words_are_kept_and_folded():
    assert normalise("Crème BRÛLÉE ⛺").words == ("crème", "brûlée")
    assert normalise("ｔｅｎｔ").words == ("tent",)  # full-width letters


def test_fts5_queries_quote_every_term():
    assert fts5_all(["sleeping", "bag"]) == '"sleeping" AND "bag"'
    assert fts5_any(["  t", 'a"b']) == '"  t" OR "a""b"'


def test_trigrams_are_padded_like_pg_trgm():
    assert trigrams("tent") == ["  t", " te", "ten", "ent", "nt "]
    assert set(trigrams("tnet")) & set(trigrams("tent")) == {"  t"}


def test_edit_distance_counts_a_swap_as_one():
    assert edit_distance("tnet", "tent") == 1
    assert edit_distance("sleping", "sleeping") == 1
    assert edit_distance("jakcet", "jacket") == 1
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("same", "same") == 0


def test_short_words_are_never_corrected():
    assert allowed_edits("bag") == 0
    assert allowed_edits("tnet") == 1 and allowed_edits("sleping") == 1
    assert allowed_edits("sleepingbg") == 2
    assert closest_word("bga", ["bag"]) is None


def test_the_closest_known_word_wins():
    vocabulary = ["ridge", "tent", "2p", "teal", "tee", "down", "sleeping", "bag"]
    assert closest_word("tnet", vocabulary) == "tent"
    assert closest_word("sleping", vocabulary) == "sleeping"
    assert closest_word("zqxwvk", vocabulary) is None
    assert closest_word("1234", ["1235"]) is None  # numbers are codes, not typos


def test_a_tie_goes_to_the_same_first_letter_the_same_length_then_the_commoner():
    # "tnet" is one edit from "net" (which shares more trigrams) and from "tent"
    assert closest_word("tnet", ["net", "tent"]) == "tent"
    assert closest_word("tant", ["tat", "tent"]) == "tent"  # the same length
    assert closest_word("bost", ["boot", "best", "best"]) == "best"  # seen twice


def test_the_vocabulary_is_every_word():
    assert vocabulary_of(["  ridge  tent  (2-person) ", "Down_Bag"]) == [
        "ridge", "tent", "2", "person", "down", "bag",
    ]  # fmt: skip


def test_spellings_one_edit_away_hold_the_swap_the_drop_and_the_added_letter():
    near = one_edit_away("tnet")
    assert {"tent", "net", "tnt", "tenet"} <= set(near)  # swap, drops, an added letter
    assert "tnet" not in near and near == sorted(near)
    assert all(len(w) >= 3 and w.isalnum() for w in near)  # nothing of query syntax
    assert len(near) == len(set(near)) < 300
