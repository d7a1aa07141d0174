"""The back-office menu: each entry shows only to roles that may open it."""

from flask import Flask
from flask_login import current_user

from backoffice.access import allowed_roles

# (endpoint, label) in menu order; modules of the back office add theirs here.
MENU = [
    ("backoffice.dashboard", "Dashboard"),
]


def register(app: Flask) -> None:
    @app.context_processor
    def _menu():
        def admin_menu():
            if not current_user.is_authenticated:
                return []
            return [(e, label) for e, label in MENU if current_user.role in allowed_roles(e)]

        return {"admin_menu": admin_menu}
