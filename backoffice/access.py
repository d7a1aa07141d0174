"""Who may open which back-office page. The default is deny.

Every view under /admin names the roles that may use it with @allow(...).
A view that names none is refused to everyone, so a forgotten check fails
closed; tests/integration/test_backoffice_access.py walks the URL map to
prove each back-office route has its roles.
"""

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from shop.accounts import roles

ALLOWED_ROLES_ATTR = "_allowed_roles"


def allow(*allowed: str):
    """Let these staff roles (and always the owner) use the view."""
    unknown = set(allowed) - set(roles.STAFF)
    if unknown:
        raise ValueError(f"not staff roles: {unknown}")

    def decorate(view):
        setattr(view, ALLOWED_ROLES_ATTR, frozenset(allowed) | {roles.OWNER})
        return view

    return decorate


def allowed_roles(endpoint: str) -> frozenset[str]:
    view = current_app.view_functions.get(endpoint)
    return getattr(view, ALLOWED_ROLES_ATTR, frozenset())


def check_access():
    """before_request of the back office: log in first, then the role must be allowed."""
    if not current_user.is_authenticated:
        return redirect(url_for("account.login", next=request.full_path.rstrip("?")))
    if current_user.role not in allowed_roles(request.endpoint or ""):
        abort(403)
    return None
