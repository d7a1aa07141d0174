"""Every back-office page names the roles that may open it; everyone else is refused.

The walk over the URL map finds every route of the back office, so a route
added later without @allow(...) fails here (and is refused to everyone).
"""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from backoffice.access import allowed_roles
from shop.accounting.agents import create_agent
from shop.accounting.models import Account
from shop.accounts import roles
from shop.backorders import purchase_orders
from shop.billing.services import invoice_for_order
from shop.catalogue.models import ProductImage
from shop.clock import store_today
from shop.discounts.models import Discount
from shop.extensions import db
from shop.fulfilment import batches
from shop.fulfilment.services import start_shipment
from shop.payables import bills
from shop.planning import demand
from shop.purchasing import services as purchasing
from shop.returns.models import ReturnLine, ReturnRequest
from shop.shipping.models import Box, Carrier, ShippingRate, ShippingService, ZoneRegion
from shop.tax.models import TaxRate
from tests.conftest import log_in
from tests.factories import ProductFactory, VariantFactory
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.test_reports_pages import sell_weekly

OWNER_ONLY = {roles.OWNER}
CATALOGUE_VIEW = {roles.OWNER, roles.SALES, roles.WAREHOUSE}
CATALOGUE_EDIT = {roles.OWNER, roles.SALES}
STOCK_VIEW = set(roles.STAFF)
STOCK_CHANGE = {roles.OWNER, roles.WAREHOUSE}
ORDER_VIEW = {roles.OWNER, roles.WAREHOUSE, roles.SALES, roles.BOOKKEEPER}
ORDER_CANCEL = {roles.OWNER, roles.SALES}
REFUNDING = {roles.OWNER, roles.SALES, roles.BOOKKEEPER}
PURCHASING = {roles.OWNER, roles.WAREHOUSE, roles.SALES}
RECEIVING = {roles.OWNER, roles.WAREHOUSE}
TAX_VIEW = {roles.OWNER, roles.BOOKKEEPER}
INVOICE_FILES = {roles.OWNER, roles.BOOKKEEPER, roles.SALES}
BOOKS = {roles.OWNER, roles.BOOKKEEPER}
INVOICE_VIEW = {roles.OWNER, roles.BOOKKEEPER, roles.SALES}
AGENTS = {roles.OWNER, roles.SALES}
FULFILMENT = {roles.OWNER, roles.WAREHOUSE}
PRINTING = {roles.OWNER, roles.WAREHOUSE}
PO_PRINTING = {roles.OWNER, roles.WAREHOUSE, roles.SALES}
RETURNS = {roles.OWNER, roles.WAREHOUSE}

# The policy of the issue, written out: who may open what.
POLICY = {
    "backoffice.dashboard": set(roles.STAFF),
    "backoffice.report_sales": OWNER_ONLY,
    "backoffice.report_margin": OWNER_ONLY,
    "backoffice.report_stock": OWNER_ONLY,
    "backoffice.report_backorders": OWNER_ONLY,
    "backoffice.report_shipping": OWNER_ONLY,
    "backoffice.report_customers": OWNER_ONLY,
    "backoffice.report_forecast": OWNER_ONLY,
    "backoffice.report_forecast_refresh": OWNER_ONLY,
    "backoffice.variant_forecast": OWNER_ONLY,
    "backoffice.categories": CATALOGUE_VIEW,
    "backoffice.category_edit": CATALOGUE_EDIT,
    "backoffice.products": CATALOGUE_VIEW,
    "backoffice.product": CATALOGUE_VIEW,
    "backoffice.product_edit": CATALOGUE_EDIT,
    "backoffice.variant_new": CATALOGUE_EDIT,
    "backoffice.variant_edit": CATALOGUE_EDIT,
    "backoffice.image_new": CATALOGUE_EDIT,
    "backoffice.image_delete": CATALOGUE_EDIT,
    "backoffice.stock": STOCK_VIEW,
    "backoffice.stock_adjust": STOCK_CHANGE,
    "backoffice.stock_count": STOCK_CHANGE,
    "backoffice.stock_movements": STOCK_VIEW,
    "backoffice.stock_valuation": {roles.OWNER, roles.WAREHOUSE, roles.BOOKKEEPER},
    "backoffice.stock_valuation_csv": {roles.OWNER, roles.WAREHOUSE, roles.BOOKKEEPER},
    "backoffice.suppliers": PURCHASING,
    "backoffice.supplier_new": PURCHASING,
    "backoffice.supplier_edit": PURCHASING,
    "backoffice.purchase_orders": PURCHASING,
    "backoffice.purchase_order_new": PURCHASING,
    "backoffice.purchase_order": PURCHASING | {roles.BOOKKEEPER},
    "backoffice.purchase_order_edit": PURCHASING,
    "backoffice.purchase_order_line_add": PURCHASING,
    "backoffice.purchase_order_line_delete": PURCHASING,
    "backoffice.purchase_order_send": PURCHASING,
    "backoffice.purchase_order_cancel": PURCHASING,
    "backoffice.purchase_order_receive": RECEIVING,
    "backoffice.reorder": PURCHASING,
    "backoffice.backorders": PURCHASING,
    "backoffice.backorders_csv": PURCHASING,
    "backoffice.staff": OWNER_ONLY,
    "backoffice.staff_new": OWNER_ONLY,
    "backoffice.staff_edit": OWNER_ONLY,
    "backoffice.staff_reset_second_factor": OWNER_ONLY,
    "backoffice.orders": ORDER_VIEW,
    "backoffice.order": ORDER_VIEW,
    "backoffice.order_cancel": ORDER_CANCEL,
    "backoffice.order_refund": REFUNDING,
    "backoffice.shipping": OWNER_ONLY,
    "backoffice.carrier_edit": OWNER_ONLY,
    "backoffice.service_edit": OWNER_ONLY,
    "backoffice.zone": OWNER_ONLY,
    "backoffice.zone_edit": OWNER_ONLY,
    "backoffice.region_add": OWNER_ONLY,
    "backoffice.region_delete": OWNER_ONLY,
    "backoffice.band_edit": OWNER_ONLY,
    "backoffice.band_delete": OWNER_ONLY,
    "backoffice.box_edit": OWNER_ONLY,
    "backoffice.tax_rates": TAX_VIEW,
    "backoffice.tax_classes": TAX_VIEW,
    "backoffice.tax_class_new": OWNER_ONLY,
    "backoffice.tax_rate_edit": OWNER_ONLY,
    "backoffice.tax_rate_delete": OWNER_ONLY,
    "backoffice.invoice_pdf": INVOICE_FILES,
    "backoffice.invoice_xml": INVOICE_FILES,
    "backoffice.invoices": INVOICE_VIEW,
    "backoffice.invoices_csv": INVOICE_VIEW,
    "backoffice.journal": BOOKS,
    "backoffice.journal_csv": BOOKS,
    "backoffice.journal_beancount": BOOKS,
    "backoffice.journal_quickbooks": BOOKS,
    "backoffice.journal_xero": BOOKS,
    "backoffice.profit_and_loss": BOOKS,
    "backoffice.balance_sheet": BOOKS,
    "backoffice.trial_balance_csv": BOOKS,
    "backoffice.tax_returns_page": BOOKS,
    "backoffice.periods_page": BOOKS,
    "backoffice.periods_reopen": OWNER_ONLY,
    "backoffice.journal_entry_new": BOOKS,
    "backoffice.accounts": BOOKS,
    "backoffice.account_new": OWNER_ONLY,
    "backoffice.account_edit": OWNER_ONLY,
    "backoffice.account_ledger": BOOKS,
    "backoffice.trial_balance": BOOKS,
    "backoffice.tax_collected": BOOKS,
    "backoffice.commission_agents": AGENTS,
    "backoffice.commission_agent_edit": AGENTS,
    "backoffice.discounts": AGENTS,
    "backoffice.discount_edit": AGENTS,
    "backoffice.store_settings": OWNER_ONLY,
    "backoffice.to_pack": FULFILMENT,
    "backoffice.shipment_start": FULFILMENT,
    "backoffice.shipments": FULFILMENT,
    "backoffice.shipment": FULFILMENT,
    "backoffice.shipment_parcels": FULFILMENT,
    "backoffice.shipment_confirm": FULFILMENT,
    "backoffice.shipment_cancel": FULFILMENT,
    "backoffice.packing_slip_pdf": PRINTING,
    "backoffice.label_pdf": PRINTING,
    "backoffice.packing_slips_pdf": PRINTING,
    "backoffice.labels_pdf": PRINTING,
    "backoffice.pick_list_pdf": PRINTING,
    "backoffice.document_batch": PRINTING,
    "backoffice.document_batch_pdf": PRINTING,
    "backoffice.purchase_order_pdf": PO_PRINTING,
    "backoffice.bills_list": BOOKS,
    "backoffice.bill_new": BOOKS,
    "backoffice.bill": BOOKS,
    "backoffice.bill_pay": BOOKS,
    "backoffice.bill_schedule": BOOKS,
    "backoffice.bill_void": BOOKS,
    "backoffice.bills_to_pay": BOOKS,
    "backoffice.payables_aging": BOOKS,
    "backoffice.payables_aging_csv": BOOKS,
    "backoffice.payouts_list": BOOKS,
    "backoffice.refunds_attention": BOOKS,
    "backoffice.refund_retry": BOOKS,
    "backoffice.bank_statements": BOOKS,
    "backoffice.bank_statement": BOOKS,
    "backoffice.bank_statement_auto_match": BOOKS,
    "backoffice.bank_line_match": BOOKS,
    "backoffice.bank_line_unmatch": BOOKS,
    "backoffice.bank_line_post": BOOKS,
    "backoffice.bank_unmatched": BOOKS,
    "backoffice.returns": RETURNS,
    "backoffice.return_request": RETURNS,
    "backoffice.return_authorise": RETURNS,
    "backoffice.return_refuse": RETURNS,
    "backoffice.return_receive": RETURNS,
    "backoffice.return_slip_pdf": RETURNS,
    "backoffice.report_returns": OWNER_ONLY,
    "backoffice.chores": OWNER_ONLY,
    "backoffice.chore_run": OWNER_ONLY,
}


def backoffice_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint.startswith("backoffice.")),
        key=lambda r: r.rule,
    )


def unguarded_endpoints(app) -> list[str]:
    """Back-office endpoints that name no role (and so are refused to everyone)."""
    with app.test_request_context():
        return sorted({r.endpoint for r in backoffice_rules(app) if not allowed_roles(r.endpoint)})


@pytest.fixture
def rows(app, tax_class, staff):
    """One existing row of each kind a back-office URL can name."""
    seed_reference_data()
    variant = VariantFactory(stock=5)
    image = ProductImage(product_id=variant.product_id, filename="x.png", alt="x")
    db.session.add(image)
    db.session.commit()
    order = buy(app, [(variant, 1)])
    shipment = start_shipment(order=order, user=None)
    db.session.commit()
    batch = batches.ask_batch(batches.LABELS, [shipment], staff[roles.WAREHOUSE])
    db.session.commit()
    batches.make_batch(batch.id)
    supplier = purchasing.save_supplier(
        name="Access Supplies", email="po@access.example.com", lead_time_days=7, currency="CAD"
    )
    purchase = purchasing.create_purchase_order(supplier_id=supplier.id, user=None)
    purchasing.add_line(po=purchase, sku=variant.sku, quantity=2, unit_cost=1000)
    db.session.commit()
    billed = purchasing.create_purchase_order(supplier_id=supplier.id, user=None)
    purchasing.add_line(po=billed, sku=variant.sku, quantity=1, unit_cost=1000)
    purchase_orders.send_purchase_order(po=billed, user=None)
    purchase_orders.receive_purchase_order(po=billed, quantities={billed.lines[0].id: 1}, user=None)
    bill = bills.enter_bill(
        po=billed,
        draft=bills.Draft("ACC-1", store_today(), goods=[bills.Goods(billed.lines[0].id, 1, 1000)]),
        user=None,
    )
    db.session.commit()
    agent = create_agent(name="Ria Referrer", email=None, code="RIA", rate=Decimal("0.05"))
    discount = Discount(code="RIA10", kind="percent", percent=Decimal(10), min_subtotal=0, uses=0)
    db.session.add(discount)
    db.session.flush()
    db.session.commit()
    rate = db.session.scalars(sa.select(ShippingRate).order_by(ShippingRate.id)).first()
    statement = bank_statement_of_one_line()
    region = db.session.scalar(sa.select(ZoneRegion).where(ZoneRegion.zone_id == rate.zone_id))

    def first(model):
        return db.session.scalar(sa.select(model.id).order_by(model.id).limit(1))

    authorised = ReturnRequest(
        number="RMA-2026-000001", order_id=order.id, status="authorised",
        lines=[ReturnLine(order_line_id=order.lines[0].id, quantity=1, reason="wrong_size")],
    )  # fmt: skip
    db.session.add(authorised)
    db.session.commit()
    forecast_one_variant(tax_class)
    return {
        "rma": authorised.number,
        "number": order.number,
        "invoice_number": invoice_for_order(order).number,
        "carrier_id": first(Carrier),
        "service_id": first(ShippingService),
        "zone_id": rate.zone_id,
        "region_id": region.id,
        "max_weight_g": rate.max_weight_g,
        "box_id": first(Box),
        "rate_id": first(TaxRate),
        "category_id": variant.product.category_id,
        "product_id": variant.product_id,
        "variant_id": variant.id,
        "supplier_id": supplier.id,
        "po_id": purchase.id,
        "po_number": purchase.number,
        "line_id": purchase.lines[0].id,
        "image_id": image.id,
        "user_id": staff[roles.WAREHOUSE].id,
        "shipment_number": shipment.number,
        "token": batch.token,
        "account_id": first(Account),
        "agent_id": agent.id,
        "discount_id": discount.id,
        "bill_id": bill.id,
        "statement_id": statement.id,
        "bank_line_id": statement.lines[0].id,
    }


def forecast_one_variant(tax_class) -> None:
    """A lantern sold every week for 12 weeks, its forecast stored: the reorder list shows
    it with its "Forecast" link."""
    lantern = VariantFactory(
        product=ProductFactory(name="Steady Lantern"), sku="LANTERN-1", price=2000, cost=800,
        tax_class=tax_class, stock=3, stock__reorder_point=0, stock__reorder_quantity=10,
    )  # fmt: skip
    sell_weekly(lantern, weeks=12, units=5)
    assert demand.refresh_forecasts(store_today()) == 1
    db.session.commit()


def bank_statement_of_one_line():
    """An imported statement with one line (a bank charge), for the bank pages."""
    from datetime import date

    from shop.banking.models import BankLine, BankStatement

    on = date(2026, 11, 30)
    statement = BankStatement(
        account_number="1234567", currency="CAD", file_format="ofx", date_from=on, date_to=on,
        opening_balance=0, closing_balance=-1500,
        lines=[BankLine(account_number="1234567", bank_ref="F1", booked_on=on, amount=-1500)],
    )  # fmt: skip
    db.session.add(statement)
    db.session.commit()
    return statement


def requests_for(app, rows):
    """(method, url, endpoint) for every back-office route, its ids filled in."""
    with app.test_request_context():
        for rule in backoffice_rules(app):
            values = {name: rows.get(name, 1) for name in rule.arguments}
            url = rule.build(values, append_unknown=False)[1]
            method = "GET" if "GET" in rule.methods else "POST"
            yield method, url, rule.endpoint


def test_every_backoffice_route_names_its_roles(app):
    assert backoffice_rules(app), "the back office has routes"
    assert unguarded_endpoints(app) == []


def test_the_roles_are_those_of_the_policy(app):
    with app.test_request_context():
        assert {r.endpoint for r in backoffice_rules(app)} == set(POLICY)
        for endpoint, expected in POLICY.items():
            assert set(allowed_roles(endpoint)) == expected, endpoint


def test_anonymous_visitors_are_sent_to_log_in(app, client, rows):
    for method, url, _ in requests_for(app, rows):
        response = client.open(url, method=method)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/account/login?next="), url


def test_a_customer_gets_403_everywhere_under_admin(app, client, rows, customer):
    log_in(client, customer.email)
    for method, url, _ in requests_for(app, rows):
        response = client.open(url, method=method)
        assert response.status_code == 403, url
        assert "Your account may not open this page." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", roles.STAFF)
def test_each_staff_role_gets_403_exactly_where_it_is_not_allowed(app, rows, staff, role):
    client = app.test_client()
    log_in(client, staff[role].email)
    for method, url, endpoint in requests_for(app, rows):
        response = client.open(url, method=method)
        if role in allowed_roles_of(app, endpoint):
            assert response.status_code != 403, url
            assert response.status_code < 500, url
            if method == "GET":
                assert response.status_code == 200, url
        else:
            assert response.status_code == 403, url


def admin_links(page: str) -> set[str]:
    """The addresses under /admin that a page links to (its menu, breadcrumbs, rows)."""
    return {href.split("?")[0].split("#")[0]
            for href in re.findall(r'<a [^>]*href="(/admin[^"]*)"', page)}  # fmt: skip


def endpoint_of(app, path: str) -> str:
    return app.url_map.bind("localhost").match(path, method="GET")[0]


@pytest.mark.parametrize("role", roles.STAFF)
def test_each_staff_role_is_shown_only_links_it_may_follow(app, rows, staff, role):
    client = app.test_client()
    log_in(client, staff[role].email)
    dead_ends = set()
    for method, url, endpoint in requests_for(app, rows):
        if method != "GET" or role not in allowed_roles_of(app, endpoint):
            continue
        response = client.get(url)
        if response.mimetype != "text/html":
            continue
        for link in admin_links(response.get_data(as_text=True)):
            if role not in allowed_roles_of(app, endpoint_of(app, link)):
                dead_ends.add((url, link))
    assert sorted(dead_ends) == []


def allowed_roles_of(app, endpoint):
    with app.test_request_context():
        return allowed_roles(endpoint)


def test_a_route_added_without_allow_is_found_and_refused_to_everyone(app, staff):
    app.add_url_rule("/admin/forgotten", endpoint="backoffice.forgotten", view_func=lambda: "x")
    assert unguarded_endpoints(app) == ["backoffice.forgotten"]
    client = app.test_client()
    log_in(client, staff[roles.OWNER].email)
    assert client.get("/admin/forgotten").status_code == 403


def test_the_menu_shows_each_role_only_what_it_may_open(app, staff):
    warehouse = app.test_client()
    log_in(warehouse, staff[roles.WAREHOUSE].email)
    page = warehouse.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/stock"' in page
    assert 'href="/admin/products"' in page
    assert 'href="/admin/staff"' not in page

    assert 'href="/admin/orders"' in page
    assert 'href="/admin/shipping"' not in page and 'href="/admin/tax"' not in page

    bookkeeper = app.test_client()
    log_in(bookkeeper, staff[roles.BOOKKEEPER].email)
    page = bookkeeper.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/orders"' in page and 'href="/admin/tax"' in page
    assert 'href="/admin/shipping"' not in page

    owner = app.test_client()
    log_in(owner, staff[roles.OWNER].email)
    page = owner.get("/admin/").get_data(as_text=True)
    for path in ("/admin/staff", "/admin/orders", "/admin/shipping", "/admin/tax"):
        assert f'href="{path}"' in page, path


def test_an_id_no_row_could_have_is_not_found(app, staff):
    client = app.test_client()
    log_in(client, staff[roles.OWNER].email)
    assert client.get("/admin/products/99999999999999999999").status_code == 404
    assert client.get("/admin/stock/0/movements").status_code == 404


def way_back(response) -> list[tuple[str, str]]:
    """The links the error page's own text offers: (label, address)."""
    section = re.search(
        r'<section class="error-page">(.*?)</section>', response.get_data(as_text=True), re.S
    )
    return [
        (label, href)
        for href, label in re.findall(r'<a href="([^"]+)">([^<]+)</a>', section.group(1))
    ]


def test_a_refusal_inside_the_back_office_leads_staff_back_to_it(app, staff, customer):
    sales = app.test_client()
    log_in(sales, staff[roles.SALES].email)
    refused = sales.get("/admin/reports/forecast")
    assert refused.status_code == 403
    assert way_back(refused)[0] == ("Back to the back office", "/admin/")
    assert sales.get("/admin/").status_code == 200  # where it leads opens

    warehouse = app.test_client()
    log_in(warehouse, staff[roles.WAREHOUSE].email)
    empty = warehouse.post("/admin/documents/packing-slips.pdf", data={})
    assert empty.status_code == 400 and "Nothing to print" in empty.get_data(as_text=True)
    assert way_back(empty)[0] == ("Back to the back office", "/admin/")

    # Outside the back office, for a guest, and for a customer inside it: the shop.
    assert way_back(app.test_client().get("/no-such-page")) == [("Back to the shop", "/")]
    assert way_back(sales.get("/no-such-page")) == [("Back to the shop", "/")]
    shopper = app.test_client()
    log_in(shopper, customer.email)
    assert way_back(shopper.get("/admin/")) == [("Back to the shop", "/")]
