"""Benchmark the storefront's catalogue pages against the house yardstick page.

    python -m bench.catalogue                       # SQLite in a temp folder
    python -m bench.catalogue --database-url postgresql://postgres@127.0.0.1:5432/test

Builds a 10,000-variant catalogue, serves the store and the yardstick
(../shared/bench/baseline/app.py, seeded and served as ../shared/bench/README.md
says) with gunicorn (2 workers each), measures them with wrk in alternating runs
(yardstick, store page, yardstick, store page...) and prints requests/second,
latency, failures and the median store/yardstick ratios. See bench/README.md.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlalchemy as sa

from bench.harness import (
    Server,
    analyze_if_postgresql,
    drop_pg_schema,
    fresh_pg_schema,
    interrupted_by_signals,
    load_average,
    start_server,
    stop_server,
    store_env,
    wait_until_serving,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET_RATIO = 0.5
PG_SCHEMA = "bench_catalogue"
# The house yardstick, beside the repository (CI and other machines have ../shared too):
# a bare Flask + SQLAlchemy category page of 24 products out of 10,000, one indexed query.
YARDSTICK = ROOT.parent / "shared" / "bench" / "baseline"
YARDSTICK_PAGE = "/c/3"  # the page ../shared/bench/README.md measures


# --- wrk ---------------------------------------------------------------------------------


@dataclass
class WrkRun:
    requests_per_sec: float
    latency_avg_ms: float
    latency_p50_ms: float
    latency_p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * _UNITS[unit]


def parse_wrk(output: str) -> WrkRun:
    """The figures of one `wrk --latency` run."""

    def find(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            if default is None:
                raise ValueError(f"wrk output without {pattern!r}:\n{output}")
            return default
        return match.group(1)

    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkRun(
        requests_per_sec=float(find(r"^Requests/sec:\s+([\d.]+)")),
        latency_avg_ms=_ms(find(r"^\s+Latency\s+(\S+)")),
        latency_p50_ms=_ms(find(r"^\s+50%\s+(\S+)")),
        latency_p99_ms=_ms(find(r"^\s+99%\s+(\S+)")),
        requests=int(find(r"^\s+(\d+) requests in")),
        non_2xx=int(find(r"Non-2xx or 3xx responses:\s+(\d+)", "0")),
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
    )


def run_wrk(url: str, args) -> WrkRun:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    command += ["--latency", url]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout)


# --- servers -----------------------------------------------------------------------------


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def yardstick_folder() -> Path:
    """../shared/bench/baseline, or SystemExit with a message saying what is missing."""
    if not (YARDSTICK / "app.py").is_file():
        raise SystemExit(
            f"The yardstick page is missing: {YARDSTICK / 'app.py'} does not exist. Page speed "
            "is a ratio against ../shared/bench/baseline/ (the house yardstick, beside the "
            "repository); check out or copy the shared folder next to this repository."
        )
    return YARDSTICK


def seed_yardstick(folder: Path, workdir: Path) -> dict:
    """Its own database, seeded by its own command; returns the environment it serves with."""
    env = {"BASELINE_DB": str(workdir / "baseline.sqlite")}
    command = [sys.executable, "-m", "flask", "--app", "app:create_app", "seed"]
    done = subprocess.run(
        command, cwd=folder, env={**os.environ, **env}, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"Seeding the yardstick failed:\n{done.stderr[-3000:]}")
    return env


# --- database ----------------------------------------------------------------------------


def prepare_database(args, workdir: Path) -> str:
    """An empty database for the run: a file in the temp folder, or a fresh schema."""
    if args.database_url:
        return fresh_pg_schema(args.database_url, PG_SCHEMA)
    return f"sqlite:///{workdir / 'bench.db'}"


def seed(url: str, workdir: Path, args):
    """Tables from the models, then the catalogue in bulk; returns (app, Catalogue)."""
    from bench import data
    from shop import create_app
    from shop.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(workdir / "instance")})
    with app.app_context():
        db.create_all()
        with db.engine.begin() as conn:
            catalogue = data.build(
                conn, products=args.products, variants_per_product=args.variants, seed=args.seed
            )
        analyze_if_postgresql(db.engine)
    return app, catalogue


def count_queries(app, path: str) -> int:
    """SQL statements one request for `path` runs, counted in-process."""
    from shop.extensions import db

    counted = []

    def before_cursor_execute(_conn, _cursor, statement, *_args):
        # pysqlite's transaction control (BEGIN) is not a query of the page.
        if statement.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            counted.append(statement)

    with app.app_context():
        engine = db.engine
    client = app.test_client()
    # At the store's own address: another Host is refused (TRUSTED_HOSTS) before any query.
    base_url = app.config["BASE_URL"]
    client.get(path, base_url=base_url)  # warm: the first request loads templates, metadata
    sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        response = client.get(path, base_url=base_url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code} in-process")
    return len(counted)


# --- the benchmark -----------------------------------------------------------------------


@dataclass
class PageResult:
    label: str
    server: str
    path: str
    queries: int | None
    runs: list[WrkRun] = field(default_factory=list)
    # requests/second of the yardstick run just before each of this page's runs
    paired_yardstick_rps: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return statistics.median(r.requests_per_sec for r in self.runs)

    @property
    def failures(self) -> int:
        return sum(r.non_2xx + r.socket_errors for r in self.runs)

    def median(self, name: str) -> float:
        return statistics.median(getattr(r, name) for r in self.runs)

    @property
    def ratio(self) -> float:
        """Median of store/yardstick over the (yardstick, store) pairs run back to back."""
        if not self.paired_yardstick_rps:
            return 1.0
        pairs = zip(self.runs, self.paired_yardstick_rps, strict=True)
        return statistics.median(run.requests_per_sec / base for run, base in pairs if base)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.catalogue", description=__doc__)
    parser.add_argument("--database-url", help="PostgreSQL URL; a schema bench_catalogue is used")
    parser.add_argument("--products", type=int, default=2500)
    parser.add_argument("--variants", type=int, default=4, help="variants per product")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--rounds", type=int, default=3)
    # wrk -t1 -c8 -d8s: as ../shared/bench/README.md measures the yardstick.
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder and database")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk).", file=sys.stderr)
        return 2
    try:
        folder = yardstick_folder()
    except SystemExit as missing:
        print(missing, file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="bench-catalogue-"))
    servers: list[Server] = []
    try:
        with interrupted_by_signals():
            return _run(args, folder, workdir, servers)
    except KeyboardInterrupt:
        print("\nInterrupted; stopping the servers.", file=sys.stderr)
        return 130
    finally:
        for server in servers:
            stop_server(server)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
            if args.database_url:
                with contextlib.suppress(sa.exc.SQLAlchemyError):
                    drop_pg_schema(args.database_url, PG_SCHEMA)


def _run(args, folder: Path, workdir: Path, servers: list[Server]) -> int:
    url = prepare_database(args, workdir)
    started = time.perf_counter()
    app, catalogue = seed(url, workdir, args)
    yardstick_env = seed_yardstick(folder, workdir)
    print(
        f"Seeded {catalogue.products:,} products, {catalogue.variants:,} variants and "
        f"{catalogue.categories} categories in {time.perf_counter() - started:.1f} s "
        f"({sa.engine.make_url(url).get_backend_name()}, {workdir})."
    )
    print(f"Load average at the start: {load_average()}")
    if (ROOT / "instance" / "config.py").exists():
        print("Note: instance/config.py exists and applies to the store under test.")

    category = f"/c/{catalogue.category_slug}"
    pages = [
        PageResult("yardstick (shared)", "yardstick", YARDSTICK_PAGE, 1),
        PageResult("store category", "store", category, count_queries(app, category)),
        PageResult("store product", "store", f"/p/{catalogue.product_slug}", None),
        PageResult("store search", "store", f"/search?q={catalogue.search_word}", None),
        # a plural with facets ticked, and a typo answered with "Did you mean"
        PageResult("store search, filtered", "store", "/search?q=jackets&stock=in&size=M", None),
        PageResult("store search, typo", "store", "/search?q=sleping+bag", None),
    ]
    for page in pages[2:]:
        page.queries = count_queries(app, page.path)

    store = store_env(url)
    servers.append(start_server("store", "shop:create_app()", store, workdir, args.workers))
    yardstick = start_server(
        "yardstick", "app:create_app()", yardstick_env, workdir, args.workers, cwd=folder
    )
    servers.append(yardstick)
    by_name = {s.name: s for s in servers}
    for page in pages:
        wait_until_serving(by_name[page.server], page.path)
    _check_full_pages(by_name, pages[0].path, category)

    warm_up = argparse.Namespace(**{**vars(args), "duration": 2})
    for page in pages:  # every worker imports, compiles templates and fills caches
        run_wrk(by_name[page.server].url(page.path), warm_up)
    base, store_pages = pages[0], pages[1:]
    for round_no in range(1, args.rounds + 1):
        for page in store_pages:
            # Alternate A B A B: a yardstick run before each store run, so drift hits both.
            for measured in (base, page):
                run = run_wrk(by_name[measured.server].url(measured.path), args)
                measured.runs.append(run)
                if measured is page:
                    page.paired_yardstick_rps.append(base.runs[-1].requests_per_sec)
                failed = run.non_2xx + run.socket_errors
                print(
                    f"  round {round_no}: {measured.label:<24} {run.requests_per_sec:8.1f} req/s"
                    f"  p50 {run.latency_p50_ms:6.1f} ms  failed {failed}"
                )
    return report(args, catalogue, pages, url)


def _check_full_pages(by_name: dict, yardstick_page: str, category: str) -> None:
    """Both category pages must list a full page (24 products), or the ratio means little."""
    for name, path in (("yardstick", yardstick_page), ("store", category)):
        status, html = fetch(by_name[name].url(path))
        if status != 200:
            raise RuntimeError(f"{name} answered {status} for {path}")
        listed = len(set(re.findall(r'href="/p/([^"?]+)"', html)))
        if listed != 24:
            raise RuntimeError(f"{name} lists {listed} products on {path}, not 24")


def report(args, catalogue, pages: list[PageResult], url: str) -> int:
    header = (
        f"{'page':<24} {'queries':>7} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'avg ms':>7}"
        f" {'failed':>6} {'ratio':>6}"
    )
    print()
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.rounds} rounds, "
        f"gunicorn {args.workers} sync workers per server, medians of the runs; "
        f"'ratio' is the median of store/yardstick over back-to-back pairs"
    )
    print(f"Load average at the end: {load_average()}")
    print(header)
    print("-" * len(header))
    for page in pages:
        ratio = page.ratio
        print(
            f"{page.label:<24} {page.queries if page.queries is not None else '-':>7}"
            f" {page.rps:8.1f} {page.median('latency_p50_ms'):7.1f}"
            f" {page.median('latency_p99_ms'):7.1f} {page.median('latency_avg_ms'):7.1f}"
            f" {page.failures:6d} {ratio:6.2f}"
        )
    print()
    for page in pages[1:]:
        ratio = page.ratio
        reached = ratio >= TARGET_RATIO
        verdict = "reaches" if reached else "does NOT reach"
        print(f"{page.label}: {ratio:.2f} of the yardstick - {verdict} the {TARGET_RATIO} target.")
    failed = sum(p.failures for p in pages)
    total = sum(r.requests for p in pages for r in p.runs)
    if failed:
        print(f"FAILED requests: {failed} of {total} (non-2xx/3xx or socket errors).")
    else:
        print(f"No request failed ({total:,} requests, no non-2xx/3xx, no socket errors).")

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backend = sa.engine.make_url(url).get_backend_name()
    out = RESULTS / f"catalogue-{backend}-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "args": vars(args) | {"database_url": bool(args.database_url)},
                "catalogue": asdict(catalogue),
                "pages": [
                    {
                        "label": p.label,
                        "path": p.path,
                        "queries": p.queries,
                        "rps": p.rps,
                        "ratio": p.ratio,
                        "runs": [asdict(r) for r in p.runs],
                    }
                    for p in pages
                ],
            },
            indent=2,
        )  # fmt: skip
    )
    print(f"Results written to {out.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
