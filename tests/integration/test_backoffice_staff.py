"""The owner creates staff accounts with roles, changes them and disables them."""

import pytest
import sqlalchemy as sa

from shop.accounts import roles
from shop.accounts.models import User
from shop.accounts.passwords import MIN_LENGTH
from shop.extensions import db
from tests.conftest import log_in
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of

NEW_PASSWORD = "a long initial password"


@pytest.fixture
def owner(app, client, staff):
    log_in(client, staff[roles.OWNER].email)
    return staff[roles.OWNER]


def user_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(User.id)))


def create(client, **overrides):
    data = {
        "name": "Walt Warehouse",
        "email": "walt@example.com",
        "role": roles.WAREHOUSE,
        "password": NEW_PASSWORD,
    }
    data.update(overrides)
    return client.post("/admin/staff/new", data=data)


def test_the_owner_creates_a_warehouse_account_that_reaches_stock_but_not_staff(
    app, client, owner, tax_class
):
    response = create(client)
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "Account for Walt Warehouse (walt@example.com) created." in flashes(page)
    assert "<td>Walt Warehouse</td>" in page and "<td>Warehouse</td>" in page

    walt = db.session.scalar(sa.select(User).where(User.email == "walt@example.com"))
    assert (walt.name, walt.role, walt.is_enabled) == ("Walt Warehouse", roles.WAREHOUSE, True)

    walts_browser = app.test_client()
    response = log_in(walts_browser, "walt@example.com", NEW_PASSWORD)
    assert response.headers["Location"] == "/admin/"
    stock = walts_browser.get("/admin/stock")
    assert stock.status_code == 200 and "<h1>Stock</h1>" in text_of(stock)
    assert walts_browser.get("/admin/staff").status_code == 403
    assert walts_browser.get("/admin/staff/new").status_code == 403


def test_a_duplicate_email_is_refused_beside_the_field(client, owner, customer):
    assert create(client).status_code == 302
    before = user_count()
    response = create(client, email="  WALT@Example.com ")
    assert response.status_code == 422
    page = text_of(response)
    assert errors_beside(page, "email") == ["An account with this email already exists."]
    assert 'value="Walt Warehouse"' in page  # what was typed is kept
    assert user_count() == before
    # A customer's email cannot become a staff account either.
    response = create(client, email=customer.email)
    assert errors_beside(text_of(response), "email") == [
        "An account with this email already exists."
    ]
    assert user_count() == before


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("email", "not-an-email", "Enter a valid email address."),
        ("name", "N" * 121, "Use at most 120 characters."),
        (
            "password",
            "short",
            f"Use at least {MIN_LENGTH} characters: a few words you will remember work well.",
        ),
        ("role", roles.CUSTOMER, "Choose a staff role from the list."),
        ("role", "superuser", "Choose a staff role from the list."),
    ],
)
def test_bad_staff_input_is_refused(client, owner, field, value, message):
    before = user_count()
    response = create(client, **{field: value})
    assert response.status_code == 422
    assert errors_beside(text_of(response), field) == [message]
    assert user_count() == before


def test_the_owner_changes_a_role_and_disables_an_account(app, client, owner, staff):
    sam = staff[roles.SALES]
    sams_browser = app.test_client()
    log_in(sams_browser, sam.email)
    assert sams_browser.get("/admin/products").status_code == 200

    response = client.post(
        f"/admin/staff/{sam.id}",
        data={"name": "Sam Sales", "role": roles.BOOKKEEPER, "is_enabled": "y"},
        follow_redirects=True,
    )
    page = text_of(response)
    assert "Account of Sam Sales saved." in flashes(page)
    assert "<td>Sam Sales</td>" in page and "<td>Bookkeeper</td>" in page
    db.session.refresh(sam)
    assert (sam.name, sam.role, sam.is_enabled) == ("Sam Sales", roles.BOOKKEEPER, True)
    # The role change ended Sam's session: the old cookie leads to the login page.
    assert sams_browser.get("/admin/stock").status_code == 302

    client.post(f"/admin/staff/{sam.id}", data={"name": "Sam Sales", "role": roles.BOOKKEEPER})
    db.session.refresh(sam)
    assert sam.is_enabled is False
    assert "Disabled" in text_of(client.get("/admin/staff"))
    page = text_of(log_in(app.test_client(), sam.email))
    assert "This account is disabled." in page


def test_the_owner_cannot_demote_or_disable_themselves(client, owner):
    response = client.post(
        f"/admin/staff/{owner.id}",
        data={"name": owner.name, "role": roles.SALES, "is_enabled": "y"},
    )
    assert response.status_code == 422
    assert errors_beside(text_of(response), "role") == [
        "You cannot demote or disable your own account."
    ]
    db.session.refresh(owner)
    assert (owner.role, owner.is_enabled) == (roles.OWNER, True)


def test_customers_and_unknown_ids_are_not_staff_accounts(client, owner, customer):
    assert client.get(f"/admin/staff/{customer.id}").status_code == 404
    response = client.post(
        f"/admin/staff/{customer.id}", data={"name": "X", "role": roles.OWNER, "is_enabled": "y"}
    )
    assert response.status_code == 404
    db.session.refresh(customer)
    assert customer.role == roles.CUSTOMER
    assert client.get("/admin/staff/4242").status_code == 404
    assert "carla@example.com" not in text_of(client.get("/admin/staff"))
