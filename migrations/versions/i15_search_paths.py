"""search_paths: a product is found by the names of the categories above its own too
("kids" finds the jackets in Kids > Jackets). A view, category_paths, walks the category
tree; search_documents reads the names along it; the trigger on categories follows a
rename or a move (parent_id) to every product below. The index is filled afresh, and the
pages kept rendered get a new version (page_versions), so no search kept from before is
shown again.

This is a frozen copy of what shop/catalogue/search_index.py changed after i15_search:
a later change to the index is a new revision, never an edit of this one.

Revision ID: i15_search_paths
Revises: i15_order_cart
Create Date: 2026-12-03 09:00:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "i15_search_paths"
down_revision = "i15_order_cart"
branch_labels = None
depends_on = None

CATEGORY_PATHS_VIEW = """
CREATE VIEW category_paths AS
WITH RECURSIVE paths(ancestor_id, category_id, depth) AS (
  SELECT id, id, 0 FROM categories
  UNION ALL
  SELECT c.parent_id, paths.category_id, paths.depth + 1
  FROM paths JOIN categories c ON c.id = paths.ancestor_id
  WHERE c.parent_id IS NOT NULL AND paths.depth < 50
)
SELECT ancestor_id, category_id, depth FROM paths
"""
PRODUCTS_BELOW = (
    "SELECT p.id FROM products p JOIN category_paths cp ON cp.category_id = p.category_id"
    " WHERE cp.ancestor_id = NEW.id"
)
CATEGORY_OF_PATH = """coalesce((SELECT {aggregate}(a.name, ' ') FROM category_paths cp
                 JOIN categories a ON a.id = cp.ancestor_id
                 WHERE cp.category_id = p.category_id), '')"""
CATEGORY_OF_I15 = "coalesce(c.name, '')"
FROM_PATH = "FROM products p"
FROM_I15 = "FROM products p LEFT JOIN categories c ON c.id = p.category_id"


def _documents_view(aggregate: str, category: str, source: str) -> str:
    return f"""
CREATE VIEW search_documents AS
SELECT p.id AS product_id,
       p.name AS name,
       {category.format(aggregate=aggregate)} AS category,
       coalesce((SELECT {aggregate}(coalesce(v.option1, '') || ' ' || coalesce(v.option2, ''), ' ')
                 FROM variants v WHERE v.product_id = p.id AND v.is_active), '') AS options,
       coalesce((SELECT {aggregate}(v.sku || ' ' || coalesce(v.barcode, ''), ' ')
                 FROM variants v WHERE v.product_id = p.id AND v.is_active), '') AS codes,
       coalesce(p.description, '') AS description
{source}
"""


# --- SQLite ----------------------------------------------------------------------------


def _sqlite_fill(ids: str) -> list[str]:
    return [
        "INSERT INTO search_words (rowid, name, category, options, description)"
        " SELECT product_id, name, category, options, description"
        f" FROM search_documents WHERE product_id IN ({ids})",
        "INSERT INTO search_trigrams (rowid, words, codes) SELECT product_id,"
        " '  ' || replace(name || ' ' || category || ' ' || options, ' ', '  ') || ' ', codes"
        f" FROM search_documents WHERE product_id IN ({ids})",
    ]


def _sqlite_refresh(ids: str) -> str:
    forget = [
        f"DELETE FROM search_words WHERE rowid IN ({ids})",
        f"DELETE FROM search_trigrams WHERE rowid IN ({ids})",
    ]
    return " ".join(f"{statement};" for statement in forget + _sqlite_fill(ids))


SQLITE_REFILL = [
    "DELETE FROM search_words",
    "DELETE FROM search_trigrams",
    *_sqlite_fill("SELECT id FROM products"),
]

SQLITE_UP = [
    "DROP TRIGGER search_categories_au",
    "DROP VIEW search_documents",
    CATEGORY_PATHS_VIEW,
    _documents_view("group_concat", CATEGORY_OF_PATH, FROM_PATH),
    "CREATE TRIGGER search_categories_au AFTER UPDATE OF name, parent_id ON categories"
    f" BEGIN {_sqlite_refresh(PRODUCTS_BELOW)} END",
    *SQLITE_REFILL,
]

SQLITE_DOWN = [
    "DROP TRIGGER search_categories_au",
    "DROP VIEW search_documents",
    "DROP VIEW category_paths",
    _documents_view("group_concat", CATEGORY_OF_I15, FROM_I15),
    "CREATE TRIGGER search_categories_au AFTER UPDATE OF name ON categories BEGIN"
    f" {_sqlite_refresh('SELECT id FROM products WHERE category_id = NEW.id')} END",
    *SQLITE_REFILL,
]


# --- PostgreSQL --------------------------------------------------------------------------
# search_refresh() reads search_documents by name when it runs (a string body keeps no
# dependency), so the view can be dropped and made again under it.

PG_UP = [
    "DROP TRIGGER search_categories ON categories",
    "DROP VIEW search_documents",
    CATEGORY_PATHS_VIEW,
    _documents_view("string_agg", CATEGORY_OF_PATH, FROM_PATH),
    f"""
CREATE OR REPLACE FUNCTION search_category_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM search_refresh(below.id) FROM ({PRODUCTS_BELOW}) AS below;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER search_categories AFTER UPDATE OF name, parent_id ON categories FOR EACH ROW"
    " EXECUTE FUNCTION search_category_changed()",
    "SELECT search_refresh(id) FROM products",
]

PG_DOWN = [
    "DROP TRIGGER search_categories ON categories",
    "DROP VIEW search_documents",
    "DROP VIEW category_paths",
    _documents_view("string_agg", CATEGORY_OF_I15, FROM_I15),
    """
CREATE OR REPLACE FUNCTION search_category_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM search_refresh(id) FROM products WHERE category_id = NEW.id;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER search_categories AFTER UPDATE OF name ON categories FOR EACH ROW"
    " EXECUTE FUNCTION search_category_changed()",
    "SELECT search_refresh(id) FROM products",
]


def _run(statements):
    conn = op.get_bind()
    for statement in statements:
        conn.exec_driver_sql(statement)


def _postgresql():
    return op.get_bind().dialect.name == "postgresql"


def _new_page_version():
    """As shop.page_cache gives one: a random version, never 0; the row made if missing."""
    op.get_bind().execute(
        sa.text(
            "INSERT INTO page_versions (id, version) VALUES (1, :version)"
            " ON CONFLICT (id) DO UPDATE SET version = :version"
        ),
        {"version": secrets.randbits(62) + 1},
    )


def upgrade():
    _run(PG_UP if _postgresql() else SQLITE_UP)
    _new_page_version()


def downgrade():
    _run(PG_DOWN if _postgresql() else SQLITE_DOWN)
    _new_page_version()
