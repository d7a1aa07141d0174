"""The first page staff see: what needs attention today."""

from flask import render_template

from backoffice import bp
from backoffice.access import allow
from shop.accounts import roles
from shop.inventory.reports import dashboard_figures


@bp.get("/")
@allow(*roles.STAFF)
def dashboard():
    return render_template("backoffice/dashboard.html", figures=dashboard_figures())
