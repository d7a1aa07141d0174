"""Browser tests: the real app served over HTTP, driven by headless Chromium.

Every test gets its own app, SQLite file and port (tmp_path and port 0), so
pytest-xdist workers never meet. The forms keep CSRF on, as in production.
Playwright and the browser live for the whole session of a worker; each test
gets a fresh browser context (cookies, storage) and page.
"""

import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from shop import create_app
from shop.extensions import db
from tests import factories
from tests.conftest import COMPILED_TEMPLATES, IsolatedClient
from tests.templates import TEMPLATES

CHROMIUM = Path("/usr/bin/chromium")
SKIP_REASON = f"Chromium not found at {CHROMIUM}; install Debian's chromium package"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
HERE = Path(__file__).parent

SUPPLIER_LEAD_DAYS = 10


@dataclass(frozen=True)
class Catalogue:
    """What the seeded shop holds, for tests to name."""

    tent_slug: str = "ridgeline-tent"
    stool_slug: str = "folding-camp-stool"
    stool_sku: str = "STOOL-01"
    customer_email: str = "carla@example.com"
    customer_name: str = "Carla Customer"


CATALOGUE = Catalogue()
# The product page's button: "Pre-order" when nothing of the variant ships now.
ADD_BUTTON = re.compile(r"^(Add to cart|Pre-order)$")


def add_to_cart(page, variant: str) -> None:
    """Put one of the tent's variants in the cart from its product page."""
    from playwright.sync_api import expect

    page.goto(f"/p/{CATALOGUE.tent_slug}")
    page.get_by_role("link", name=variant).click()
    expect(page.get_by_role("link", name=variant)).to_have_attribute("aria-current", "true")
    page.get_by_role("button", name=ADD_BUTTON).click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()


def type_address_and_update(page, email: str | None = None) -> None:
    """On the checkout page: the test address typed in (another email if given), then
    "Update prices"."""
    from tests.integration.checkout_helpers import ADDRESS

    page.get_by_label("Email for your receipt").fill(email or ADDRESS["email"])
    page.get_by_label("Full name").fill(ADDRESS["full_name"])
    page.get_by_label("Address", exact=True).fill(ADDRESS["line1"])
    page.get_by_label("City").fill(ADDRESS["city"])
    page.get_by_label("Province").select_option("ON")
    page.get_by_label("Postal code").fill(ADDRESS["postal_code"])
    page.get_by_role("button", name="Update prices").click()


def pytest_collection_modifyitems(config, items):
    """Mark every test in this folder `browser`; skip them, saying why, without Chromium."""
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if HERE not in Path(item.fspath).parents:
            continue
        item.add_marker(pytest.mark.browser)
        if not CHROMIUM.exists():
            item.add_marker(skip)


def seed_catalogue() -> None:
    """Outdoor > Tents, a tent with variants in, low and out of stock, a stool, a mug."""
    factories.TaxClassFactory(code="standard", name="Standard")
    supplier = factories.SupplierFactory(name="North Canvas Co.", lead_time_days=SUPPLIER_LEAD_DAYS)
    outdoor = factories.CategoryFactory(name="Outdoor", slug="outdoor", position=1)
    tents = factories.CategoryFactory(name="Tents", slug="tents", parent=outdoor)
    kitchen = factories.CategoryFactory(name="Kitchen", slug="kitchen", position=2)

    tent = factories.ProductFactory(
        name="Ridgeline Tent",
        slug=CATALOGUE.tent_slug,
        category=tents,
        option1_name="Size",
        option2_name="Colour",
        description="A light three-season tent with two doors.",
    )
    factories.VariantFactory(
        product=tent, sku="TENT-2P-GRN", option1="2-person", option2="Green", price=34900, stock=20
    )
    factories.VariantFactory(
        product=tent, sku="TENT-2P-ORG", option1="2-person", option2="Orange", price=35900, stock=3
    )
    factories.VariantFactory(
        product=tent,
        sku="TENT-3P-GRN",
        option1="3-person",
        option2="Green",
        price=42900,
        stock=0,
        stock__supplier=supplier,
    )

    stool = factories.ProductFactory(
        name="Folding Camp Stool", slug=CATALOGUE.stool_slug, category=outdoor
    )
    factories.VariantFactory(product=stool, sku=CATALOGUE.stool_sku, price=2999, stock=4)

    mug = factories.ProductFactory(name="Enamel Mug", slug="enamel-mug", category=kitchen)
    factories.VariantFactory(product=mug, sku="MUG-01", price=1500, stock=30)

    factories.UserFactory(email=CATALOGUE.customer_email, name=CATALOGUE.customer_name)


def serve_app(tmp_path, seed, template: str | None = None):
    """An app on its own SQLite file, tables created and `seed()` run in it; closed after.

    With a template name, `seed()` runs once per worker into a file of that name, and
    each test gets a copy of the file and of its instance folder (the demo's images):
    seeding the demo store takes seconds, copying it milliseconds.
    """
    if template is None:
        shutil.copyfile(TEMPLATES.empty_sqlite(), tmp_path / "browser.db")
    else:
        copy_seeded(template, seed, tmp_path)
    app = browser_app(tmp_path)
    if template is None:
        with app.app_context():
            seed()
            db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def browser_app(folder: Path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'browser.db'}",
            "INSTANCE_PATH": str(folder / "instance"),
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False,
        }
    )
    app.test_client_class = IsolatedClient  # for steps taken without the browser
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    return app


def copy_seeded(template: str, seed, tmp_path: Path) -> None:
    """Copy the store `seed()` makes into tmp_path, seeding it first if this worker has not."""
    folder = TEMPLATES.folder / f"browser-{template}"
    if not folder.exists():
        # Seeded beside, then renamed: a seed that fails leaves no half-made store behind
        # for the worker's next test to take as ready.
        making = folder.with_name(folder.name + "-making")
        shutil.rmtree(making, ignore_errors=True)
        making.mkdir()
        shutil.copyfile(TEMPLATES.empty_sqlite(), making / "browser.db")
        app = browser_app(making)
        with app.app_context():
            seed()
            db.session.remove()
            db.engine.dispose()
        making.rename(folder)
    shutil.copyfile(folder / "browser.db", tmp_path / "browser.db")
    shutil.copytree(folder / "instance", tmp_path / "instance", dirs_exist_ok=True)


@pytest.fixture
def live_app(tmp_path):
    """The app on its own SQLite file, tables created and the catalogue seeded."""
    yield from serve_app(tmp_path, seed_catalogue, template="catalogue")


@pytest.fixture
def live_server(live_app):
    """The base URL of live_app served by Werkzeug on a free port of 127.0.0.1."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    live_app.config["BASE_URL"] = url  # its public address: the links in its emails
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    yield page
    page.close()


@pytest.fixture
def shot(request):
    """shot(page, "step") saves screenshots/<test name>-<step>.png (full page)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    test_name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")

    def take(page, step: str) -> Path:
        path = SCREENSHOTS / f"{test_name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
