"""The first page staff see: what needs attention today; for the owner, also how the
business is doing against the period before."""

from flask import render_template, request

from backoffice import bp
from backoffice.access import allow
from backoffice.forms import ReportFilterForm
from backoffice.menu import can
from backoffice.reports import revenue_chart, sales_tiles, top_chart
from shop.accounts import roles
from shop.inventory.stock_figures import dashboard_figures
from shop.reports.dashboard import owner_dashboard


@bp.get("/")
@allow(*roles.STAFF)
def dashboard():
    business = form = None
    if can("backoffice.report_sales"):
        form = ReportFilterForm(request.args)
        form.validate()
        business = _business(*form.chosen())
    return render_template(
        "backoffice/dashboard.html", figures=dashboard_figures(), business=business, form=form
    )


def _business(filters, grain) -> dict:
    found = owner_dashboard(filters, grain)
    return {
        "found": found,
        "tiles": sales_tiles(found.current, found.previous),
        "sales_chart": revenue_chart(found.series, found.previous_series, grain),
        "products_chart": top_chart(found.top_products, "Top products by revenue"),
        "categories_chart": top_chart(found.top_categories, "Top categories by revenue"),
    }
