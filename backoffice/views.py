"""Small helpers every back-office view shares."""

from collections.abc import Iterable

from flask import Response, abort, current_app, render_template, request, stream_with_context

from shop.extensions import db
from shop.views import (
    MAX_ID,
    file_response,
    found_page,
    page_number,
    service_call,
    show_error,
)

__all__ = [
    "file_response",
    "form_page",
    "found_page",
    "get_or_404",
    "page_number",
    "search_text",
    "service_call",
    "show_error",
    "stream_download",
]


def get_or_404(model, ident: int, **kwargs):
    """The row with this id, or a 404 page (also for ids no row could have)."""
    if not 0 < ident <= MAX_ID:
        abort(404)
    return db.get_or_404(model, ident, **kwargs)


def form_page(template: str, **context):
    """A page with a form: 200 when shown, 422 when a submitted form did not go through."""
    status = 422 if request.method == "POST" else 200
    return render_template(template, **context), status


def search_text() -> str:
    """The search box's text, trimmed; NUL characters cannot reach the database."""
    return request.args.get("q", "").replace("\x00", "").strip()[:200]


def stream_download(lines: Iterable[str], filename: str, mimetype: str = "text/csv") -> Response:
    """A download sent as it is written, for files that grow without bound (the journal,
    the invoice list): `lines` is read while the response goes out, from a query that
    fetches its rows in batches (yield_per, a server-side cursor on PostgreSQL), so
    neither the rows nor the file are ever all in memory. The request (and its database
    session) stays open until the last line is sent.

    The headers are gone before the last row is read, so a failure midway cannot become
    an error page: the file then ends with INCOMPLETE, and the connection is dropped, so
    that a bookkeeper never takes half a journal for all of it."""
    return file_response(stream_with_context(_whole_or_marked(lines, filename)), filename, mimetype)


INCOMPLETE = (
    "\n!!! EXPORT INCOMPLETE: the server failed while writing this file; download it again.\n"
)


def _whole_or_marked(lines: Iterable[str], filename: str):
    try:
        yield from lines
    except Exception:
        current_app.logger.exception("the download %s was cut off", filename)
        yield INCOMPLETE
        raise
