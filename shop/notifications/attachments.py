"""Attachments made when the email is delivered, not when it is queued.

An invoice PDF takes tens of milliseconds to draw; drawing it inside the payment's
transaction would hold the invoice-number lock that long and make payments queue.
The invoice is frozen once issued, so drawing it at delivery gives the same file.
Each kind of document registers its maker here at start-up (create_app).
"""

from collections.abc import Callable
from dataclasses import dataclass

MAKERS: dict[str, Callable[[str], bytes]] = {}


@dataclass(frozen=True)
class Later:
    """An attachment to make at delivery: the maker's kind and what it makes it from."""

    kind: str
    key: str

    @property
    def spec(self) -> str:
        return f"{self.kind}:{self.key}"


def register(kind: str, maker: Callable[[str], bytes]) -> None:
    MAKERS[kind] = maker


def content_of(attachment) -> bytes:
    """The bytes of an outbox attachment: stored ones as they are, the others made now."""
    if attachment.data is not None:
        return attachment.data
    kind, _, key = attachment.made_by.partition(":")
    return MAKERS[kind](key)
