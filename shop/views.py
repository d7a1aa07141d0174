"""Helpers shared by the views of the storefront and the back office."""

from flask import abort, flash, request
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
    """Undo the failed change; put the service's message beside its field, or on top."""
    db.session.rollback()
    field = getattr(form, err.field, None) if err.field else None
    if field is not None:
        field.errors = [*field.errors, err.message]
    else:
        flash(err.message, "error")


def page_number() -> int:
    """The ?page= asked for, from 1 (text counts as 1); past MAX_PAGE, a 404."""
    page = request.args.get("page", 1, type=int)
    if page > MAX_PAGE:
        abort(404)
    return max(page, 1)


def found_page(pagination):
    """The page of a list, or a 404 when it lies past the last one."""
    if pagination.page > max(pagination.pages, 1):
        abort(404)
    return pagination
