"""Security headers on every kind of response: pages, documents, errors, redirects, files.

Every response carries a Content-Security-Policy that lets no inline script run and
no page be framed, nosniff and a referrer policy; pages and files that belong to a
signed-in person, the back office and exports are never stored by a cache; HSTS is
sent by the production configuration only.
"""

import re

import pytest

from shop import create_app
from shop.accounts import roles
from tests.conftest import PASSWORD, log_in
from tests.factories import ProductFactory, UserFactory, VariantFactory
from tests.integration.test_public_origin import production_env

ONE_YEAR = 365 * 24 * 3600


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request.path}"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_secure_headers(response) -> None:
    """What every response must carry, whatever its kind."""
    csp = policy(response)
    scripts = csp.get("script-src", csp["default-src"])
    assert scripts == ["'self'"]  # no inline script, no eval: only our own files
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    for directive in ("default-src", "script-src", "style-src", "img-src", "connect-src"):
        # nothing on a page is loaded from the internet
        assert not any("//" in s or s == "*" for s in csp.get(directive, [])), directive
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # not outside production


def assert_not_stored(response) -> None:
    assert "no-store" in response.headers.get("Cache-Control", ""), response.request.path


@pytest.fixture
def tent(app):
    return VariantFactory(product=ProductFactory(name="Ridge Tent", slug="ridge-tent"), stock=3)


def test_storefront_pages_carry_the_headers_and_may_be_cached_for_visitors(client, tent):
    for path in ("/", "/p/ridge-tent", "/search?q=tent"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_secure_headers(response)
        assert "no-store" not in response.headers.get("Cache-Control", ""), path


def test_every_page_of_a_signed_in_customer_is_not_stored(client, customer, tent):
    log_in(client, customer.email)
    for path in ("/", "/p/ridge-tent", "/account/", "/cart/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_secure_headers(response)
        assert_not_stored(response)


def test_account_pages_are_not_stored_even_before_login(client):
    for path in ("/account/login", "/account/forgot-password"):
        response = client.get(path)
        assert_secure_headers(response)
        assert_not_stored(response)


def test_the_second_step_of_signing_in_is_not_stored(client, staff):
    """Between the password and the code nobody is signed in yet, but the pages are
    theirs: the setup page shows the new authenticator's secret, then the code step."""
    new_owner = UserFactory(role=roles.OWNER, email="new-owner@shop.test", totp=False)
    pages = {}
    for email in (new_owner.email, staff[roles.OWNER].email):
        client.post("/account/logout")
        step = client.post("/account/login", data={"email": email, "password": PASSWORD})
        pages[step.headers["Location"]] = client.get(step.headers["Location"])
    assert list(pages) == ["/account/login/enrol", "/account/login/code"]
    assert "totp-secret" in pages["/account/login/enrol"].get_data(as_text=True)
    for response in pages.values():
        assert response.status_code == 200
        assert_secure_headers(response)
        assert_not_stored(response)


def test_back_office_pages_pdfs_and_csvs_carry_the_headers_and_are_not_stored(client, staff):
    log_in(client, staff["owner"].email)
    for path, mimetype in (
        ("/admin/", "text/html"),
        ("/admin/documents/pick-list.pdf", "application/pdf"),
        ("/admin/backorders.csv", "text/csv"),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == mimetype
        assert_secure_headers(response)
        assert_not_stored(response)


def test_a_pdf_may_be_shown_by_the_browsers_viewer(client, staff):
    """Chromium shows a PDF as an embedded object of its own URL: object-src must allow it."""
    log_in(client, staff["owner"].email)
    response = client.get("/admin/documents/pick-list.pdf")
    assert policy(response)["object-src"] == ["'self'"]
    assert policy(client.get("/admin/"))["object-src"] == ["'none'"]


def test_not_found_and_redirects_carry_the_headers(client):
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert_secure_headers(missing)
    redirect = client.get("/admin/")  # a visitor is sent to the login page
    assert redirect.status_code == 302
    assert_secure_headers(redirect)


def test_server_error_page_carries_the_headers(app, client, customer):
    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/test-raises", "test_raises", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # let the 500 page answer, as in production
    response = client.get("/test-raises")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert_secure_headers(response)
    log_in(client, customer.email)
    assert_not_stored(client.get("/test-raises"))


def test_static_files_carry_the_headers(client):
    response = client.get("/static/shop/store.css")
    assert response.status_code == 200
    assert_secure_headers(response)
    response.close()


def nonce_of(response) -> str:
    [nonce] = [s for s in policy(response)["style-src"] if s.startswith("'nonce-")]
    return nonce.removeprefix("'nonce-").removesuffix("'")


def test_each_response_gets_a_fresh_style_nonce(client):
    assert nonce_of(client.get("/")) != nonce_of(client.get("/"))


def test_charts_hold_no_script_and_their_styles_carry_the_pages_nonce(client, staff):
    log_in(client, staff["owner"].email)
    response = client.get("/admin/")
    page = response.get_data(as_text=True)
    assert "<svg" in page  # the dashboard draws its charts
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    styles = re.findall(r"<style\b[^>]*>", page)
    assert styles and all(f'nonce="{nonce_of(response)}"' in tag for tag in styles), styles
    assert " style=" not in page  # no style attributes either: style-src has no unsafe-inline


@pytest.fixture
def production_app(monkeypatch, tmp_path):
    """The app exactly as `STORE_ENV=production` builds it from the environment."""
    production_env(
        monkeypatch,
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'store.db'}",
        STORE_BASE_URL="https://shop.example",
    )
    return create_app()


def test_hsts_only_in_production(production_app, client):
    response = production_app.test_client().get(
        "/static/shop/store.css", base_url="https://shop.example"
    )
    hsts = response.headers["Strict-Transport-Security"]
    assert re.fullmatch(rf"max-age={ONE_YEAR}", hsts), hsts
    response.close()
    testing = client.get("/static/shop/store.css", base_url="https://shop.test")
    assert "Strict-Transport-Security" not in testing.headers
    testing.close()
