"""Time the storefront's search in process on a 10,000-variant catalogue.

    python -m bench.search                       # SQLite in a temp folder
    python -m bench.search --database-url postgresql://postgres@127.0.0.1:5432/test

Builds the catalogue of bench/data.py (its index filled by the triggers as the rows go
in), then runs each query of QUERIES through shop.search.services.search_catalogue (the
function the /search page calls) --repeat times and prints the median and the slowest
milliseconds of each, and of the whole page through the test client. The served page,
measured with wrk against the bare yardstick, is `python -m bench.catalogue`.
"""

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.catalogue import prepare_database, seed
from bench.harness import drop_pg_schema

# (label, query, facet choices): what a customer types, with and without filters;
# {sku} and {barcode} are those of a variant in the middle of the catalogue.
QUERIES = [
    ("a word (many found)", "merino", {}),
    ("a plural", "jackets", {}),
    ("two words", "sleeping bags", {}),
    ("a typo (corrected)", "sleping bag", {}),
    ("a typo, short word", "tnet", {}),
    ("an exact SKU", "{sku}", {}),
    ("a barcode", "{barcode}", {}),
    ("a word + facets", "jacket", {"stock": ["in"], "price": ["10000-20000"]}),
    ("nothing found", "zqxwvk", {}),
]
PAGES = ["/search?q=merino", "/search?q=jackets&stock=in&size=M", "/search?q=sleping+bag"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in a temp folder)")
    parser.add_argument("--products", type=int, default=2500)
    parser.add_argument("--variants", type=int, default=4, help="per product")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args(argv)


def _timed(call, repeat: int) -> tuple[float, float]:
    call()  # warm up: caches, compiled statements
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-search-"))
    try:
        url = prepare_database(args, workdir)
        started = time.perf_counter()
        app, catalogue = seed(url, workdir, args)
        backend = "postgresql" if args.database_url else "sqlite"
        seconds = time.perf_counter() - started
        print(f"Seeded {catalogue.variants:,} variants ({catalogue.products:,} products) and"
              f" their search index in {seconds:.1f} s ({backend}).")  # fmt: skip
        _measure(app, args)
    finally:
        if not args.keep:
            if args.database_url:
                from bench.catalogue import PG_SCHEMA

                drop_pg_schema(args.database_url, PG_SCHEMA)
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _measure(app, args) -> None:
    import sqlalchemy as sa

    from shop.catalogue.models import Variant
    from shop.extensions import db
    from shop.search.services import search_catalogue

    print(f"\n{'search_catalogue()':<24} {'found':>6} {'median ms':>10} {'max ms':>8}")
    with app.app_context():
        middle = db.session.scalar(sa.select(sa.func.max(Variant.id))) // 2
        sku, barcode = db.session.execute(
            sa.select(Variant.sku, Variant.barcode).where(Variant.id == middle)
        ).one()
        for label, typed, choices in QUERIES:
            query = typed.format(sku=sku, barcode=barcode)
            found = search_catalogue(query, args=choices)
            median, worst = _timed(lambda q=query, c=choices: search_catalogue(q, args=c),
                                   args.repeat)  # fmt: skip
            print(f"{label:<24} {found.page.total:>6} {median:>10.1f} {worst:>8.1f}")
            db.session.rollback()
    client = app.test_client()
    base = app.config["BASE_URL"]  # a host the store answers to
    print(f"\n{'whole page (test client)':<44} {'median ms':>10} {'max ms':>8}")
    for path in PAGES:
        assert client.get(path, base_url=base).status_code == 200, path
        median, worst = _timed(lambda p=path: client.get(p, base_url=base), args.repeat)
        print(f"{path:<44} {median:>10.1f} {worst:>8.1f}")


if __name__ == "__main__":
    sys.exit(main())
