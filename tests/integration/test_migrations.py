"""`flask db upgrade` builds exactly the schema the models describe, on both databases."""

import hashlib
from datetime import date

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from shop import PROJECT_ROOT
from shop.accounts.models import User
from shop.catalogue.models import Product
from shop.catalogue.search_index import is_index_table
from shop.extensions import db
from shop.inventory import valuation
from shop.orders.models import Order
from tests import factories, snapshots
from tests.conftest import ensure_schema, make_app, pg_url_for_worker

MIGRATIONS = PROJECT_ROOT / "migrations"


def snapshot_files():
    return sorted(snapshots.FOLDER.glob("*.json.gz"))


# SQLite cannot reflect the expression index on lower(email) (the migration writes it by
# hand for the reports' customer queries); that is all these warnings say.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning",
    "ignore:autogenerate skipping metadata-specified expression-based index:UserWarning",
)


@pytest.fixture
def empty_app(database, tmp_path, pg_state, worker_name):
    if database == "sqlite":
        app = make_app(database, tmp_path, pg_state)
    else:
        schema = f"{worker_name}_migrations"
        url = pg_url_for_worker(schema)
        ensure_schema(url, schema)  # dropped and made anew: empty
        app = make_app(database, tmp_path, pg_state, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def include_name(name, type_, parent_names) -> bool:
    return not (type_ == "table" and is_index_table(name))


def schema_differences() -> list:
    with db.engine.connect() as conn:
        # the search index's tables are the database's own (FTS5, triggers), not models'
        opts = {"compare_type": True, "include_name": include_name}
        context = MigrationContext.configure(conn, opts=opts)
        return compare_metadata(context, db.metadata)


def test_migrations_build_the_models_schema(empty_app):
    upgrade()
    assert schema_differences() == []


def test_migrations_go_down_and_up_again(empty_app):
    upgrade()
    downgrade(revision="base")
    tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade()
    assert schema_differences() == []


# Released revisions, by the sha256 of their file. A released migration is never
# rewritten: a shop that ran it has that schema, and only new revisions can change it.
RELEASED = {
    "f242387da8fa_initial_schema.py": (
        "0872e52161a1975914204b5ea137b1a2b5967197704c4884ad1cc4704251fe6c"
    ),
    "i10_auth_account_throttles.py": (
        "c82ea8cdc6b86cc06a9bac33d79aa85d5820125119275d28e48a79965ce11325"
    ),
    "i10_checkout_state.py": ("4f389badff29d9fc96c237d4242b8f001abbaa2e7e3b398dbe75ea99d1c2956d"),
    "i11_bank.py": ("ce9c6bb145e8472ebbdb2285230961888f78637a0074a57250ec1011381f0c81"),
    "i11_bills_supplier_bills.py": (
        "7db23d2e10e6bceda08e500c44b05611f19062fe19f5d0242f94a214e6e94f5b"
    ),
    "i11_chart_accounts.py": ("e02c53aab5197a02061ed70642459a1fd262e94ef62b3484aaaf92514c24de5f"),
    "i11_periods.py": ("b3a23bcf24e28a427f11246f90a43cc7f8fb218c6276430a7906f4b49e701ed7"),
    "i11_receipts_to_grni.py": ("e5b0795600e5569f74f4d2b432c809a01d7f7f74ca19e72a5b0d3a1a7d1d5ab0"),
    "i11_tax_classes.py": ("33ce3f81d7ff2e89137c5cdddca851ff17222457ca78d9a9bf247fe50b6fb403"),
    "i11_valuation.py": ("e9df00980ec0466f1afbb2da21c01b7298b3832307d15ef83d9d89beb489ec0d"),
    "i12_after_sale.py": ("a7f47a4628a7b1d975b577e15d1341d35c8b44fc76a3d49bad0d504671a777b4"),
    "i12_stripe_refunds.py": ("a7cfb33e4f8cbc06ec40e4e266dbcf95968631bdcf5f2f67470b63f094ac8fa4"),
    "i13_document_batches.py": ("9700b6294f145974533f19cc91e8643b878b5ffbd7b0455a26e82dafec0d5afd"),
    "i13_jobs.py": ("d313a905347c9b6e9694319d4ff4a690e0de53625097185c4db99832ee20beda"),
    "i14_event_kinds.py": ("9da718747207b0c81e4a949a86bf9c875ab3b3f57aef7998b6fcc3da4bfe8ab3"),
    "i15_discounts.py": ("20110809d73daae6d6fbac93a31d48f16917aeb2b70319b559bc5ad719a8c5e9"),
    "i15_page_versions.py": ("7753b7ce003031057f37f42dafa1dc8af9eecfc1029920ccdafa8a5b4be1f8b9"),
    "i15_search.py": ("322e377a95b96313441e2bd7f572fea816751c5bc9bf0a7ad4e338331a473f17"),
    "totp_second_factor.py": ("f3d11f35163d78898758c473606ee88d30a5be4bb886894fde26f74e6e0f8dba"),
}


@pytest.mark.parametrize("filename", sorted(RELEASED))
def test_a_released_migration_is_never_rewritten(filename):
    text = (MIGRATIONS / "versions" / filename).read_bytes()
    assert hashlib.sha256(text).hexdigest() == RELEASED[filename], (
        f"{filename} was released and must not change; write a new revision instead"
    )


def test_the_migrations_have_one_head():
    scripts = ScriptDirectory(str(MIGRATIONS))
    assert len(scripts.get_heads()) == 1, scripts.get_heads()


# Rows a data migration adds to a store that was already running: the chart's new
# accounts of issue 11 (migration i11_chart); the entry that brings the inventory
# account to the stock's value at cost (i11_valuation); the printed books and children's
# clothing classes with their 13 + 15 Canadian rates (i11_tax_classes).
ROWS_ADDED_BY_MIGRATIONS = {  # i11_chart adds 11 accounts, i15_discounts Sales discounts
    "accounts": 12, "journal_entries": 1, "journal_lines": 2, "tax_classes": 2, "tax_rates": 28,
}  # fmt: skip


@pytest.mark.parametrize("revision", [p.name.split(".")[0] for p in snapshot_files()])
def test_a_store_at_a_released_revision_upgrades_with_its_data(empty_app, revision):
    upgrade(revision=revision)
    rows = snapshots.load(db.engine, revision)

    upgrade()

    assert schema_differences() == []
    with db.engine.connect() as conn:
        for table, count in rows.items():
            expected = count + ROWS_ADDED_BY_MIGRATIONS.get(table, 0)
            assert conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar() == expected
    assert valuation.stock_value_total() > 0
    assert valuation.inventory_difference() == 0  # the books start agreeing with the stock
    _the_store_still_works(empty_app)


def test_the_tax_classes_migration_moves_the_demo_books_and_keeps_old_invoices(empty_app):
    revision = snapshot_files()[0].name.split(".")[0]
    upgrade(revision=revision)
    snapshots.load(db.engine, revision)
    upgrade()
    with db.engine.connect() as conn:
        classes = dict(conn.execute(sa.text("SELECT sku, c.code FROM variants v JOIN tax_classes c"
                                            " ON c.id = v.tax_class_id")).all())  # fmt: skip
        lines = conn.execute(sa.text(
            "SELECT l.tax_class_name, l.tax_rate, (SELECT SUM(t.rate) FROM invoice_taxes t"
            " WHERE t.invoice_id = l.invoice_id) FROM invoice_lines l"
        )).all()  # fmt: skip
    assert classes["BK-MUSH"] == "printed-books" and classes["BK-CCK"] == "printed-books"
    assert classes["KJ-PUD-2T-RED"] == "childrens-clothing"
    assert classes["KT-GLW-4-NAVY"] == "childrens-clothing"
    assert {c for sku, c in classes.items() if not sku.startswith(("BK-", "KT-", "KJ-"))} == {
        "standard",
        "zero-rated",
    }
    # the lines of invoices issued before keep what they paid: the invoice's rates, or 0
    assert lines and all(
        rate == (0 if name.startswith("Zero-rated") else summed) for name, rate, summed in lines
    )


def _the_store_still_works(app):
    """The upgraded store serves its catalogue and its old orders, and takes new ones."""
    order = db.session.scalars(sa.select(Order).order_by(Order.id.desc())).first()
    product = db.session.scalars(sa.select(Product).where(Product.is_active)).first()
    client = app.test_client()
    page = client.get(f"/orders/{order.number}?t={order.access_token}")
    assert page.status_code == 200 and order.number in page.text
    assert product.name in client.get("/search?q=" + product.name.split()[0]).text
    # New rows get ids after the old ones (PostgreSQL sequences moved past the data).
    user = factories.UserFactory(email="after-upgrade@example.com")
    db.session.commit()
    assert user.id > db.session.scalar(sa.select(sa.func.min(User.id)))


def test_receipts_posted_to_accounts_payable_before_bills_move_to_goods_not_billed(empty_app):
    """A store that received goods before supplier bills existed: its receipts credited
    accounts payable; after the upgrade they wait for their bills in goods received not
    billed, and accounts payable is its open bills (none)."""
    from shop.accounting import chart
    from shop.accounting import services as books
    from tests.integration.books_helpers import balances

    upgrade(revision="i11_periods")
    books.seed_chart()
    books.post_entry(
        source_type="po_receipt", source_key="receipt:PO-000001:1", on=date(2026, 10, 5),
        description="Goods received on PO-000001 (the old way)",
        lines=[books.Line(chart.INVENTORY, debit=5000), books.Line(chart.PAYABLE, credit=5000)],
    )  # fmt: skip
    db.session.commit()

    upgrade()

    db.session.expire_all()
    assert balances()[chart.PAYABLE] == 0
    assert balances()[chart.RECEIVED_NOT_BILLED] == -5000
    assert balances()[chart.INVENTORY] == 5000
    db.session.rollback()  # end the read, so the migration can write
    downgrade(revision="i11_periods")
    db.session.expire_all()
    assert balances()[chart.PAYABLE] == -5000


def test_events_written_as_sentences_still_read_the_same_after_i14(empty_app):
    """Order events stored as finished sentences before i14_event_kinds keep their kind and
    read exactly as before; going back down gives the sentences back."""
    from shop.order_history import event_text
    from shop.orders.models import OrderEvent

    revision = snapshot_files()[0].name.split(".")[0]
    upgrade(revision=revision)
    snapshots.load(db.engine, revision)
    upgrade(revision="i13_document_batches")
    query = sa.text("SELECT id, kind, message FROM order_events ORDER BY id")
    with db.engine.connect() as conn:
        before = conn.execute(query).all()
    assert before

    upgrade()

    after = db.session.scalars(sa.select(OrderEvent).order_by(OrderEvent.id)).all()
    assert [(e.id, e.kind, event_text(e)) for e in after] == [tuple(row) for row in before]
    db.session.rollback()
    downgrade(revision="i13_document_batches")
    with db.engine.connect() as conn:
        assert conn.execute(query).all() == before


def test_i15_indexes_the_products_already_there_and_goes_down_cleanly(empty_app):
    """A running store upgraded to i15_search finds its products by word form, typo and
    barcode at once; going down removes the index and the catalogue is untouched."""
    revision = snapshot_files()[0].name.split(".")[0]
    upgrade(revision=revision)
    snapshots.load(db.engine, revision)
    upgrade(revision="i14_event_kinds")
    with db.engine.connect() as conn:
        name, sku = conn.execute(sa.text(
            "SELECT p.name, v.sku FROM products p JOIN variants v ON v.product_id = p.id"
            " WHERE p.is_active AND v.is_active ORDER BY p.id LIMIT 1"
        )).one()  # fmt: skip

    upgrade()

    client = empty_app.test_client()
    word = max(name.split(), key=len).lower()
    assert name in client.get(f"/search?q={word}s").text  # a plural of its longest word
    assert name in client.get(f"/search?q={sku}").text
    db.session.rollback()
    downgrade(revision="i14_event_kinds")
    tables = set(sa.inspect(db.engine).get_table_names())
    assert not {t for t in tables if is_index_table(t)}
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM products")).scalar() > 0
    upgrade()
    assert name in client.get(f"/search?q={word}").text


def test_i15_search_paths_finds_products_by_their_parent_category_and_goes_down(empty_app):
    """A running store upgraded past i15_search_paths finds a product by the name of the
    category above its own, at once (the search page kept before is not shown again);
    going down, the index is as i15_search made it."""
    revision = snapshot_files()[0].name.split(".")[0]
    upgrade(revision=revision)
    snapshots.load(db.engine, revision)
    upgrade(revision="i15_order_cart")
    with db.engine.connect() as conn:
        name, parent = conn.execute(sa.text(
            "SELECT p.name, top.name FROM products p JOIN categories c ON c.id = p.category_id"
            " JOIN categories top ON top.id = c.parent_id WHERE p.is_active"
            " AND NOT EXISTS (SELECT 1 FROM products o WHERE o.category_id = top.id)"
            " ORDER BY p.id LIMIT 1"
        )).one()  # fmt: skip
    client = empty_app.test_client()
    assert name not in client.get(f"/search?q={parent}").text

    upgrade()

    assert name in client.get(f"/search?q={parent}").text  # not the page kept before
    db.session.rollback()
    downgrade(revision="i15_order_cart")
    assert name not in client.get(f"/search?q={parent}").text
    assert name in client.get(f"/search?q={name}").text


def test_i15_tidy_postal_codes_tidies_saved_addresses_and_leaves_orders_as_shipped(empty_app):
    revision = snapshot_files()[0].name.split(".")[0]
    upgrade(revision=revision)
    snapshots.load(db.engine, revision)
    upgrade(revision="i15_variant_image")
    with db.engine.begin() as conn:
        address_id = conn.execute(sa.text("SELECT min(id) FROM addresses")).scalar()
        order_id = conn.execute(sa.text("SELECT min(id) FROM orders")).scalar()
        assert address_id is not None and order_id is not None
        conn.execute(sa.text("UPDATE addresses SET postal_code = ' m5v\t2t6 ' WHERE id = :i"),
                     {"i": address_id})  # fmt: skip
        conn.execute(sa.text("UPDATE orders SET ship_postal_code = 'm5v2t6' WHERE id = :i"),
                     {"i": order_id})  # fmt: skip
        untidy_others = conn.execute(sa.text(
            "SELECT count(*) FROM addresses WHERE postal_code NOT LIKE '___ ___'"
        )).scalar()  # fmt: skip

    upgrade()

    with db.engine.connect() as conn:
        saved = conn.execute(
            sa.text("SELECT postal_code FROM addresses WHERE id = :i"), {"i": address_id}
        ).scalar()
        shipped = conn.execute(
            sa.text("SELECT ship_postal_code FROM orders WHERE id = :i"), {"i": order_id}
        ).scalar()
        left = conn.execute(sa.text(
            "SELECT count(*) FROM addresses WHERE postal_code NOT LIKE '___ ___'"
        )).scalar()  # fmt: skip
    assert (saved, shipped) == ("M5V 2T6", "m5v2t6")
    assert untidy_others >= 1 and left == 0
