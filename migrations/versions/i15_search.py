"""search: the catalogue's search index, kept by the database. SQLite: two FTS5 tables,
search_words (porter: word forms) and search_trigrams (trigram: substrings, words near a
typo). PostgreSQL: product_search, a weighted tsvector (english) under GIN and the words
and codes under GIN trigram indexes (pg_trgm, created here if missing), and
search_vocabulary, the words for corrections (GIN trigram index). Both read one view
of what is indexed (search_documents) and are kept by triggers on products, variants and
categories; the rows of the products already there are indexed at the upgrade.

This is a frozen copy of shop/catalogue/search_index.py as released (which create_all
uses): a later change to the index is a new revision, never an edit of this one.

Revision ID: i15_search
Revises: i15_discounts
Create Date: 2026-12-02 05:00:00

"""

from alembic import op

revision = "i15_search"
down_revision = "i15_discounts"
branch_labels = None
depends_on = None


def _documents_view(aggregate: str) -> str:
    return f"""
CREATE VIEW search_documents AS
SELECT p.id AS product_id,
       p.name AS name,
       coalesce(c.name, '') AS category,
       coalesce((SELECT {aggregate}(coalesce(v.option1, '') || ' ' || coalesce(v.option2, ''), ' ')
                 FROM variants v WHERE v.product_id = p.id AND v.is_active), '') AS options,
       coalesce((SELECT {aggregate}(v.sku || ' ' || coalesce(v.barcode, ''), ' ')
                 FROM variants v WHERE v.product_id = p.id AND v.is_active), '') AS codes,
       coalesce(p.description, '') AS description
FROM products p LEFT JOIN categories c ON c.id = p.category_id
"""


# --- SQLite ----------------------------------------------------------------------------


def _sqlite_fill(ids: str) -> list[str]:
    """The statements that index the products `ids` (an SQL list) from search_documents."""
    return [
        "INSERT INTO search_words (rowid, name, category, options, description)"
        " SELECT product_id, name, category, options, description"
        f" FROM search_documents WHERE product_id IN ({ids})",
        # each word padded as shop.search.words.padded() does, for its trigrams
        "INSERT INTO search_trigrams (rowid, words, codes) SELECT product_id,"
        " '  ' || replace(name || ' ' || category || ' ' || options, ' ', '  ') || ' ', codes"
        f" FROM search_documents WHERE product_id IN ({ids})",
    ]


def _sqlite_refresh(ids: str) -> str:
    """A trigger's body that rewrites the index rows of the products `ids`."""
    forget = [
        f"DELETE FROM search_words WHERE rowid IN ({ids})",
        f"DELETE FROM search_trigrams WHERE rowid IN ({ids})",
    ]
    return " ".join(f"{statement};" for statement in forget + _sqlite_fill(ids))


def sqlite_statements() -> list[str]:
    in_category = "SELECT id FROM products WHERE category_id = NEW.id"
    forget = "DELETE FROM search_words WHERE rowid = OLD.id;" \
             " DELETE FROM search_trigrams WHERE rowid = OLD.id;"  # fmt: skip
    return [
        "CREATE VIRTUAL TABLE search_words USING fts5(name, category, options, description,"
        " tokenize = 'porter unicode61 remove_diacritics 2')",
        "CREATE VIRTUAL TABLE search_trigrams USING fts5(words, codes, tokenize = 'trigram')",
        _documents_view("group_concat"),
        f"CREATE TRIGGER search_products_ai AFTER INSERT ON products BEGIN"
        f" {_sqlite_refresh('NEW.id')} END",
        f"CREATE TRIGGER search_products_au AFTER UPDATE OF name, description, category_id,"
        f" is_active ON products BEGIN {_sqlite_refresh('NEW.id')} END",
        f"CREATE TRIGGER search_products_ad AFTER DELETE ON products BEGIN {forget} END",
        f"CREATE TRIGGER search_variants_ai AFTER INSERT ON variants BEGIN"
        f" {_sqlite_refresh('NEW.product_id')} END",
        f"CREATE TRIGGER search_variants_au AFTER UPDATE OF product_id, sku, barcode, option1,"
        f" option2, is_active ON variants BEGIN {_sqlite_refresh('OLD.product_id, NEW.product_id')}"
        f" END",
        f"CREATE TRIGGER search_variants_ad AFTER DELETE ON variants BEGIN"
        f" {_sqlite_refresh('OLD.product_id')} END",
        f"CREATE TRIGGER search_categories_au AFTER UPDATE OF name ON categories BEGIN"
        f" {_sqlite_refresh(in_category)} END",
        # the rows there already (a migration of a running store)
        *_sqlite_fill("SELECT id FROM products"),
    ]


SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_categories_au",
    "DROP TRIGGER IF EXISTS search_variants_ad",
    "DROP TRIGGER IF EXISTS search_variants_au",
    "DROP TRIGGER IF EXISTS search_variants_ai",
    "DROP TRIGGER IF EXISTS search_products_ad",
    "DROP TRIGGER IF EXISTS search_products_au",
    "DROP TRIGGER IF EXISTS search_products_ai",
    "DROP VIEW IF EXISTS search_documents",
    "DROP TABLE IF EXISTS search_trigrams",
    "DROP TABLE IF EXISTS search_words",
]


# --- PostgreSQL --------------------------------------------------------------------------

PG_STATEMENTS = [
    # The extension may be there already (IF NOT EXISTS); it is left in place going down,
    # as other schemas of the database may use it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE TABLE product_search (product_id integer PRIMARY KEY, document tsvector NOT NULL,"
    " words text NOT NULL, codes text NOT NULL)",
    "CREATE INDEX ix_product_search_document ON product_search USING gin (document)",
    "CREATE INDEX ix_product_search_words ON product_search USING gin (words gin_trgm_ops)",
    "CREATE INDEX ix_product_search_codes ON product_search USING gin (codes gin_trgm_ops)",
    # Every word ever indexed of names, categories and option values, for "Did you mean":
    # looked up by trigram similarity and by exact spelling. Words are only added (a
    # suggestion is offered only when it finds something, so a word gone is harmless).
    "CREATE TABLE search_vocabulary (word text PRIMARY KEY)",
    "CREATE INDEX ix_search_vocabulary_word ON search_vocabulary USING gin (word gin_trgm_ops)",
    _documents_view("string_agg"),
    """
CREATE FUNCTION search_refresh(pid integer) RETURNS void LANGUAGE sql AS $$
  DELETE FROM product_search WHERE product_id = pid;
  INSERT INTO product_search (product_id, document, words, codes)
  SELECT product_id,
         setweight(to_tsvector('english', name), 'A')
         || setweight(to_tsvector('english', category), 'B')
         || setweight(to_tsvector('english', options), 'C')
         || setweight(to_tsvector('english', description), 'D'),
         lower(name || ' ' || category || ' ' || options), lower(codes)
  FROM search_documents WHERE product_id = pid;
  -- in order: two writers adding the same words take their locks in the same order
  INSERT INTO search_vocabulary (word)
  SELECT DISTINCT w FROM product_search s,
         regexp_split_to_table(s.words, '[^[:alnum:]]+') AS w
  WHERE s.product_id = pid AND length(w) > 3
  ORDER BY w
  ON CONFLICT DO NOTHING;
$$""",
    """
CREATE FUNCTION search_product_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM product_search WHERE product_id = OLD.id;
  ELSE
    PERFORM search_refresh(NEW.id);
  END IF;
  RETURN NULL;
END $$""",
    """
CREATE FUNCTION search_variant_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM search_refresh(OLD.product_id);
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.product_id <> OLD.product_id) THEN
    PERFORM search_refresh(NEW.product_id);
  END IF;
  RETURN NULL;
END $$""",
    """
CREATE FUNCTION search_category_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM search_refresh(id) FROM products WHERE category_id = NEW.id;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER search_products AFTER INSERT OR DELETE OR UPDATE OF name, description,"
    " category_id, is_active ON products FOR EACH ROW EXECUTE FUNCTION search_product_changed()",
    "CREATE TRIGGER search_variants AFTER INSERT OR DELETE OR UPDATE OF product_id, sku, barcode,"
    " option1, option2, is_active ON variants FOR EACH ROW EXECUTE FUNCTION"
    " search_variant_changed()",
    "CREATE TRIGGER search_categories AFTER UPDATE OF name ON categories FOR EACH ROW"
    " EXECUTE FUNCTION search_category_changed()",
    "SELECT search_refresh(id) FROM products",  # the rows there already
]

PG_DROP = [
    # CASCADE: each trigger function takes its trigger with it
    "DROP FUNCTION IF EXISTS search_category_changed() CASCADE",
    "DROP FUNCTION IF EXISTS search_variant_changed() CASCADE",
    "DROP FUNCTION IF EXISTS search_product_changed() CASCADE",
    "DROP FUNCTION IF EXISTS search_refresh(integer)",
    "DROP VIEW IF EXISTS search_documents",
    "DROP TABLE IF EXISTS search_vocabulary",
    "DROP TABLE IF EXISTS product_search",
]


def _run(statements):
    conn = op.get_bind()
    for statement in statements:
        conn.exec_driver_sql(statement)


def _postgresql():
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    _run(PG_STATEMENTS if _postgresql() else sqlite_statements())


def downgrade():
    """The index goes; pg_trgm stays (other schemas of the database may use it)."""
    _run(PG_DROP if _postgresql() else SQLITE_DROP)
