"""Time the statements and tax return worksheets on a year of a large store.

    python -m bench.reports_data --database-url postgresql://postgres@127.0.0.1:5432/bench_reports
    python -m bench.statements --database-url postgresql://postgres@127.0.0.1:5432/bench_reports

bench.reports_data writes no journal (books=False), so this first books the store's
year in bulk when its journal is empty (or with --rebook): per paid order the entries
post_sale and post_processor_fee post (clearing / sales, shipping, tax per component;
the demo fee), per shipment the cost of goods, and per month a summary purchase with
its GST as an input tax credit, with the same accounts (by role) and amounts, written
by INSERT ... SELECT in a few statements. Then, through the app's test client logged in
as the owner (bench.reports), it asks each page below once to warm up and --runs times
more, prints the first, median and slowest time in ms, the SQL statements of one request,
and the figures each statement shows. Target: under 1 s (median) on PostgreSQL for a
year of the 200,000-order store. See bench/README.md.
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta

import sqlalchemy as sa

from bench.reports import TARGET_MS, StatementCounter, ensure_owner, log_in, one_request

FEE_PERCENT, FEE_FIXED = "0.029", 30  # the demo provider's 2.9 % + 30 cents


def main(argv=None) -> int:
    args = parse_args(argv)
    from shop import create_app
    from shop.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.database_url,
            "INSTANCE_PATH": tempfile.mkdtemp(),
            "TRUSTED_HOSTS": ["localhost"],
        }
    )
    with app.app_context():
        if args.rebook or not db.session.scalar(sa.text("SELECT count(*) FROM journal_entries")):
            book_the_year(app.config["TIMEZONE"])
        first, last = db.session.execute(
            sa.text("SELECT min(date), max(date) FROM journal_entries")
        ).one()
        start = max(first, last - timedelta(days=364))
        print_counts(start, last)
        ensure_owner()
        print_figures(start, last)
        counter = StatementCounter(db.engine)
        db.session.remove()
    client = app.test_client()
    log_in(client)
    rows = []
    for url in pages(start, last):
        before = one_request(client, counter, url)  # warm-up, and the SQL count
        if before[1] != 200:
            rows.append((url, before[1], 0, 0, 0, 0))
            continue
        times = [one_request(client, counter, url)[0] for _ in range(args.runs)]
        rows.append((url, 200, before[0], statistics.median(times), max(times), before[3]))
    print_table(rows)
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per URL after a warm-up")
    parser.add_argument("--rebook", action="store_true", help="write the journal again")
    return parser.parse_args(argv)


def pages(start, end) -> list[str]:
    period = f"date_from={start}&date_to={end}"
    return [
        f"/admin/accounting/profit-and-loss?{period}",
        f"/admin/accounting/profit-and-loss?{period}&compare=y",
        f"/admin/accounting/profit-and-loss?{period}&format=csv",
        f"/admin/accounting/balance-sheet?at={end}",
        f"/admin/accounting/balance-sheet?at={end}&format=csv",
        f"/admin/accounting/tax-returns?frequency=yearly&day={end}",
        f"/admin/accounting/tax-returns?frequency=quarterly&day={end}",
        f"/admin/accounting/tax-returns?frequency=yearly&day={end}&form=gst&format=csv",
        f"/admin/accounting/trial-balance?{period}",
    ]


# --- the year's journal, in bulk ----------------------------------------------------------

SALE_LINES = """
INSERT INTO journal_lines (entry_id, account_id, date, debit, credit, memo)
SELECT o.id * 2, a.id, e.date, x.debit, x.credit, x.memo
FROM orders o JOIN journal_entries e ON e.id = o.id * 2
CROSS JOIN LATERAL (VALUES
    ('processor_clearing', o.total, 0, 'Order ' || o.number),
    ('sales', 0, o.subtotal, 'Goods'),
    ('shipping_income', 0, o.shipping_total, 'Shipping')
) AS x(role, debit, credit, memo)
JOIN accounts a ON a.role = x.role
WHERE o.paid_at IS NOT NULL AND (x.debit > 0 OR x.credit > 0)
UNION ALL
SELECT t.order_id * 2, a.id, e.date, 0, t.amount, t.component
FROM order_taxes t JOIN orders o ON o.id = t.order_id JOIN journal_entries e ON e.id = o.id * 2
JOIN accounts a ON a.role = 'tax:' || t.component
WHERE o.paid_at IS NOT NULL AND t.amount > 0
"""


def book_the_year(timezone: str) -> None:
    """The entries the services post for each paid order and shipment, in bulk."""
    from shop.extensions import db

    started = time.perf_counter()
    day = "(({col}) AT TIME ZONE :tz)::date"
    statements = [
        "DELETE FROM journal_lines",
        "DELETE FROM journal_entries",
        f"""INSERT INTO journal_entries (id, date, description, source_type, source_key,
                order_id, created_at)
            SELECT id * 2, {day.format(col="paid_at")}, 'Sale, order ' || number, 'sale',
                'sale:order:' || id, id, paid_at
            FROM orders WHERE paid_at IS NOT NULL""",
        SALE_LINES,
        f"""INSERT INTO journal_entries (id, date, description, source_type, source_key,
                order_id, created_at)
            SELECT id * 2 + 1, {day.format(col="paid_at")}, 'Demo fee, order ' || number,
                'payment_fee', 'fee:bench:' || id, id, paid_at
            FROM orders WHERE paid_at IS NOT NULL""",
        f"""INSERT INTO journal_lines (entry_id, account_id, date, debit, credit, memo)
            SELECT o.id * 2 + 1, a.id, {day.format(col="o.paid_at")},
                CASE WHEN a.role = 'payment_fees' THEN f.fee ELSE 0 END,
                CASE WHEN a.role = 'payment_fees' THEN 0 ELSE f.fee END, ''
            FROM orders o
            CROSS JOIN LATERAL (SELECT round(o.total * {FEE_PERCENT})::bigint + {FEE_FIXED}
                AS fee) f
            JOIN accounts a ON a.role IN ('payment_fees', 'processor_clearing')
            WHERE o.paid_at IS NOT NULL""",
        f"""INSERT INTO journal_entries (id, date, description, source_type, source_key,
                order_id, created_at)
            SELECT (SELECT max(id) FROM orders) * 2 + 2 + s.id,
                {day.format(col="s.shipped_at")}, 'Cost of goods, shipment ' || s.number,
                'cogs', 'cogs:shipment:' || s.id, s.order_id, s.shipped_at
            FROM shipments s WHERE s.shipped_at IS NOT NULL AND s.cost_of_goods > 0""",
        f"""INSERT INTO journal_lines (entry_id, account_id, date, debit, credit, memo)
            SELECT (SELECT max(id) FROM orders) * 2 + 2 + s.id, a.id,
                {day.format(col="s.shipped_at")},
                CASE WHEN a.role = 'cogs' THEN s.cost_of_goods ELSE 0 END,
                CASE WHEN a.role = 'cogs' THEN 0 ELSE s.cost_of_goods END, ''
            FROM shipments s JOIN accounts a ON a.role IN ('cogs', 'inventory')
            WHERE s.shipped_at IS NOT NULL AND s.cost_of_goods > 0""",
        # A month's stock bought, with 5 % GST as an input tax credit: a bill, in summary.
        """INSERT INTO journal_entries (id, date, description, source_type, source_key,
                created_at)
            SELECT (SELECT max(id) FROM journal_entries) + row_number() OVER (ORDER BY m),
                least((m + interval '1 month' - interval '1 day')::date, (SELECT max(date)
                    FROM journal_entries WHERE source_type = 'sale')), 'Stock bought (summary)',
                'bench', 'bench:purchases:' || to_char(m, 'YYYY-MM'), now()
            FROM (SELECT date_trunc('month', date) AS m FROM journal_entries
                  WHERE source_type = 'cogs' GROUP BY 1) months""",
        """INSERT INTO journal_lines (entry_id, account_id, date, debit, credit, memo)
            SELECT e.id, a.id, e.date,
                CASE a.role WHEN 'inventory' THEN c.cost WHEN 'itc:GST' THEN c.cost / 20
                    ELSE 0 END,
                CASE a.role WHEN 'payable' THEN c.cost + c.cost / 20 ELSE 0 END, ''
            FROM journal_entries e
            JOIN LATERAL (SELECT sum(l.debit) AS cost FROM journal_entries ce
                JOIN journal_lines l ON l.entry_id = ce.id
                JOIN accounts ca ON ca.id = l.account_id AND ca.role = 'cogs'
                WHERE date_trunc('month', ce.date) = date_trunc('month', e.date)) c ON c.cost > 0
            JOIN accounts a ON a.role IN ('inventory', 'itc:GST', 'payable')
            WHERE e.source_type = 'bench'""",
        "SELECT setval(pg_get_serial_sequence('journal_entries', 'id'), "
        "(SELECT max(id) FROM journal_entries))",
    ]
    for statement in statements:
        db.session.execute(sa.text(statement), {"tz": timezone} if ":tz" in statement else {})
    db.session.commit()
    # What autovacuum soon does after a bulk load: statistics, and the visibility map that
    # lets the statements read the index on account and date alone.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE journal_entries"))
        conn.execute(sa.text("VACUUM ANALYZE journal_lines"))
    print(f"books: the year's journal written in {time.perf_counter() - started:.1f} s")


def print_counts(start, end) -> None:
    from shop.extensions import db

    entries, lines = db.session.execute(
        sa.text(
            "SELECT count(DISTINCT e.id), count(*) FROM journal_entries e "
            "JOIN journal_lines l ON l.entry_id = e.id"
        )
    ).one()
    unbalanced = db.session.scalar(
        sa.text(
            "SELECT count(*) FROM (SELECT entry_id FROM journal_lines GROUP BY entry_id "
            "HAVING sum(debit) <> sum(credit)) x"
        )
    )
    print(f"journal: {entries:,} entries, {lines:,} lines ({unbalanced} unbalanced); "
          f"the year {start} to {end}")  # fmt: skip


def print_figures(start, end) -> None:
    from shop.accounting import statements
    from shop.books import tax_returns

    pl = statements.profit_and_loss(start, end)
    print(f"P&L {start} to {end}: sales {pl.sales / 100:,.2f}, returns {pl.returns / 100:,.2f}, "
          f"shipping {pl.shipping / 100:,.2f}, cost of goods {pl.cost_of_goods.total / 100:,.2f}, "
          f"gross profit {pl.gross_profit / 100:,.2f}, expenses {pl.expenses.total / 100:,.2f}, "
          f"net income {pl.net_income / 100:,.2f}")  # fmt: skip
    bs = statements.balance_sheet(end)
    print(f"balance sheet at {end}: assets {bs.assets.total / 100:,.2f} = liabilities "
          f"{bs.liabilities.total / 100:,.2f} + equity {bs.equity.total / 100:,.2f} "
          f"({'balances' if bs.balances else 'DOES NOT BALANCE'})")  # fmt: skip
    year = tax_returns.filing_period(tax_returns.YEARLY, end)
    gst = tax_returns.gst_return(*year)
    qst = tax_returns.qst_return(*year)
    print(f"GST34 {year[0]} to {year[1]}: " + ", ".join(
        f"{n} {gst.line(n) / 100:,.2f}" for n in ("101", "103", "106", "109")
    ) + f"; QST 203 {qst.line('203') / 100:,.2f}, 209 {qst.line('209') / 100:,.2f}")  # fmt: skip


def print_table(rows) -> None:
    width = max(len(r[0]) for r in rows)
    print(f"\n{'URL':<{width}}  {'first':>7}  {'median':>7}  {'max':>7}  {'SQL':>4}  verdict")
    for url, status, first, median, slowest, sql in rows:
        if status != 200:
            print(f"{url:<{width}}  status {status}")
            continue
        verdict = "ok" if median < TARGET_MS else "SLOW"
        print(f"{url:<{width}}  {first:>7.0f}  {median:>7.0f}  {slowest:>7.0f}  {sql:>4}  "
              f"{verdict}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
