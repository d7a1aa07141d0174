"""The search index of the catalogue, kept by the database itself.

What is indexed of a product is one view, `search_documents`: its name, the names of its
category and of the categories above it ("Kids" finds the jackets in Kids > Jackets; the
view `category_paths` walks the tree), its active variants' option values, their SKUs and
barcodes, its description.
SQLite keeps it in two FTS5 tables: `search_words` (porter stemmer: "tents" finds "tent")
and `search_trigrams` (trigram tokenizer: substrings of codes, and the words near a typo).
PostgreSQL keeps it in `product_search`: a weighted tsvector (english config) under a GIN
index, and the words and codes as text under GIN trigram indexes (pg_trgm); the words
themselves are gathered in `search_vocabulary` (GIN trigram index) for corrections.

Triggers on products, variants and categories rewrite a product's index rows in the same
statement that changes it, so the index follows every writer, whatever it is: the back
office's services, the demo seed, a bulk insert (bench/data.py), raw SQL, a rollback (the
index rows roll back with the change). SQLAlchemy events would miss Core bulk writes.

The schema is migrations i15_search and i15_search_paths (frozen copies of this, as
every migration is of the models); `db.create_all()` (tests, benchmarks) builds it from
here through the metadata's after_create event. None of these tables is in the models'
metadata: `is_index_table` tells Alembic's comparison to leave them be.
"""

import sqlalchemy as sa

SQLITE_TABLES = ("search_words", "search_trigrams")
PG_TABLES = ("product_search", "search_vocabulary")
# Weights of name, category, option values and description, best first (bm25, ts_rank).
SQLITE_WEIGHTS = "10.0, 4.0, 3.0, 1.0"


def is_index_table(name: str) -> bool:
    """An index table or one of FTS5's own tables behind it (search_words_data, ...)."""
    return name in PG_TABLES or any(name == t or name.startswith(t + "_") for t in SQLITE_TABLES)


# Each category with itself and every category above it (depth 0 is itself); the depth
# bound only stops a loop, which the catalogue's services refuse anyway.
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
# The products in a category or below it, for a trigger on categories.
PRODUCTS_BELOW = (
    "SELECT p.id FROM products p JOIN category_paths cp ON cp.category_id = p.category_id"
    " WHERE cp.ancestor_id = NEW.id"
)


def _documents_view(aggregate: str) -> str:
    return f"""
CREATE VIEW search_documents AS
SELECT p.id AS product_id,
       p.name AS name,
       coalesce((SELECT {aggregate}(a.name, ' ') FROM category_paths cp
                 JOIN categories a ON a.id = cp.ancestor_id
                 WHERE cp.category_id = p.category_id), '') AS category,
       coalesce((SELECT {aggregate}(coalesce(v.option1, '') || ' ' || coalesce(v.option2, ''), ' ')
                 FROM variants v WHERE v.product_id = p.id AND v.is_active), '') AS options,
       coalesce((SELECT {aggregate}(v.sku || ' ' || coalesce(v.barcode, ''), ' ')
                 FROM variants v WHERE v.product_id = p.id AND v.is_active), '') AS codes,
       coalesce(p.description, '') AS description
FROM products p
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


def _sqlite_category_trigger() -> str:
    return (
        "CREATE TRIGGER search_categories_au AFTER UPDATE OF name, parent_id ON categories"
        f" BEGIN {_sqlite_refresh(PRODUCTS_BELOW)} END"
    )


def sqlite_statements() -> list[str]:
    forget = "DELETE FROM search_words WHERE rowid = OLD.id;" \
             " DELETE FROM search_trigrams WHERE rowid = OLD.id;"  # fmt: skip
    return [
        "CREATE VIRTUAL TABLE search_words USING fts5(name, category, options, description,"
        " tokenize = 'porter unicode61 remove_diacritics 2')",
        "CREATE VIRTUAL TABLE search_trigrams USING fts5(words, codes, tokenize = 'trigram')",
        CATEGORY_PATHS_VIEW,
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
        _sqlite_category_trigger(),
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
    "DROP VIEW IF EXISTS category_paths",
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
    CATEGORY_PATHS_VIEW,
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
    f"""
CREATE FUNCTION search_category_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM search_refresh(below.id) FROM ({PRODUCTS_BELOW}) AS below;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER search_products AFTER INSERT OR DELETE OR UPDATE OF name, description,"
    " category_id, is_active ON products FOR EACH ROW EXECUTE FUNCTION search_product_changed()",
    "CREATE TRIGGER search_variants AFTER INSERT OR DELETE OR UPDATE OF product_id, sku, barcode,"
    " option1, option2, is_active ON variants FOR EACH ROW EXECUTE FUNCTION"
    " search_variant_changed()",
    "CREATE TRIGGER search_categories AFTER UPDATE OF name, parent_id ON categories FOR EACH ROW"
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
    "DROP VIEW IF EXISTS category_paths",
    "DROP TABLE IF EXISTS search_vocabulary",
    "DROP TABLE IF EXISTS product_search",
]


def create(connection) -> None:
    """Build the index (and fill it from the products there are) on this connection."""
    statements = PG_STATEMENTS if connection.dialect.name == "postgresql" else sqlite_statements()
    for statement in statements:
        connection.exec_driver_sql(statement)


def drop(connection) -> None:
    statements = PG_DROP if connection.dialect.name == "postgresql" else SQLITE_DROP
    for statement in statements:
        connection.exec_driver_sql(statement)


def follow_metadata(metadata: sa.MetaData) -> None:
    """create_all() builds the index after the tables; drop_all() drops it before them."""

    def after_create(target, connection, **kw):
        if sa.inspect(connection).has_table("products"):
            drop(connection)  # create_all again on a database that has it: built anew
            create(connection)

    def before_drop(target, connection, **kw):
        drop(connection)

    sa.event.listen(metadata, "after_create", after_create)
    sa.event.listen(metadata, "before_drop", before_drop)
