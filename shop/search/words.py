"""The words of a search, and the spelling corrections offered for them: plain text in,
plain text out (no database here, so all of it is tested as pure functions).

Whatever a customer types becomes letters and digits only before it reaches a database:
quotes, `*`, `NEAR(`, `:`, `&`, `|`, `!` are full-text query syntax on SQLite (FTS5) or
PostgreSQL (tsquery), and here they are nothing but spaces.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

MAX_QUERY_CHARS = 200
MAX_WORDS = 8
MAX_WORD_CHARS = 40
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SearchText:
    """What was typed (trimmed, for exact SKU/barcode look-ups) and its words."""

    raw: str
    words: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.words)


def normalise(typed: str) -> SearchText:
    """The typed text, cut to size, and its lower-case words (letters and digits; an
    underscore, which \\w allows, separates words too)."""
    raw = typed.replace("\x00", "").strip()[:MAX_QUERY_CHARS]
    folded = unicodedata.normalize("NFKC", raw).lower().replace("_", " ")
    words = [w[:MAX_WORD_CHARS] for w in _WORD.findall(folded)][:MAX_WORDS]
    return SearchText(raw=raw, words=tuple(words))


def fts5_all(words: Iterable[str]) -> str:
    """An FTS5 query asking for every word: each one a quoted string, so nothing in it is
    syntax (the words hold no quote, normalise() saw to that)."""
    return " AND ".join(f'"{w}"' for w in words)


def fts5_any(terms: Iterable[str]) -> str:
    """An FTS5 query asking for any of the terms (trigrams here)."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def padded(word: str) -> str:
    """A word as the trigram index keeps it: two spaces before, one after, as PostgreSQL's
    pg_trgm pads, so a short word shares its first letters' trigrams with its neighbours
    ("tnet" and "tent" share "  t")."""
    return f"  {word} "


def trigrams(word: str) -> list[str]:
    """The distinct trigrams of a padded word, in order."""
    text = padded(word)
    seen: dict[str, None] = {}
    for i in range(len(text) - 2):
        seen.setdefault(text[i : i + 3], None)
    return list(seen)


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): insertions, deletions,
    substitutions and swaps of two neighbours each cost one ("tnet" -> "tent" is 1)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], previous2[j - 2] + 1)
        previous2, previous = previous, row
    return previous[-1]


def allowed_edits(word: str) -> int:
    """How far a correction may be: none for 1-3 letters (too many neighbours) or a word
    holding a digit (a code or a size: "bn01250", "2p"), one up to seven letters, two
    beyond."""
    if len(word) <= 3 or any(c.isdigit() for c in word):
        return 0
    return 1 if len(word) <= 7 else 2


def closest_word(word: str, vocabulary: Iterable[str]) -> str | None:
    """The known word nearest to `word` within allowed_edits(), or None. Ties go to the
    word with the same first letter (people seldom miss the first), then of the nearer
    length, then sharing more trigrams, then seen more often, then alphabetically."""
    limit = allowed_edits(word)
    if limit == 0:
        return None
    counts: dict[str, int] = {}
    for known in vocabulary:
        counts[known] = counts.get(known, 0) + 1
    own = set(trigrams(word))
    best, best_key = None, None
    for known, seen in counts.items():
        if known == word or known.isdigit() or abs(len(known) - len(word)) > limit:
            continue
        distance = edit_distance(word, known)
        if distance > limit:
            continue
        key = (
            distance, known[0] != word[0], abs(len(known) - len(word)),
            -len(own & set(trigrams(known))), -seen, known,
        )  # fmt: skip
        if best_key is None or key < best_key:
            best, best_key = known, key
    return best


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def one_edit_away(word: str) -> list[str]:
    """Every spelling one edit from `word` (a letter dropped, two neighbours swapped, one
    changed or one added): for a short word the index's own lookup finds the right one
    ("tent" for "tnet") where trigrams share too little. Sorted, without the word."""
    letters = sorted(set(_LETTERS) | set(word))
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {a + b[1:] for a, b in splits if b}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    found |= {a + c + b[1:] for a, b in splits if b for c in letters}
    found |= {a + c + b for a, b in splits for c in letters}
    found.discard(word)
    return sorted(w for w in found if len(w) >= 3)


def vocabulary_of(texts: Iterable[str]) -> list[str]:
    """Every word of the texts (lower case, repeated as often as it occurs)."""
    return [w for text in texts for w in _WORD.findall(text.lower().replace("_", " "))]
