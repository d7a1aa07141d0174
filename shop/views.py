"""Helpers shared by the views of the storefront and the back office."""

from flask import flash

from shop.errors import DomainError
from shop.extensions import db


def show_error(form, err: DomainError) -> None:
    """Undo the failed change; put the service's message beside its field, or on top."""
    db.session.rollback()
    field = getattr(form, err.field, None) if err.field else None
    if field is not None:
        field.errors = [*field.errors, err.message]
    else:
        flash(err.message, "error")
