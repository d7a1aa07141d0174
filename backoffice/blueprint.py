"""The back office's one blueprint, under /admin: every area module adds its routes to it.

It lives apart from backoffice/__init__.py (which imports the areas) so that an area
importing `bp` does not import the package that imports it: no circle."""

from flask import Blueprint

from backoffice.access import check_access

bp = Blueprint("backoffice", __name__, url_prefix="/admin")
bp.before_request(check_access)
