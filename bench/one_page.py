"""The one-page checkout against the checkout in steps, side by side in one run.

    git worktree add /tmp/bench-before <commit before the one page>
    python -m bench.one_page --before /tmp/bench-before \\
        --pg-url postgresql://postgres@127.0.0.1:5432/test_onepage
    git worktree remove /tmp/bench-before

Rounds alternate: "before" (gunicorn with its working directory and PYTHONPATH in the
other worktree, so it imports that code: checked by asking it) with today's 8-request
checkout (product page, add to cart, cart, address, delivery, review, place order,
pay), then "after" (this checkout's code) with the one page (product page, add to
cart, cart, checkout page, its re-price, place order, pay). Each run gets a fresh
PostgreSQL schema seeded the same way (bench.checkout's seed, same random seed), the
same buyers, a warm-up, and the stock check afterwards. See bench/README.md.
"""

import argparse
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.checkout import (
    Shop,
    check_stock,
    make_plans,
    run_whole,
    seed,
    start_store,
    summarise,
)
from bench.harness import (
    ROOT,
    Buyer,
    StepsBuyer,
    drop_pg_schema,
    fresh_pg_schema,
    interrupted_by_signals,
    load_average,
    stop_server,
    wait_until_serving,
)

PG_SCHEMA = "bench_one_page"
TARGET_RATIO = 2.0  # the one page: at least twice the orders per second


def imported_from(root: Path) -> str:
    """Where the store's code comes from when run as the bench runs it in `root`."""
    command = [sys.executable, "-c", "import shop; print(shop.__file__)"]
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def run_side(side: str, root: Path, args, round_no: int) -> dict:
    """One run: a fresh schema, the store of `root`, warm-up, then the measured buyers."""
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-one-page-{side}-"))
    server = None
    try:
        url = fresh_pg_schema(args.pg_url, PG_SCHEMA)
        shop = seed(url, workdir, args)
        server = start_store(url, workdir, args, root=root)
        wait_until_serving(server, shop.items[0].path)
        base = server.url("")
        buyer_class = StepsBuyer if side == "before" else Buyer
        rng = random.Random(args.seed)
        plenty = [i for i in shop.items if i.on_hand >= 20]
        warm = make_plans(
            Shop(plenty, plenty[:30], shop.hot, shop.service_ids), args.warm_up, 0, rng, 0
        )
        warm_outcomes, _ = run_whole(base, warm, args.clients, buyer_class)
        load = load_average()
        plans = make_plans(shop, args.orders, 1, rng, args.hot_share)
        outcomes, seconds = run_whole(base, plans, args.clients, buyer_class)
        phase = summarise(side, outcomes + [], seconds)
        paid = {o.number for o in warm_outcomes + outcomes if o.paid}
        problems = check_stock(url, shop, paid)
        warm_failed = [str(o.failure) for o in warm_outcomes if o.failure]
        log = server.log.read_text() if server.log.exists() else ""
        result = {
            "side": side,
            "round": round_no,
            "paid": phase.paid,
            "buyers": phase.buyers,
            "seconds": phase.seconds,
            "orders_per_sec": phase.orders_per_sec,
            "requests": phase.requests,
            "requests_per_order": phase.requests / max(phase.paid, 1),
            "failures": [str(f) for f in phase.failures] + warm_failed,
            "sold_out": phase.turned_away + phase.refused,
            "problems": problems,
            "server_errors": "Traceback" in log,
            "load_before": load,
            "step_ms": phase.step_ms,
        }
        print(
            f"  round {round_no} {side:<6}: {phase.paid} paid of {phase.buyers} in "
            f"{phase.seconds:.1f} s = {phase.orders_per_sec:.1f} orders/s, "
            f"{result['requests_per_order']:.1f} requests per paid order, "
            f"{len(result['failures'])} failed, stock {'OK' if not problems else 'PROBLEMS'}"
            f" (load {load})",
            flush=True,
        )
        return result
    finally:
        if server is not None:
            stop_server(server)
        shutil.rmtree(workdir, ignore_errors=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.one_page", description=__doc__)
    parser.add_argument("--before", required=True, help="a worktree of the code before")
    parser.add_argument("--pg-url", required=True, help=f"PostgreSQL; schema {PG_SCHEMA} in it")
    parser.add_argument("--rounds", type=int, default=2, help="before/after pairs")
    parser.add_argument("--orders", type=int, default=150, help="buyers in each run")
    parser.add_argument("--clients", type=int, default=16, help="buyers at the same time")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread)")
    parser.add_argument("--products", type=int, default=100, help="products of 3 variants")
    parser.add_argument("--variants", type=int, default=3, choices=[1, 2, 3])
    parser.add_argument("--hot-share", type=float, default=0.3)
    parser.add_argument("--warm-up", type=int, default=16, help="orders before measuring")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    before = Path(args.before).resolve()
    sides = {"before": before, "after": ROOT}
    for side, root in sides.items():
        source = imported_from(root)
        print(f"{side}: gunicorn imports {source}")
        if not source.startswith(str(root) + "/"):
            print(f"The {side} store would not import the code of {root}.", file=sys.stderr)
            return 2
    results = []
    try:
        with interrupted_by_signals():
            for round_no in range(1, args.rounds + 1):
                order = ("before", "after") if round_no % 2 else ("after", "before")
                for side in order:
                    results.append(run_side(side, sides[side], args, round_no))
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    finally:
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            drop_pg_schema(args.pg_url, PG_SCHEMA)
    return report(args, results)


def report(args, results: list[dict]) -> int:
    print()
    print(
        f"One-page checkout vs checkout in steps, PostgreSQL; {args.orders} buyers per run, "
        f"{args.clients} at a time; gunicorn {args.workers} workers x {args.threads} threads;"
        " demo payments; runs alternate."
    )
    header = f"{'side':<7} {'round':>5} {'paid':>5} {'failed':>6} {'orders/s':>8} {'req/order':>9}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['side']:<7} {r['round']:5d} {r['paid']:5d} {len(r['failures']):6d}"
            f" {r['orders_per_sec']:8.1f} {r['requests_per_order']:9.1f}"
        )
    rates = {
        side: statistics.median(r["orders_per_sec"] for r in results if r["side"] == side)
        for side in ("before", "after")
    }
    ratio = rates["after"] / rates["before"]
    failed = sum(len(r["failures"]) for r in results)
    problems = sum(len(r["problems"]) for r in results)
    errors = sum(r["server_errors"] for r in results)
    print("Mean time of a request by step, ms (requests), last run of each side:")
    for side in ("before", "after"):
        last = [r for r in results if r["side"] == side][-1]
        steps = ", ".join(f"{k} {ms:.0f} ({n})" for k, (n, ms) in last["step_ms"].items())
        print(f"  {side}: {steps}")
    for r in results:
        for failure in r["failures"][:5]:
            print(f"  failed ({r['side']} round {r['round']}): {failure}")
    verdict = "reaches" if ratio >= TARGET_RATIO else "does NOT reach"
    print(
        f"Median orders/s: before {rates['before']:.1f}, after {rates['after']:.1f}: "
        f"x{ratio:.2f} - {verdict} the x{TARGET_RATIO:.0f} target."
    )
    print(f"Failed requests: {failed}; stock problems: {problems}; server tracebacks: {errors}.")
    out = ROOT / "bench" / "results" / f"one-page-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)

    out.write_text(json.dumps({"args": vars(args), "runs": results}, indent=2, default=str))
    print(f"Results written to {out.relative_to(ROOT)}")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
