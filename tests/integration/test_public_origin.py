"""Every link that leaves the store is built from its public address (BASE_URL), never
from the Host header of the request that caused it; a request for a host the store
does not serve is refused.

The store here answers to a second host, OTHER, as it would if an attacker's Host
header got past the host check: each kind of email is caused by a request sent to
OTHER (or by a cron command, which has no request) and must still point at PUBLIC.
"""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop import PROJECT_ROOT, create_app
from shop.accounts import roles
from shop.configuration.loading import ConfigurationError
from shop.db import utcnow
from shop.extensions import db
from shop.fulfilment.models import Shipment
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order
from shop.purchasing import services as purchasing
from shop.purchasing.models import PurchaseOrder
from tests.conftest import log_in
from tests.factories.store import ridge_tent
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.purchasing_helpers import backordered_item, mails, sent_po
from tests.integration.test_fulfilment import confirm, start

PUBLIC = "https://shop.example.com/store"
OTHER = "evil.example"
LINK = re.compile(r"""https?://[^\s"'<>]+""")


@pytest.fixture
def app_config():
    return {"BASE_URL": PUBLIC, "TRUSTED_HOSTS": [OTHER]}


def client_at(app, host: str, staff_user=None):
    """A browser that sends every request with Host: host (logged in as staff_user)."""
    client = app.test_client()
    client.base_url = f"http://{host}"
    if staff_user is not None:
        assert log_in(client, staff_user.email).status_code == 302
    return client


def links_in(message: OutboxMessage) -> list[str]:
    return LINK.findall(message.body_text) + LINK.findall(message.body_html)


def assert_only_public_links(
    message: OutboxMessage, *, has_links: bool = True, outside: tuple[str, ...] = ()
) -> list[str]:
    """No trace of OTHER anywhere in the email; every link starts at PUBLIC, but for
    the `outside` pages named (a carrier's tracking page)."""
    whole = message.to_address + message.subject + message.body_text + message.body_html
    assert OTHER not in whole
    links = [link for link in links_in(message) if link not in outside]
    assert all(link.startswith(PUBLIC + "/") for link in links), links
    assert bool(links) == has_links, links
    return links


def path_of(link: str) -> str:
    """The part of a PUBLIC link a test client asks for (the prefix is its script root)."""
    return link.removeprefix(PUBLIC).replace("&amp;", "&")


@pytest.fixture
def classes(app):
    return seed_reference_data()


@pytest.fixture
def tent(classes):
    return ridge_tent(classes)


def test_the_reset_link_points_at_the_public_address(app, client, customer):
    response = client_at(app, OTHER).post(
        "/account/forgot-password", data={"email": customer.email}
    )
    assert response.status_code == 302
    [message] = mails("password_reset")
    [link, same] = assert_only_public_links(message)
    assert link == same and link.startswith(f"{PUBLIC}/account/reset-password/")
    assert "Choose a new password" in client.get(path_of(link)).get_data(as_text=True)


def test_the_order_confirmation_links_to_the_public_address(app, client, tent):
    order = buy(app, [(tent, 1)], client=client_at(app, OTHER))
    [message] = mails("order_confirmation")
    link = f"{PUBLIC}/orders/{order.number}?t={order.access_token}"
    assert set(assert_only_public_links(message)) == {link}
    assert order.number in client.get(path_of(link)).get_data(as_text=True)


def test_the_shipment_email_links_to_the_public_address(app, staff, tent):
    order = buy(app, [(tent, 1)])
    warehouse = client_at(app, OTHER, staff[roles.WAREHOUSE])
    assert confirm(warehouse, start(warehouse, order)).status_code == 302
    [message] = mails("shipment_shipped")
    tracking = db.session.scalar(sa.select(Shipment.tracking_number))
    carrier_page = f"https://www.canadapost-postescanada.ca/track-reperez/en#/details/{tracking}"
    assert links_in(message).count(carrier_page) == 2  # the text and the HTML
    links = assert_only_public_links(message, outside=(carrier_page,))
    assert all(order.access_token in link for link in links)


def test_backorder_emails_from_receiving_link_to_the_public_address(app, staff, classes):
    stove = backordered_item(classes)
    order = buy(app, [(stove, 1)])
    po = sent_po(stove, 1)
    receiver = client_at(app, OTHER, staff[roles.WAREHOUSE])
    line = db.session.get(PurchaseOrder, po.id).lines[0]
    response = receiver.post(
        f"/admin/purchase-orders/{po.id}/receive", data={f"line_{line.id}": "1"}
    )
    assert response.status_code == 302
    [message] = mails("backorder_allocated")
    assert message.to_address == order.email
    assert_only_public_links(message)


def test_the_purchase_order_email_carries_no_foreign_host(app, staff, classes):
    stove = backordered_item(classes)
    po = purchasing.create_purchase_order(supplier_id=stove.stock.supplier_id, user=None)
    purchasing.add_line(po=po, sku=stove.sku, quantity=4, unit_cost=1500)
    db.session.commit()
    buyer = client_at(app, OTHER, staff[roles.OWNER])
    assert buyer.post(f"/admin/purchase-orders/{po.id}/send").status_code == 302
    [message] = mails("purchase_order")
    assert_only_public_links(message, has_links=False)


def test_the_cron_commands_email_links_to_the_public_address(app, runner, staff, classes):
    stove = backordered_item(classes, on_hand=1)
    stove.stock.reorder_point = 5
    slow = buy(app, [(stove, 1)], email="slow@example.com", card=None)  # holds the stove
    keen = buy(app, [(stove, 1)], email="keen@example.com")  # paid, waits for it
    buy(app, [(stove, 2)], email="last@example.com")  # paid, waits on
    db.session.get(Order, slow.id).expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    commands = [["orders", "expire"], ["backorders", "allocate"], ["backorders", "report"],
                ["reorder", "report"]]  # fmt: skip
    for command in commands:
        result = runner.invoke(args=command)
        assert result.exit_code == 0, (command, result.output)
    [allocated] = mails("backorder_allocated")
    assert allocated.to_address == keen.email
    assert all(keen.access_token in link for link in assert_only_public_links(allocated))
    for kind in ("backorder_report", "reorder_report"):
        sent = mails(kind)
        assert sorted(m.to_address for m in sent) == ["owner@shop.test", "warehouse@shop.test"]
        for message in sent:
            links = assert_only_public_links(message)
            assert all(link.startswith(f"{PUBLIC}/admin/") for link in links)


def test_stripe_returns_the_customer_to_the_public_address(app, stripe_fake, tent):
    app.config.update(
        STRIPE_SECRET_KEY="sk_test_fake", STRIPE_API_BASE=stripe_fake.url,
        STRIPE_MAX_NETWORK_RETRIES=0,
    )  # fmt: skip
    buy(app, [(tent, 1)], client=client_at(app, OTHER), card=None)
    order = db.session.scalar(sa.select(Order))
    [created] = stripe_fake.created()
    success, cancel = created.params["success_url"], created.params["cancel_url"]
    assert success == f"{PUBLIC}/orders/{order.number}?t={order.access_token}"
    assert cancel == f"{PUBLIC}/checkout/pay/{order.number}"


def test_no_email_or_code_builds_an_outside_link_from_the_request():
    """Emails added later must use public_url too: url_for(..., _external=True) takes the
    request's Host, and crashes in a cron job."""
    emails = sorted((PROJECT_ROOT / "templates" / "email").glob("*.*"))
    assert emails and not [p.name for p in emails if "url_for(" in p.read_text()]
    code = [*PROJECT_ROOT.glob("shop/**/*.py"), *PROJECT_ROOT.glob("backoffice/**/*.py")]
    code += PROJECT_ROOT.glob("templates/**/*.html")
    found = [str(p) for p in code if re.search(r"\b_external|url_root|host_url", p.read_text())]
    assert found == []


# --- hosts the store does not serve ---------------------------------------------------


@pytest.mark.parametrize("app_config", [{"BASE_URL": PUBLIC, "WTF_CSRF_ENABLED": True}])
def test_a_request_for_another_host_is_refused_and_changes_nothing(app, client, customer):
    # CSRF is on, as in production: the host is refused before the form is even read.
    response = client_at(app, OTHER).post(
        "/account/forgot-password", data={"email": customer.email}
    )
    assert response.status_code == 400
    assert "Bad request" in response.get_data(as_text=True)
    assert mails("password_reset") == []
    # Refused before any other check of the request looks at it and builds a page.
    assert client_at(app, OTHER).get("/search?q=a%00b").status_code == 400
    # The public host and its port still work.
    assert client.get("/").status_code == 200
    assert client_at(app, "shop.example.com:443").get("/").status_code == 200


@pytest.mark.parametrize(
    "app_config", [{"BASE_URL": PUBLIC, "TRUSTED_HOSTS": "www.example.com, .shop.example.net"}]
)
def test_more_hosts_may_be_trusted_from_a_comma_separated_list(app):
    for host in ("shop.example.com", "www.example.com", "eu.shop.example.net"):
        assert client_at(app, host).get("/").status_code == 200, host
    for host in (OTHER, "example.com", "localhost"):
        assert client_at(app, host).get("/").status_code == 400, host


def test_development_also_answers_on_localhost(monkeypatch, tmp_path):
    monkeypatch.setenv("STORE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("STORE_ENV", raising=False)
    monkeypatch.delenv("STORE_BASE_URL", raising=False)
    app = create_app()
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"
    assert {"127.0.0.1", "localhost"} <= set(app.config["TRUSTED_HOSTS"])


def production_env(monkeypatch, tmp_path, **values):
    """The environment of a production install (instance in tmp_path), plus `values`."""
    monkeypatch.setenv("STORE_ENV", "production")
    monkeypatch.setenv("STORE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.delenv("STORE_BASE_URL", raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_production_refuses_to_start_without_a_public_address(monkeypatch, tmp_path):
    production_env(monkeypatch, tmp_path)
    with pytest.raises(ConfigurationError, match="STORE_BASE_URL must be set"):
        create_app()


@pytest.mark.parametrize(
    "value", ["shop.example.com", "ftp://shop.example.com", "https://", "https://a.example/?x=1"]
)
def test_a_public_address_that_is_not_a_web_address_is_refused(monkeypatch, tmp_path, value):
    production_env(monkeypatch, tmp_path, STORE_BASE_URL=value)
    with pytest.raises(ConfigurationError, match="STORE_BASE_URL"):
        create_app()


def test_production_serves_only_its_public_host(monkeypatch, tmp_path):
    production_env(monkeypatch, tmp_path, STORE_BASE_URL="https://Shop.Example.com/")
    app = create_app()
    assert app.config["BASE_URL"] == "https://Shop.Example.com"
    assert app.config["TRUSTED_HOSTS"] == ["shop.example.com"]
