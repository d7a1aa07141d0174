"""Plain text helpers every package may use (infrastructure: imports nothing of the shop)."""

import re
import unicodedata


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens ("Camp Stove 2" -> "camp-stove-2");
    "item" when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "item"


def summary(text: str, limit: int = 155) -> str:
    """The text on one line and at most `limit` characters, cut between words with "…"
    when it is longer (a page's meta description: search engines show about 155)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    room = limit - 1  # for the "…"
    head = flat[: room + 1]  # one more: is the character after the cut a space?
    cut = head.rsplit(" ", 1)[0] if " " in head else flat[:room]
    return cut.rstrip(" ,;:.-") + "…"
