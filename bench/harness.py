"""What the benchmarks share: a database for the run, starting and stopping servers,
Ctrl-C handling, and a buyer's browser.

Servers run in process groups of their own (start_new_session), so a master and its
workers stop together; every wait is bounded in time. The buyer goes through the whole
checkout over HTTP with CSRF on, as bench/checkout.py and bench/scale_out.py drive it.
"""

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent


# --- servers ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def start_server(
    name: str, app: str, env: dict, workdir: Path, workers: int, threads: int = 1,
    cwd: Path = ROOT,
) -> Server:  # fmt: skip
    """gunicorn serving `app` (importable from `cwd`, the repository root unless told):
    `workers` processes, of `threads` threads each (gthread)."""
    port = free_port()
    log = workdir / f"{name}.log"
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    command += ["--log-level", "warning", "--error-logfile", str(log), app]
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: we stop master and workers together
    )
    return Server(name, process, port, log)


def wait_until_serving(server: Server, path: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(server.url(path), timeout=5) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not start:\n{server.log.read_text()[-3000:]}")


def stop_server(server: Server) -> None:
    stop_process(server.process)


def stop_process(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM to the process's group (it was started in a session of its own), then
    SIGKILL if it is still there after `timeout` seconds."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


def store_env(database_url: str, **settings: str) -> dict:
    """The store's environment under gunicorn: production settings, answering on
    127.0.0.1 only, a fresh secret key; `settings` adds or overrides (STORE_...)."""
    return {
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
        "STORE_ENV": "production",  # production settings: no mail delivery after requests
        "STORE_BASE_URL": "http://127.0.0.1",
        "SECRET_KEY": secrets.token_hex(32),
        **settings,
    }


@contextlib.contextmanager
def interrupted_by_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM both raise KeyboardInterrupt inside, so the caller's finally
    stops its servers (SIGINT explicitly too: a shell starting us in the background would
    otherwise have it ignored); the previous handlers come back afterwards."""

    def on_term(signum, frame):
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, on_term) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- databases --------------------------------------------------------------------------


def _pg_base(pg_url: str) -> sa.URL:
    return sa.engine.make_url(pg_url).set(drivername="postgresql+psycopg")


def fresh_pg_schema(pg_url: str, schema: str) -> str:
    """An empty schema in the PostgreSQL database (dropped first if it is there); returns
    the URL whose search_path is that schema."""
    admin = sa.create_engine(_pg_base(pg_url))
    with admin.begin() as conn:
        # the search index's pg_trgm, in public for every schema (the path ends there)
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = _pg_base(pg_url).update_query_dict({"options": f"-csearch_path={schema},public"})
    return url.render_as_string(hide_password=False)


def drop_pg_schema(pg_url: str, schema: str) -> None:
    engine = sa.create_engine(_pg_base(pg_url))
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def analyze_if_postgresql(engine: sa.Engine) -> None:
    """Fresh statistics after a bulk seed, so the planner sees the real table sizes."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))


def load_average() -> str:
    return f"{' '.join(f'{n:.2f}' for n in os.getloadavg())} ({os.cpu_count()} CPUs)"


# --- buyers -----------------------------------------------------------------------------

GOOD_CARD = "4242424242424242"
ADDRESSES = [
    {"full_name": "Gail Guest", "line1": "100 Queen St W", "city": "Toronto",
     "province": "ON", "postal_code": "M5H 2N2"},
    {"full_name": "Bruno Buyer", "line1": "800 Robson St", "city": "Vancouver",
     "province": "BC", "postal_code": "V6Z 2E7"},
    {"full_name": "Chantal Client", "line1": "275 Notre-Dame St E", "city": "Montreal",
     "province": "QC", "postal_code": "H2Y 1C6"},
    {"full_name": "Nora Newcomer", "line1": "1841 Argyle St", "city": "Halifax",
     "province": "NS", "postal_code": "B3J 3A5"},
]  # fmt: skip
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
REVIEWED = re.compile(r'name="reviewed" type="hidden" value="([0-9a-f]+)"')
FLASH = re.compile(r'<div class="flash flash-(\w+)"[^>]*>([^<]*)</div>')

# (step, method, started, ended, response or None, failure reason or ""); the times are
# time.perf_counter() values. A bench counts and times every request through it.
RequestHook = Callable[[str, str, float, float, "requests.Response | None", str], None]


@dataclass(frozen=True)
class Item:
    variant_id: int
    sku: str
    path: str  # the product page, showing this variant
    on_hand: int
    backorderable: bool


class Failed(Exception):
    """A request that failed: an error status, an error page or an unexpected answer."""

    def __init__(self, step: str, reason: str):
        super().__init__(f"{step}: {reason}")
        self.step, self.reason = step, reason


@dataclass
class Plan:
    lines: list[tuple[Item, int]]
    address: dict
    service_id: int


@dataclass
class Outcome:
    paid: bool = False
    number: str = ""
    place_ms: float | None = None
    requests: int = 0
    turned_away: int = 0  # lines refused at add to cart: sold out
    refused: bool = False  # the last units went to another buyer before placing
    failure: Failed | None = None
    step_ms: dict[str, list[float]] = field(default_factory=dict)  # server time by step


class StepsBuyer:
    """One customer's browser: a cookie jar, the CSRF token of its session, no redirects.

    This one goes through the checkout in steps, as the store did before the one page
    (address, delivery, review, place, pay): bench.one_page runs it against that code."""

    def __init__(self, base: str, plan: Plan, on_request: "RequestHook | None" = None):
        self.base, self.plan = base, plan
        self.http = requests.Session()
        self.outcome = Outcome()
        self.token = ""
        self.pay_path = ""
        self.on_request = on_request

    def call(self, step: str, method: str, path: str, expect: tuple[int, ...], **kw):
        self.outcome.requests += 1
        started = time.perf_counter()
        try:
            kw.setdefault("allow_redirects", False)
            response = self.http.request(method, self.base + path, timeout=60, **kw)
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
            if self.on_request:
                self.on_request(step, method, started, time.perf_counter(), None, error)
            raise Failed(step, error) from None
        ended = time.perf_counter()
        self.outcome.step_ms.setdefault(step, []).append((ended - started) * 1000)
        failed = response.status_code not in expect
        reason = f"HTTP {response.status_code} {flash_or_title(response.text)}" if failed else ""
        if self.on_request:
            self.on_request(step, method, started, ended, response, reason)
        if failed:
            raise Failed(step, reason)
        return response

    def post(self, step: str, path: str, data: dict, expect=(302, 303), **kw):
        return self.call(step, "POST", path, expect, data={"csrf_token": self.token, **data}, **kw)

    def add_items(self) -> int:
        """Product page and add to cart for each line; returns how many lines went in.

        The buyer opens product pages until one has the add-to-cart form (for the
        session's CSRF token); a page without it is an item sold out: turned away.
        """
        added = 0
        for item, quantity in self.plan.lines:
            if not self.token:
                page = self.call("product page", "GET", item.path, (200,)).text
                token = CSRF.search(page)
                if token is None and not item.backorderable and "cannot be ordered" in page:
                    self.outcome.turned_away += 1
                    continue
                if token is None:
                    raise Failed("product page", f"no add-to-cart form on {item.path}")
                self.token = token.group(1)
            line = {"variant_id": str(item.variant_id), "quantity": str(quantity)}
            # The page it came from: a refusal redirects back there, a success to the cart.
            referer = {"Referer": self.base + item.path}
            response = self.post("add to cart", "/cart/add", line, headers=referer)
            if path_of(response) == "/cart/":
                added += 1
            elif path_of(response) == item.path and not item.backorderable:
                self.outcome.turned_away += 1  # sold out: the customer buys the rest
            else:
                raise Failed("add to cart", f"redirected to {path_of(response)}")
        if added:  # where adding led: the cart, with its "Check out" button
            self.call("cart", "GET", "/cart/", (200,))
        return added

    def prepare(self) -> None:
        """Today's steps up to the review: the items, the cart, address, delivery."""
        if not self.add_items():
            return
        response = self.post("address", "/checkout/", self.plan.address)
        self.expect_redirect("address", response, "/checkout/delivery")
        if self.outcome.refused:
            return
        delivery = {"service": str(self.plan.service_id), "policy": "ship_complete"}
        self.expect_redirect(
            "delivery", self.post("delivery", "/checkout/delivery", delivery), "/checkout/review"
        )

    def ready(self) -> bool:
        """Something in the cart, and no step sent the buyer back for a sold-out item."""
        return not self.outcome.refused and self.outcome.turned_away < len(self.plan.lines)

    def place(self) -> None:
        """GET the review, then POST place order (timed); a sold-out refusal is no failure."""
        response = self.call("review", "GET", "/checkout/review", (200, 302))
        if response.status_code == 302:  # cannot be placed as it is: sold out since?
            self.check_refusal("review", response)
            return
        reviewed = REVIEWED.search(response.text)
        if reviewed is None:
            raise Failed("review", f"no review form: {flash_or_title(response.text)}")
        self.send_order("/checkout/review", {"reviewed": reviewed.group(1)})

    def send_order(self, path: str, data: dict) -> None:
        """Place the order, timed; then on to payment, or find the refusal's reason."""
        started = time.perf_counter()
        response = self.post("place order", path, data)
        self.outcome.place_ms = (time.perf_counter() - started) * 1000
        if response.status_code == 303 and path_of(response).startswith("/checkout/pay/"):
            self.pay_path = path_of(response)
            self.outcome.number = self.pay_path.rsplit("/", 1)[1]
            return
        self.check_refusal("place order", response)

    def check_refusal(self, step: str, response) -> None:
        """The page a refusal leads to says why; only "sold out" is expected."""
        final = self.call(f"{step}: why", "GET", path_of(response), (200,), allow_redirects=True)
        message = flash_or_title(final.text)
        if final.status_code == 200 and any(" left" in m for _k, m in FLASH.findall(final.text)):
            self.outcome.refused = True  # someone bought the last units first
            return
        raise Failed(step, f"refused: {message}")

    def pay(self) -> None:
        response = self.post("pay", self.pay_path, {"card_number": GOOD_CARD})
        location = path_of(response)
        if not location.startswith(f"/orders/{self.outcome.number}"):
            raise Failed("pay", f"redirected to {location}")
        self.outcome.paid = True

    def expect_redirect(self, step: str, response, path: str) -> None:
        if path_of(response) == "/cart/":  # back to the cart: something sold out meanwhile?
            self.check_refusal(step, response)
        elif path_of(response) != path:
            raise Failed(step, f"redirected to {path_of(response)}, not {path}")


class Buyer(StepsBuyer):
    """The one-page checkout: the items and the cart, the checkout page, the address
    typed (re-priced in the background, as store.js does), place order, pay."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.page = ""

    def choice(self) -> dict:
        return {"service": str(self.plan.service_id), "policy": "ship_complete"}

    def prepare(self) -> None:
        if not self.add_items():
            return
        response = self.call("checkout page", "GET", "/checkout/", (200, 302))
        if response.status_code == 302:  # back to the cart: something sold out meanwhile?
            self.check_refusal("checkout page", response)
            return
        data = {**self.plan.address, **self.choice(), "action": "update"}
        headers = {"X-Requested-With": "reprice"}
        response = self.post("re-price", "/checkout/", data, expect=(200, 204), headers=headers)
        if response.status_code == 204:  # told to go back to the cart: sold out meanwhile?
            self.expect_redirect("re-price", response, "/checkout/")
            return
        self.page = response.text

    def place(self) -> None:
        """POST "Place order and pay" with the figures shown (timed)."""
        reviewed = REVIEWED.search(self.page)
        if reviewed is None:
            raise Failed("re-price", f"no figures shown: {flash_or_title(self.page)}")
        data = {**self.plan.address, **self.choice(), "action": "place"}
        self.send_order("/checkout/", {**data, "reviewed": reviewed.group(1)})


def path_of(response) -> str:
    """The Location of a redirect (or where store.js is told to go), as a path (Werkzeug
    may send it absolute)."""
    location = response.headers.get("Location") or response.headers.get("X-Location", "")
    return re.sub(r"^https?://[^/]+", "", location)


def flash_or_title(html: str) -> str:
    flashes = [m for _kind, m in FLASH.findall(html)]
    if flashes:
        return " / ".join(flashes)[:200]
    title = re.search(r"<title>([^<]*)</title>", html)
    return (title.group(1) if title else html[:120]).strip()
