"""The searches themselves, one function per question, each in the dialect of the database
it runs on: SQLite's FTS5 tables or PostgreSQL's full-text search and pg_trgm (the index is
shop.catalogue.search_index). Only ids, ranks and words come back; every query text is
built from the words of shop.search.words (letters and digits) or passed as a parameter.
"""

import sqlalchemy as sa

from shop.catalogue import search_index
from shop.catalogue.models import Product, Variant
from shop.extensions import db
from shop.search.words import fts5_all, fts5_any, one_edit_away, trigrams

MAX_MATCHES = 1000  # products a search considers; a page shows PRODUCTS_PER_PAGE of them
NEAR_ROWS = 100  # products whose words are read for a spelling correction
# pg_trgm's similarity from which a known word may be a correction ("sleping" ~
# "sleeping" is 0.7); the words one edit away are looked up by their spelling.
PG_NEAR_SIMILARITY = 0.3


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def code_hits(raw: str) -> list[int]:
    """Products with an active variant whose SKU or barcode is exactly `raw`, by SKU."""
    if not raw:
        return []
    query = (
        sa.select(Variant.product_id)
        .join(Product, Product.id == Variant.product_id)
        .where(
            sa.or_(Variant.sku == raw.upper(), Variant.barcode == raw),
            Variant.is_active.is_(True),
            Product.is_active.is_(True),
        )
        .order_by(Variant.sku)
    )
    return list(dict.fromkeys(db.session.scalars(query)))


def word_hits(words: tuple[str, ...]) -> list[int]:
    """Active products holding every word in some form (stemmed), most relevant first: a
    word in the name weighs most, then the category, the option values, the description."""
    if not words:
        return []
    if _postgresql():
        sql = """
            SELECT s.product_id FROM product_search s
            JOIN products p ON p.id = s.product_id AND p.is_active,
                 websearch_to_tsquery('english', :text) q
            WHERE s.document @@ q
            ORDER BY ts_rank(s.document, q) DESC, p.name, p.id LIMIT :limit"""
        params = {"text": " ".join(words)}
    else:
        sql = f"""
            SELECT s.rowid FROM search_words s JOIN products p ON p.id = s.rowid AND p.is_active
            WHERE search_words MATCH :match
            ORDER BY bm25(search_words, {search_index.SQLITE_WEIGHTS}), p.name, p.id
            LIMIT :limit"""
        params = {"match": fts5_all(words)}
    return list(db.session.scalars(sa.text(sql), {**params, "limit": MAX_MATCHES}))


def known_words(words: tuple[str, ...]) -> set[str]:
    """The words the index holds in some form, asked in one query; on PostgreSQL a word the
    english config drops ("with", "from") counts as known: it is no typo."""
    if not words:
        return set()
    if _postgresql():
        probe = """(numnode(websearch_to_tsquery('english', :w{i})) = 0 OR EXISTS (
            SELECT 1 FROM product_search
            WHERE document @@ websearch_to_tsquery('english', :w{i})))"""
        params = {f"w{i}": word for i, word in enumerate(words)}
    else:
        probe = "EXISTS (SELECT 1 FROM search_words WHERE search_words MATCH :w{i})"
        params = {f"w{i}": fts5_all([word]) for i, word in enumerate(words)}
    sql = "SELECT " + ", ".join(probe.format(i=i) for i in range(len(words)))
    row = db.session.execute(sa.text(sql), params).one()
    return {word for word, known in zip(words, row, strict=True) if known}


def words_near(word: str) -> list[str]:
    """Words of the names, categories and option values of products that look like `word`:
    the candidates for its correction. By their trigrams; and, up to seven letters, those
    spelled one edit away, for a short word shares few trigrams with its typo ("tnet" and
    "tent" share one of five)."""
    if _postgresql():
        return _pg_words_near(word)
    texts = _sqlite_words_by_trigrams(word)
    if len(word) <= 7:
        texts += _sqlite_words_one_edit_away(word)
    return texts


def _pg_words_near(word: str) -> list[str]:
    db.session.execute(
        sa.text("SELECT set_config('pg_trgm.similarity_threshold', :t, true)"),
        {"t": str(PG_NEAR_SIMILARITY)},
    )
    sql = """
        (SELECT word FROM search_vocabulary WHERE word % :word
         ORDER BY similarity(word, :word) DESC LIMIT :limit)
        UNION SELECT word FROM search_vocabulary WHERE word = ANY(:spellings)"""
    spellings = one_edit_away(word) if len(word) <= 7 else []
    params = {"word": word, "spellings": spellings, "limit": NEAR_ROWS}
    return list(db.session.scalars(sa.text(sql), params))


def _sqlite_words_by_trigrams(word: str) -> list[str]:
    sql = """
        SELECT s.words FROM search_trigrams s JOIN products p ON p.id = s.rowid
        WHERE search_trigrams MATCH :match AND p.is_active ORDER BY s.rank LIMIT :limit"""
    match = "words : (" + fts5_any(trigrams(word)) + ")"
    return list(db.session.scalars(sa.text(sql), {"match": match, "limit": NEAR_ROWS}))


def _sqlite_words_one_edit_away(word: str) -> list[str]:
    """The words of products whose name, category or options hold, in some form, a
    spelling one edit from `word` (each spelling is letters only: no query syntax)."""
    sql = """
        SELECT t.words FROM search_words w
        JOIN search_trigrams t ON t.rowid = w.rowid
        JOIN products p ON p.id = w.rowid AND p.is_active
        WHERE search_words MATCH :match LIMIT :limit"""
    match = "{name category options} : (" + fts5_any(one_edit_away(word)) + ")"
    return list(db.session.scalars(sa.text(sql), {"match": match, "limit": NEAR_ROWS}))


def substring_hits(text: str) -> list[int]:
    """Active products whose SKUs, barcodes or words hold `text` as it is ("rdg-2" in
    "TNT-RDG-2P"); at least three characters, as trigrams need."""
    text = text.lower()
    if len(text) < 3:
        return []
    if _postgresql():
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sql = """
            SELECT s.product_id FROM product_search s
            JOIN products p ON p.id = s.product_id AND p.is_active
            WHERE s.codes LIKE :pattern OR s.words LIKE :pattern
            ORDER BY p.name, p.id LIMIT :limit"""
        params = {"pattern": pattern}
    else:
        sql = """
            SELECT s.rowid FROM search_trigrams s JOIN products p ON p.id = s.rowid AND p.is_active
            WHERE search_trigrams MATCH :match ORDER BY p.name, p.id LIMIT :limit"""
        params = {"match": fts5_any([text])}  # one quoted string: its trigrams in a row
    return list(db.session.scalars(sa.text(sql), {**params, "limit": MAX_MATCHES}))
