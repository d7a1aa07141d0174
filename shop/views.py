"""Helpers shared by the views of the storefront and the back office."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Response, abort, flash, request, send_file
from werkzeug.routing import IntegerConverter

from shop.errors import DomainError
from shop.extensions import db

# No list has this many pages; a larger ?page= (999999999999999999 would overflow the
# database's offset) is simply not found.
MAX_PAGE = 10_000
MAX_ID = 2**31 - 1  # ids are 32-bit; a larger number in a URL is simply not found


class IdConverter(IntegerConverter):
    """<int:...> in every route: 1 to MAX_ID, so a larger number is a 404, not a database
    error (99999999999999999999 does not fit in an integer column)."""

    def __init__(self, url_map, fixed_digits=0, min=1, max=MAX_ID, signed=False):
        super().__init__(url_map, fixed_digits, min, max, signed)


def show_error(form, err: DomainError) -> None:
    """Undo the failed change; put the service's message beside its field, or on top.

    A form whose fields are named otherwise than what the service takes (a day typed for
    a moment kept) says which of its fields is which in `service_fields`."""
    db.session.rollback()
    name = getattr(form, "service_fields", {}).get(err.field, err.field)
    field = getattr(form, name, None) if name else None
    if field is not None:
        field.errors = [*field.errors, err.message]
    else:
        flash(err.message, "error")


@dataclass
class ServiceCall:
    """How the service call in a `with service_call(...)` block went."""

    ok: bool = False  # it went through and is committed


@contextmanager
def service_call(form=None) -> Iterator[ServiceCall]:
    """Run the one service call of a request in the with-block, then commit it; a
    DomainError instead undoes it and shows its message (show_error: beside the form's
    field, or on top). After the block, `.ok` says whether to flash and redirect:

        with service_call(form) as call:
            saved = services.save_category(**form.data_for_service())
        if call.ok:
            flash(f"Category {saved.name} saved.", "success")
            return redirect(url_for("backoffice.categories"))
    """
    call = ServiceCall()
    try:
        yield call
    except DomainError as err:
        show_error(form, err)
    else:
        db.session.commit()
        call.ok = True


def file_response(body, filename: str, mimetype: str, *, inline: bool = False) -> Response:
    """A file for the browser: saved (attachment) or shown (inline) under this name, never
    kept by a shared cache (shop.security_headers says the same of every download).

    `body` is bytes, lines (a streamed CSV) or an open file (sent as it is read, with its
    length)."""
    if hasattr(body, "read"):
        response = send_file(body, mimetype=mimetype, download_name=filename,
                             as_attachment=not inline)  # fmt: skip
    else:
        disposition = "inline" if inline else "attachment"
        response = Response(body, mimetype=mimetype)
        response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def page_number(name: str = "page") -> int:
    """The ?page= (or ?<name>=) asked for, from 1 (text counts as 1); past MAX_PAGE, a 404."""
    page = request.args.get(name, 1, type=int)
    if page > MAX_PAGE:
        abort(404)
    return max(page, 1)


def found_page(pagination):
    """The page of a list, or a 404 when it lies past the last one."""
    if pagination.page > max(pagination.pages, 1):
        abort(404)
    return pagination
