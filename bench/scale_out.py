"""The two-host proof: nginx in front of two gunicorn hosts, one PostgreSQL, one Redis,
job workers, mail over SMTP and media on S3, with faults injected while people shop.

    python -m bench.scale_out                       # 120 s of load, 40 buyers
    python -m bench.scale_out --seconds 90 --buyers 40 --keep

Everything runs on 127.0.0.1: a fresh PostgreSQL database (`scale_out`), Redis db 9,
moto's S3 server, an aiosmtpd server the bench counts, nginx (Debian's package) and
two `gunicorn -w 2` hosts with instance folders of their own, and two job workers.
Buyers, browsers, a warehouse clerk and the owner work through nginx while one
gunicorn worker is killed, the database drops every connection, the mail server
and a job worker stop for a minute. Afterwards the data is checked and a table of
figures printed. See bench/README.md.
"""

import argparse
import contextlib
import email
import email.policy
import hashlib
import io
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html
import requests
import sqlalchemy as sa

from bench.harness import (
    ADDRESSES,
    Buyer,
    Failed,
    Item,
    Plan,
    Server,
    flash_or_title,
    free_port,
    load_average,
    path_of,
    stop_process,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
BUCKET = "scale-out-media"
STAFF_PASSWORD = "maple-pine-demo"  # shop/demo/people.py: every demo staff account's password
OWNER, WAREHOUSE = "owner@example.com", "warehouse@example.com"
LIVE = ("pending_payment", "paid", "partially_shipped", "shipped")  # orders holding stock
# A request counts as "in flight at a kill" when the kill fell between its start and its
# end, give or take this much (the clocks are the same; the margin is for the scheduler).
IN_FLIGHT_MARGIN = 0.25


# --- the clock and the record of every request ---------------------------------------------


@dataclass
class Record:
    actor: str
    step: str
    method: str
    started: float  # seconds from the start of the load
    ended: float
    status: int | None  # None: no answer (connection reset, timeout)
    failure: str  # "" when the answer was the one expected
    upstream: str  # the gunicorn host nginx chose (X-Upstream), when it answered


@dataclass
class Fault:
    at: float
    kind: str  # kill_worker, terminate_backends, smtp_down, smtp_up, worker_down, worker_up
    detail: str


class Run:
    """What the threads share: the clock, the stop flag, the records."""

    def __init__(self):
        self.t0 = time.perf_counter()
        self.wall_t0 = time.time()
        self.stop = threading.Event()
        self.records: list[Record] = []
        self.faults: list[Fault] = []
        self.outcomes = []  # the buyers' Outcome objects
        self.retried_pay: list[str] = []  # orders whose pay was sent again after a failure
        self.notes: list[str] = []
        self.lock = threading.Lock()

    def now(self) -> float:
        return time.perf_counter() - self.t0

    def hook(self, actor: str):
        def on_request(step, method, started, ended, response, failure):
            upstream = response.headers.get("X-Upstream", "") if response is not None else ""
            record = Record(
                actor,
                step,
                method,
                started - self.t0,
                ended - self.t0,
                response.status_code if response is not None else None,
                failure,
                upstream,
            )
            with self.lock:
                self.records.append(record)

        return on_request

    def fault(self, kind: str, detail: str) -> None:
        with self.lock:
            self.faults.append(Fault(self.now(), kind, detail))
        print(f"  [{self.now():6.1f} s] {kind}: {detail}", flush=True)

    def note(self, text: str) -> None:
        with self.lock:
            self.notes.append(f"[{self.now():6.1f} s] {text}")


class Client:
    """A browser for staff and visitors: cookies, redirects not followed, every request
    recorded through the run's hook (the same one the buyers use)."""

    def __init__(self, base: str, actor: str, run: Run):
        self.base, self.actor, self.run = base, actor, run
        self.http = requests.Session()
        self.on_request = run.hook(actor)

    def call(self, step, method, url, expect=(200,), **kw):
        url = url if url.startswith("http") else self.base + url
        kw.setdefault("allow_redirects", False)
        started = time.perf_counter()
        try:
            response = self.http.request(method, url, timeout=60, **kw)
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
            self.on_request(step, method, started, time.perf_counter(), None, error)
            raise Failed(step, error) from None
        failed = response.status_code not in expect
        reason = f"HTTP {response.status_code} {flash_or_title(response.text)}" if failed else ""
        self.on_request(step, method, started, time.perf_counter(), response, reason)
        if failed:
            raise Failed(step, reason)
        return response

    def submit(self, step, page_path, action_ends, changes=None, files=None, expect=(302, 303)):
        """GET a page, fill in the form whose action ends with `action_ends` as a browser
        sends it (hidden CSRF token, selected options, ticked boxes), change some fields,
        POST it. Returns the answer."""
        page = self.call(f"{step} (page)", "GET", page_path)
        form = find_form(page.text, action_ends, page_path)
        if form is None:
            raise Failed(step, f"no form ending {action_ends!r} on {page_path}")
        values = dict(form.form_values())
        values.update(changes or {})
        action = form.get("action") or page_path
        return self.call(step, "POST", action, expect, data=values, files=files)


def find_form(html: str, action_ends: str, page_path: str = ""):
    """The page's form that posts to an address ending with `action_ends` (a form
    without an action posts to the page itself)."""
    doc = lxml.html.fromstring(html)
    for form in doc.forms:
        action = form.get("action") or page_path
        if form.method.upper() == "POST" and action.split("?")[0].endswith(action_ends):
            return form
    return None


# --- the children: servers, workers, nginx, moto --------------------------------------------


class Children:
    """Every process the bench starts, each in a process group of its own; stopped in the
    reverse order at the end, whatever happened."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it)
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self.procs[name] = process
        return process

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, name: str, sig=signal.SIGTERM, timeout: float = 20) -> None:
        process = self.procs.get(name)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_process(process, timeout=5)

    def stop_all(self) -> None:
        for name in reversed(list(self.procs)):
            stop_process(self.procs[name], timeout=15)


def wait_for(what: str, probe, timeout: float, process: subprocess.Popen | None = None):
    """Call probe() until it returns something true; bounded in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        with contextlib.suppress(OSError, requests.RequestException):
            result = probe()
            if result:
                return result
        time.sleep(0.3)
    raise RuntimeError(f"{what} not ready after {timeout:.0f} s")


def healthy(port: int) -> bool:
    """GET /healthz (200 when the app and what it needs answer); / where it is missing."""
    url = f"http://127.0.0.1:{port}"
    response = requests.get(url + "/healthz", timeout=5)
    if response.status_code == 404:
        response = requests.get(url + "/", timeout=5)
    return response.status_code == 200


def gunicorn_host(children: Children, name: str, env: dict, workdir: Path, workers: int):
    port = free_port()
    instance = workdir / name
    instance.mkdir()
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    command += ["--graceful-timeout", "10", "--log-level", "warning", "shop:create_app()"]
    process = children.start(name, command, {**env, "STORE_INSTANCE_PATH": str(instance)})
    return Server(name, process, port, workdir / f"{name}.log")


def job_worker(children: Children, name: str, env: dict, workdir: Path) -> subprocess.Popen:
    instance = workdir / name
    instance.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "flask", "--app", "shop", "jobs", "worker"]
    if not JOBS_WORKER:
        command = [sys.executable, "-c", STAND_IN_WORKER]
    return children.start(name, command, {**env, "STORE_INSTANCE_PATH": str(instance)})


JOBS_WORKER = True  # set by _run: False while `flask jobs worker` is not there yet
# Until the store has its job worker: a loop delivering the outbox, as `flask outbox deliver`.
STAND_IN_WORKER = """
import time
from shop import create_app
from shop.notifications.delivery import deliver_pending
app = create_app()
while True:
    with app.app_context():
        try:
            deliver_pending(100)
        except Exception as exc:  # e.g. its connection terminated: try again
            print("delivery failed:", repr(exc)[:200], flush=True)
        finally:
            from shop.extensions import db
            db.session.remove()
    time.sleep(2)
"""


def worker_pids(server: Server) -> list[int]:
    """The gunicorn master's children: its worker processes."""
    path = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


NGINX_CONF = """\
{user}
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format bench '$msec $status $request_time $upstream_addr $upstream_status "$request"';
    access_log {dir}/nginx-access.log bench;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size 10m;
    upstream store {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://store;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 60s;
            # Which host answered, for the bench to count (both must serve).
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


def start_nginx(children: Children, hosts: list[Server], workdir: Path, port: int) -> int:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    folder = workdir / "nginx"
    folder.mkdir()
    conf = NGINX_CONF.format(
        # As root, nginx's workers would switch to "nobody", who cannot write our folder.
        user="user root;" if os.geteuid() == 0 else "",
        dir=folder,
        port=port,
        servers="\n".join(f"        server 127.0.0.1:{h.port};" for h in hosts),
    )
    (folder / "nginx.conf").write_text(conf)
    command = [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf")]
    command += ["-e", str(folder / "nginx-error.log")]
    process = children.start("nginx", command, dict(os.environ))
    wait_for("nginx", lambda: healthy(port), 30, process)
    return port


def start_moto(children: Children) -> int:
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    process = children.start("moto", command, dict(os.environ))
    wait_for(
        "moto", lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/").status, 30, process
    )
    return port


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )


# --- the mail server -------------------------------------------------------------------


class MailServer:
    """aiosmtpd on a fixed port; stopped and started again on the same port. Keeps the
    Message-ID of every message it accepted."""

    def __init__(self, run: Run):
        self.port = free_port()
        self.run = run
        self.received: list[tuple[float, str, str]] = []  # (time, Message-ID, subject)
        self.controller = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(
                (self.run.now(), str(message["Message-ID"]), str(message["Subject"]))
            )
        return "250 Message accepted"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


# --- the database -------------------------------------------------------------------------


def admin_engine():
    return sa.create_engine(
        f"{PG_SERVER.replace('postgresql', 'postgresql+psycopg')}/postgres",
        isolation_level="AUTOCOMMIT",
    )


def recreate_database(name: str) -> None:
    engine = admin_engine()
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def drop_database(name: str) -> None:
    engine = admin_engine()
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def flask(args: list[str], env: dict, timeout: float = 300) -> str:
    command = [sys.executable, "-m", "flask", "--app", "shop", *args]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def has_command(env: dict, *words: str) -> bool:
    command = [sys.executable, "-m", "flask", "--app", "shop", *words, "--help"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=120)
    return done.returncode == 0


@dataclass
class Store:
    """What the bench reads from the seeded store before the load."""

    items: list[Item]
    scarce: list[Item]  # 5 units or fewer: buyers race for the last ones
    service_ids: list[int]
    categories: list[str]
    product_ids: list[int]
    image: str  # a seeded image's file name
    skus: list[str]
    outbox_before: int  # the last outbox message before the load
    orders_before: int


def read_store(engine) -> Store:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT v.id, v.sku, p.slug, s.on_hand - s.allocated AS free, p.backorderable,"
                " p.id AS product_id FROM variants v JOIN products p ON p.id = v.product_id"
                " JOIN stock_levels s ON s.variant_id = v.id"
                " WHERE v.is_active AND p.is_active ORDER BY v.id"
            )
        ).all()
        items = [
            Item(r.id, r.sku, f"/p/{r.slug}?variant={r.id}", r.free, r.backorderable) for r in rows
        ]
        services = list(conn.execute(sa.text("SELECT id FROM shipping_services")).scalars())
        categories = list(conn.execute(sa.text("SELECT slug FROM categories")).scalars())
        image = conn.execute(sa.text("SELECT filename FROM product_images ORDER BY id")).scalar()
        outbox = conn.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM outbox_messages")).scalar()
        orders = conn.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM orders")).scalar()
    return Store(
        items=[i for i in items if i.on_hand > 0 or i.backorderable],
        scarce=[i for i in items if 0 < i.on_hand <= 5],
        service_ids=services,
        categories=categories,
        product_ids=sorted({r.product_id for r in rows}),
        image=image,
        skus=[r.sku for r in rows],
        outbox_before=outbox,
        orders_before=orders,
    )


# --- the people ---------------------------------------------------------------------------


def make_plan(store: Store, rng: random.Random, n: int) -> Plan:
    chosen: dict[int, tuple[Item, int]] = {}
    if store.scarce and rng.random() < 0.3:
        item = rng.choice(store.scarce)
        chosen[item.variant_id] = (item, 1)
    while len(chosen) < rng.choice([1, 1, 2, 3]):
        item = rng.choice(store.items)
        chosen[item.variant_id] = (item, rng.choice([1, 1, 1, 2]))
    lines = list(chosen.values())
    rng.shuffle(lines)
    address = {"email": f"scale-{n}-{secrets.token_hex(3)}@example.com", **rng.choice(ADDRESSES)}
    return Plan(lines, address, rng.choice(store.service_ids))


def actor(target):
    """A thread's loop that reports a mistake of the bench itself and carries on, instead
    of dying quietly (every loop still ends when the run stops)."""

    def loop(*args):
        run = next(a for a in args if isinstance(a, Run))
        while not run.stop.is_set():
            try:
                target(*args)
                return
            except Exception as exc:  # noqa: BLE001 (reported, then the actor starts over)
                run.note(f"{target.__name__}: bench error {exc!r}")
                run.stop.wait(2)

    loop.__name__ = target.__name__
    return loop


def actor_thread(target, *args) -> threading.Thread:
    return threading.Thread(target=actor(target), args=args, name=target.__name__, daemon=True)


def buyer_loop(n: int, base: str, store: Store, run: Run, seed: int) -> None:
    """Whole checkouts one after another until the run stops; a checkout under way is
    finished (each request is bounded by its timeout)."""
    rng = random.Random(seed * 1000 + n)
    count = 0
    while not run.stop.is_set():
        count += 1
        buyer = Buyer(base, make_plan(store, rng, n * 10000 + count), run.hook(f"buyer {n}"))
        try:
            buyer.prepare()
            if buyer.ready():
                buyer.place()
                if buyer.pay_path:
                    pay(buyer, run)
        except Failed as failure:
            buyer.outcome.failure = failure
            time.sleep(0.5)  # as a person would, before trying again
        with run.lock:
            run.outcomes.append(buyer.outcome)


def pay(buyer: Buyer, run: Run) -> None:
    """Pay; when the answer is lost (a worker killed under it), pay again once, as a
    customer reloads: a paid order answers with its page, an unpaid one is charged."""
    try:
        buyer.pay()
    except Failed as failure:
        if not failure.reason.startswith(("HTTP 5", "ConnectionError", "ReadTimeout", "Chunked")):
            raise
        time.sleep(1)
        buyer.http.close()
        run.retried_pay.append(buyer.outcome.number)
        buyer.pay()


def browse_loop(n: int, base: str, store: Store, run: Run) -> None:
    """A visitor: home, a category, a search, a product page, an image."""
    rng = random.Random(n)
    client = Client(base, f"browser {n}", run)
    words = ["tent", "wool", "coffee", "jacket", "mug", "socks"]
    while not run.stop.is_set():
        try:
            client.call("home", "GET", "/")
            client.call("category", "GET", f"/c/{rng.choice(store.categories)}")
            client.call("search", "GET", f"/search?q={rng.choice(words)}")
            client.call("product", "GET", rng.choice(store.items).path)
            client.call("image", "GET", f"/media/{store.image}", (200, 302, 303))
        except Failed:
            time.sleep(0.5)
        run.stop.wait(0.3)


def log_in(client: Client, email_address: str, password: str, secret: str | None) -> None:
    response = client.submit(
        "log in", "/account/login", "/account/login", {"email": email_address, "password": password}
    )
    if secret:
        import pyotp

        code_page = path_of(response)
        client.submit("sign-in code", code_page, code_page, {"code": pyotp.TOTP(secret).now()})
    client.call("dashboard", "GET", "/admin/")


def warehouse_loop(base: str, store: Store, run: Run, seconds: float) -> None:
    """The warehouse: orders a restock from a supplier, packs and ships paid orders one
    after another, and receives the restock half way through."""
    client = Client(base, "warehouse", run)
    po_path = None
    received = False
    while not run.stop.is_set():
        try:
            if not client.http.cookies:
                log_in(client, WAREHOUSE, STAFF_PASSWORD, None)
            if po_path is None:
                po_path = order_restock(client, store)
            if not received and run.now() > seconds / 2:
                client.submit("receive", f"{po_path}/receive", "/receive")
                received = True
                run.note(f"warehouse received {po_path}")
            ship_one(client, run)
        except Failed as failure:
            run.note(f"warehouse: {failure}")
            time.sleep(1)
        run.stop.wait(0.5)


def order_restock(client: Client, store: Store) -> str:
    page = client.call("new PO (page)", "GET", "/admin/purchase-orders/new").text
    form = find_form(page, "/purchase-orders/new", "/admin/purchase-orders/new")
    supplier = next(o.get("value") for o in form.inputs["supplier_id"] if o.get("value"))
    response = client.call(
        "new PO",
        "POST",
        "/admin/purchase-orders/new",
        (302, 303),
        data={**dict(form.form_values()), "supplier_id": supplier},
    )
    po_path = path_of(response)
    line = {"sku": store.skus[0], "quantity": "12", "unit_cost": "9.50"}
    client.submit("PO line", po_path, "/lines", line)
    client.submit("send PO", po_path, "/send")
    return po_path


def ship_one(client: Client, run: Run) -> None:
    page = client.call("to pack", "GET", "/admin/fulfilment/to-pack").text
    if find_form(page, "/start") is None:
        return
    started = client.submit("start shipment", "/admin/fulfilment/to-pack", "/start")
    shipment = path_of(started)
    if "/admin/shipments/" not in shipment:
        run.note(f"start shipment went to {shipment}")
        return
    client.submit("confirm shipment", shipment, "/confirm")
    with run.lock:
        run.shipped = getattr(run, "shipped", 0) + 1


def owner_loop(
    base: str, host_a: Server, store: Store, run: Run, secret: str, seconds: float
) -> None:
    """The owner: edits a product, uploads an image straight to host A once, looks at
    the dashboard and a report now and then."""
    client = Client(base, "owner", run)
    product = store.product_ids[0]
    uploaded = False
    edits = 0
    while not run.stop.is_set():
        try:
            if not client.http.cookies:
                log_in(client, OWNER, STAFF_PASSWORD, secret)
            edits += 1
            client.submit(
                "edit product",
                f"/admin/products/{product}/edit",
                "/edit",
                {"description": f"Edited by the scale-out bench ({edits})."},
            )
            if not uploaded and run.now() > seconds / 3:
                upload_image(client, host_a, product, run)
                uploaded = True
            client.call("dashboard", "GET", "/admin/")
            client.call("report", "GET", "/admin/reports/sales?period=30d")
        except Failed as failure:
            run.note(f"owner: {failure}")
            time.sleep(1)
        run.stop.wait(5)


def upload_image(client: Client, host: Server, product: int, run: Run) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (random.randrange(256), 90, 40)).save(buffer, "PNG")
    page = f"{host.url('')}/admin/products/{product}/images/new"
    client.submit(
        "upload image (host A)",
        page,
        "/images/new",
        {"alt": "Uploaded during the scale-out bench"},
        files={"image": ("bench.png", buffer.getvalue(), "image/png")},
    )
    run.uploaded_through = host.name
    run.note(f"owner uploaded an image through {host.name} (port {host.port})")


# --- the faults -------------------------------------------------------------------------


@dataclass
class Faults:
    children: Children
    hosts: list[Server]
    mail: MailServer
    worker_env: dict
    workdir: Path
    database: str
    run: Run

    def kill_worker(self, host: Server) -> None:
        pids = worker_pids(host)
        if not pids:
            self.run.fault("kill_worker", f"{host.name}: no worker found")
            return
        os.kill(pids[0], signal.SIGKILL)
        self.run.fault("kill_worker", f"SIGKILL gunicorn worker {pids[0]} of {host.name}")

    def terminate_backends(self) -> None:
        engine = admin_engine()
        with engine.connect() as conn:
            killed = conn.execute(
                sa.text(
                    "SELECT COUNT(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": self.database},
            ).scalar()
        engine.dispose()
        self.run.fault("terminate_backends", f"pg_terminate_backend: {killed} connections")

    def smtp_down(self) -> None:
        self.mail.stop()
        self.run.fault("smtp_down", f"SMTP server on port {self.mail.port} stopped")

    def smtp_up(self) -> None:
        self.mail.start()
        self.run.fault("smtp_up", f"SMTP server started again on port {self.mail.port}")

    def worker_down(self) -> None:
        self.children.stop("worker-1", signal.SIGTERM, timeout=30)
        code = self.children.procs["worker-1"].returncode
        self.run.fault("worker_down", f"job worker 1 stopped by SIGTERM (exit {code})")

    def worker_up(self) -> None:
        job_worker(self.children, "worker-1", self.worker_env, self.workdir)
        self.run.fault("worker_up", "job worker 1 started again")


def fault_plan(faults: Faults, seconds: float, outage: float) -> list[tuple[float, object]]:
    """When each fault happens, in seconds from the start of the load."""
    a, b = faults.hosts
    return sorted(
        [
            (0.08 * seconds, faults.smtp_down),
            (0.08 * seconds + outage, faults.smtp_up),
            (0.15 * seconds, lambda: faults.kill_worker(a)),
            (0.25 * seconds, faults.terminate_backends),
            (0.30 * seconds, faults.worker_down),
            (0.30 * seconds + outage, faults.worker_up),
            (0.65 * seconds, lambda: faults.kill_worker(b)),
            (0.85 * seconds, faults.terminate_backends),
        ],
        key=lambda pair: pair[0],
    )


def fault_loop(plan, run: Run) -> None:
    for at, action in plan:
        while run.now() < at:
            if run.stop.wait(min(0.2, at - run.now())):
                return
        try:
            action()
        except Exception as exc:  # a fault that could not be made is reported, not fatal
            run.fault("error", f"{getattr(action, '__name__', 'fault')}: {exc!r}")


# --- the checks ---------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    problems: list[str] = field(default_factory=list)


def check_orders(engine, store: Store, run: Run) -> tuple[Check, dict]:
    confirmed = {o.number for o in run.outcomes if o.paid}
    placed = {o.number for o in run.outcomes if o.number}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT number, status, paid_at FROM orders WHERE id > :before"),
            {"before": store.orders_before},
        ).all()
    paid = {r.number for r in rows if r.paid_at is not None}
    statuses = Counter(r.status for r in rows)
    problems = [f"paid in the database, never confirmed: {n}" for n in sorted(paid - confirmed)]
    problems += [f"confirmed to a buyer, not paid: {n}" for n in sorted(confirmed - paid)]
    figures = {
        "placed": len(placed),
        "paid_in_db": len(paid),
        "confirmed": len(confirmed),
        "statuses": dict(statuses),
        "pay_retried": len(run.retried_pay),
    }
    detail = f"{len(paid)} paid in the database, {len(confirmed)} confirmed to buyers"
    return Check("orders paid = orders confirmed", not problems and bool(paid), detail, problems), (
        figures
    )


def check_stock(engine) -> list[Check]:
    with engine.connect() as conn:
        bad = conn.execute(
            sa.text(
                "SELECT v.sku, s.on_hand, s.allocated FROM stock_levels s"
                " JOIN variants v ON v.id = s.variant_id"
                " WHERE s.on_hand < 0 OR s.allocated < 0 OR s.allocated > s.on_hand"
            )
        ).all()
        backordered = conn.execute(
            sa.text(
                "SELECT o.number, v.sku, l.quantity_backordered FROM order_lines l"
                " JOIN orders o ON o.id = l.order_id JOIN variants v ON v.id = l.variant_id"
                " JOIN products p ON p.id = v.product_id"
                f" WHERE NOT p.backorderable AND l.quantity_backordered > 0"
                f" AND o.status IN {LIVE!r}"
            )
        ).all()
        ledger = conn.execute(
            sa.text(
                "SELECT v.sku, s.on_hand, COALESCE(m.total, 0) AS total FROM stock_levels s"
                " JOIN variants v ON v.id = s.variant_id LEFT JOIN (SELECT variant_id,"
                " SUM(quantity) AS total FROM stock_movements GROUP BY variant_id) m"
                " ON m.variant_id = s.variant_id WHERE s.on_hand <> COALESCE(m.total, 0)"
            )
        ).all()
        variants = conn.execute(sa.text("SELECT COUNT(*) FROM stock_levels")).scalar()
        movements = conn.execute(sa.text("SELECT COUNT(*) FROM stock_movements")).scalar()
    oversold = [f"{r.sku}: on_hand {r.on_hand}, allocated {r.allocated}" for r in bad]
    oversold += [
        f"{r.number} {r.sku}: {r.quantity_backordered} backordered, not backorderable"
        for r in backordered
    ]
    drift = [f"{r.sku}: on_hand {r.on_hand}, movements add up to {r.total}" for r in ledger]
    return [
        Check("0 oversold", not oversold, f"{len(oversold)} of {variants} variants", oversold),
        Check(
            "on_hand = sum of movements",
            not drift,
            f"{variants} variants, {movements} movements, {len(drift)} off",
            drift,
        ),
    ]


def check_invoices(engine) -> Check:
    with engine.connect() as conn:
        numbers = list(conn.execute(sa.text("SELECT number FROM invoices")).scalars())
    series: dict[str, list[int]] = defaultdict(list)
    for number in numbers:
        prefix, _, seq = number.rpartition("-")
        series[prefix].append(int(seq))
    problems = []
    for prefix, seqs in sorted(series.items()):
        expected = list(range(1, len(seqs) + 1))
        if sorted(seqs) != expected:
            missing = sorted(set(expected) - set(seqs))[:10]
            problems.append(f"{prefix}: {len(seqs)} numbers up to {max(seqs)}, missing {missing}")
    ranges = ", ".join(f"{p}-000001..{max(s):06d}" for p, s in sorted(series.items()))
    return Check("invoices gapless", not problems, f"{len(numbers)} invoices ({ranges})", problems)


IMAGES = {".png", ".jpg", ".jpeg", ".webp", ".gif"}
OUTBOX_ID = re.compile(r"<outbox\.(\d+)\.")


def attempts(count: int) -> str:
    return f"{count} attempt{'' if count == 1 else 's'}"


def email_state(engine, store: Store, mail: MailServer) -> dict:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT id, status, attempts, next_attempt_at FROM outbox_messages"
                " WHERE id > :before"
            ),
            {"before": store.outbox_before},
        ).all()
    with mail.lock:
        received = [OUTBOX_ID.search(mid) for _t, mid, _s in mail.received]
    got = Counter(int(m.group(1)) for m in received if m)
    sent = {r.id for r in rows if r.status == "sent"}
    return {
        "outbox": len(rows),
        "by_status": dict(Counter(r.status for r in rows)),
        "sent": sent,
        "waiting": {
            r.id: f"{r.status}, {attempts(r.attempts)}, next at {r.next_attempt_at:%H:%M:%S}"
            for r in rows
            if r.status not in ("sent", "failed")
        },
        "received": sum(got.values()),
        "duplicates": {i: n for i, n in got.items() if n > 1},
        "missing": sent - set(got),
        "unexpected": set(got) - sent,
    }


def wait_for_mail(engine, store: Store, mail: MailServer, grace: float) -> tuple[dict, float]:
    """Give the workers time to deliver what is due (retries included); bounded."""
    started = time.monotonic()
    state = email_state(engine, store, mail)
    while time.monotonic() - started < grace:
        if not state["waiting"] and not state["missing"]:
            break
        time.sleep(3)
        state = email_state(engine, store, mail)
    return state, time.monotonic() - started


def check_emails(state: dict) -> Check:
    problems = [f"outbox {i} received {n} times" for i, n in sorted(state["duplicates"].items())]
    problems += [f"outbox {i} marked sent, never received" for i in sorted(state["missing"])]
    problems += [f"outbox {i} received, not marked sent" for i in sorted(state["unexpected"])]
    problems += [f"outbox {i} still waiting: {w}" for i, w in sorted(state["waiting"].items())]
    detail = (
        f"{len(state['sent'])} sent, {state['received']} received, "
        f"{len(state['duplicates'])} duplicated, {len(state['missing'])} missing, "
        f"{len(state['waiting'])} waiting; outbox {state['by_status']}"
    )
    ok = not problems and bool(state["sent"])
    return Check("every email delivered exactly once", ok, detail, problems)


def check_images(engine, hosts: list[Server], store: Store, endpoint: str, workdir: Path) -> Check:
    with engine.connect() as conn:
        last = conn.execute(
            sa.text(
                "SELECT filename FROM product_images WHERE id = (SELECT MAX(id) FROM"
                " product_images)"
            )
        ).scalar()
    problems, seen = [], []
    names = [store.image] + ([last] if last and last != store.image else [])
    if len(names) < 2:
        problems.append("no image was uploaded during the run")
    for name in names:
        bodies = {}
        for host in hosts:
            response = requests.get(host.url(f"/media/{name}"), timeout=30)
            if response.status_code != 200:
                problems.append(f"{host.name} answered {response.status_code} for /media/{name}")
                continue
            bodies[host.name] = hashlib.sha256(response.content).hexdigest()[:12]
        if len(set(bodies.values())) != 1 or len(bodies) != len(hosts):
            problems.append(f"/media/{name}: {bodies}")
        seen.append(f"{name} {'/'.join(sorted(set(bodies.values())))}")
    keys = []
    with contextlib.suppress(Exception):
        listing = s3_client(endpoint).list_objects_v2(Bucket=BUCKET)
        keys = [o["Key"] for o in listing.get("Contents", [])]
    in_bucket = sum(any(k.endswith(n) for k in keys) for n in names)
    # Nothing shared by accident: no host keeps image files of its own.
    local = sum(1 for h in hosts for f in (workdir / h.name).rglob("*") if f.suffix in IMAGES)
    detail = (
        f"{len(names)} images, same bytes from both hosts; {in_bucket} of them in the bucket,"
        f" {local} image files in the hosts' instance folders"
    )
    return Check("images served by both hosts", not problems, detail, problems)


def in_flight_at_kill(record: Record, faults: list[Fault]) -> Fault | None:
    for fault in faults:
        if fault.kind in ("kill_worker", "terminate_backends") and (
            record.started - IN_FLIGHT_MARGIN <= fault.at <= record.ended + IN_FLIGHT_MARGIN
        ):
            return fault
    return None


def check_failures(run: Run) -> Check:
    failed = [r for r in run.records if r.failure]
    stray = [r for r in failed if in_flight_at_kill(r, run.faults) is None]
    problems = [
        f"{r.started:6.1f}-{r.ended:.1f} s {r.actor} {r.step}: {r.failure[:140]}" for r in stray
    ]
    detail = f"{len(failed)} failed, {len(failed) - len(stray)} of them in flight at a kill"
    return Check("failed requests only those in flight at a kill", not stray, detail, problems)


def check_periodic(engine, run: Run) -> Check:
    """Each periodic job ran once per period (job_runs, shop/jobs): no period twice, and
    while at least one worker's scheduler ran, no period of an every-N-minutes job missed."""
    from shop.jobs.schedule import SCHEDULE, Every

    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT name, period, COUNT(*) AS runs, MIN(host) AS host FROM job_runs"
                " WHERE period NOT LIKE 'asked:%' GROUP BY name, period"
            )
        ).all()
    twice = [f"{r.name} {r.period}: {r.runs} runs" for r in rows if r.runs > 1]
    # Whole minutes from the first after the load began to the one before this check.
    first, last = int(run.wall_t0 // 60) + 1, int(time.time() // 60) - 1
    since = minute_period(first)
    missing = []
    for name, when in SCHEDULE.items():
        periods = {r.period for r in rows if r.name == name}
        if isinstance(when, Every):
            missing += [
                f"{name} {minute_period(m)}: no run"
                for m in range(first, last + 1)
                if m % when.minutes == 0 and minute_period(m) not in periods
            ]
    in_window = [r for r in rows if r.period >= since or len(r.period) == 10]
    per_job = Counter(r.name for r in in_window)
    hosts = Counter(r.host for r in in_window)
    detail = (
        f"{len(in_window)} periods since {since} (daily jobs: today), each run "
        f"{'once' if not twice else 'more than once'}: "
        + ", ".join(f"{name} {n}" for name, n in sorted(per_job.items()))
        + f"; claimed by {dict(hosts)}"
    )
    ok = not twice and not missing and bool(in_window)
    return Check("periodic jobs once per period", ok, detail, twice + missing)


def minute_period(minute: int) -> str:
    """The period name shop.jobs.schedule.Every gives the UTC minute `minute`."""
    return time.strftime("%Y-%m-%dT%H:%M", time.gmtime(minute * 60))


def server_errors(children: Children) -> dict[str, int]:
    return {
        name: children.log(name).count("Traceback")
        for name in children.procs
        if name.startswith(("host", "worker"))
    }


# --- figures ----------------------------------------------------------------------------


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def figures(run: Run, seconds: float, args) -> dict:
    records = run.records
    latencies = [(r.ended - r.started) * 1000 for r in records if r.status is not None]
    upstreams = Counter(r.upstream for r in records if r.upstream)
    buyers = [r for r in records if r.actor.startswith("buyer")]
    return {
        "duration_s": seconds,
        "buyers": args.buyers,
        "browsers": args.browsers,
        "requests": len(records),
        "buyer_requests": len(buyers),
        "requests_per_s": len(records) / seconds if seconds else 0.0,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "failed": sum(1 for r in records if r.failure),
        "upstreams": dict(upstreams),
        "shipped": getattr(run, "shipped", 0),
        "sold_out": sum(o.turned_away + o.refused for o in run.outcomes),
    }


def answered_by(upstreams: dict, hosts: list[Server]) -> str:
    """Requests per host, and those nginx sent on to the other host ("a, b")."""
    names = {f"127.0.0.1:{h.port}": h.name for h in hosts}
    parts = [f"{names.get(k, k)} {v}" for k, v in sorted(upstreams.items()) if "," not in k]
    retried = sum(v for k, v in upstreams.items() if "," in k)
    return ", ".join(parts) + f"; {retried} retried by nginx on the other host"


def report(figs, orders, email, checks, run, mail_wait, errors, args, load, hosts) -> int:
    at_kill = sum(1 for r in run.records if r.failure and in_flight_at_kill(r, run.faults))
    print()
    print(
        f"Scale-out proof: nginx -> 2 gunicorn hosts x {args.workers} workers, PostgreSQL "
        f"{args.database}, Redis, 2 job workers, SMTP (aiosmtpd), S3 (moto). Load: {load}"
    )
    rows = [
        ("duration", f"{figs['duration_s']:.1f} s of load"),
        ("buyers / browsers / staff", f"{figs['buyers']} / {figs['browsers']} / 2"),
        ("requests", f"{figs['requests']} ({figs['buyer_requests']} by buyers)"),
        ("requests/s", f"{figs['requests_per_s']:.1f}"),
        ("latency p50 / p95", f"{figs['p50_ms']:.0f} ms / {figs['p95_ms']:.0f} ms"),
        ("answered by", answered_by(figs["upstreams"], hosts)),
        ("failed requests", f"{figs['failed']} ({at_kill} in flight at a kill)"),
        (
            "orders placed / paid / confirmed",
            f"{orders['placed']} / {orders['paid_in_db']} / {orders['confirmed']}"
            f" (pay sent again {orders['pay_retried']}x)",
        ),
        ("orders by status", ", ".join(f"{k} {v}" for k, v in sorted(orders["statuses"].items()))),
        ("orders shipped by the warehouse", str(figs["shipped"])),
        ("sold out (turned away, expected)", str(figs["sold_out"])),
        (
            "emails sent / received / duplicates",
            f"{len(email['sent'])} / {email['received']} / {len(email['duplicates'])}"
            f" (waited {mail_wait:.0f} s after the load)",
        ),
        ("tracebacks in server logs", ", ".join(f"{k} {v}" for k, v in errors.items())),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    print("Faults (seconds from the start of the load):")
    for fault in run.faults:
        print(f"  {fault.at:6.1f}  {fault.kind:<19} {fault.detail}")
    failed = [r for r in run.records if r.failure]
    if failed:
        print("Failed requests in flight at a kill:")
        for r in failed:
            at = in_flight_at_kill(r, run.faults)
            if at:
                print(
                    f"  {r.started:6.1f}-{r.ended:6.1f} s  {r.actor:<10} {r.method:<4} {r.step:<16}"
                    f" {r.failure[:60]}  [{at.kind} at {at.at:.1f} s]"
                )
        stray = defaultdict(list)
        for r in failed:
            if not in_flight_at_kill(r, run.faults):
                stray[(r.step, r.failure.split(" - ")[0][:60])].append(r.started)
        if stray:
            print("Failed requests NOT in flight at a kill (by step and answer):")
        for (step, answer), times in sorted(stray.items(), key=lambda kv: kv[1][0]):
            print(
                f" {len(times):4d} x {step:<18} {answer:<58} at {min(times):.1f}-{max(times):.1f} s"
            )
    print("Checks:")
    for check in checks:
        print(f"  {'PASS' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
        for problem in check.problems[:10]:
            print(f"          - {problem}")
    if run.notes:
        print("Notes:")
        for note in run.notes[:20]:
            print(f"  {note}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"scale_out-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "args": vars(args),
                "figures": figs,
                "orders": orders,
                "emails": {k: (sorted(v) if isinstance(v, set) else v) for k, v in email.items()},
                "checks": [c.__dict__ for c in checks],
                "faults": [f.__dict__ for f in run.faults],
                "failed": [r.__dict__ for r in failed],
                "notes": run.notes,
            },
            indent=2,
            default=str,
        )
    )
    print(f"Results written to {out.relative_to(ROOT)}")
    return 0 if all(c.ok for c in checks) else 1


# --- the bench ----------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale_out",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=120, help="length of the load")
    parser.add_argument("--buyers", type=int, default=40, help="buyers at the same time")
    parser.add_argument("--browsers", type=int, default=4, help="visitors who only look")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    parser.add_argument("--outage", type=float, default=60, help="seconds SMTP/a worker is down")
    parser.add_argument(
        "--grace", type=float, default=300, help="at most this long for the mail after the load"
    )
    parser.add_argument("--database", default="scale_out", help="PostgreSQL database (scale_*)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database and temp folder")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"scale_\w+", args.database):
        parser.error("--database must be named scale_something (it is dropped and created)")
    if args.seconds < args.outage + 20:
        parser.error("--seconds must be at least --outage + 20")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        print("nginx is not installed (apt-get install -y nginx-light).", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="bench-scale-out-"))
    children = Children(workdir)
    run = Run()
    mail = MailServer(run)

    def on_term(signum, frame):
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, on_term) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _run(args, workdir, children, mail, run)
    except KeyboardInterrupt:
        print("\nInterrupted; stopping everything.", file=sys.stderr)
        return 130
    finally:
        run.stop.set()
        children.stop_all()
        mail.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if args.keep:
            print(f"Kept {workdir} and database {args.database}.")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                drop_database(args.database)


def _run(args, workdir: Path, children: Children, mail: MailServer, run: Run) -> int:
    started = time.perf_counter()
    print(f"Working in {workdir}; load average {load_average()}")
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    recreate_database(args.database)
    moto_port = start_moto(children)
    endpoint = f"http://127.0.0.1:{moto_port}"
    s3_client(endpoint).create_bucket(Bucket=BUCKET)
    mail.start()
    nginx_port_hint = free_port()  # BASE_URL must name nginx's port before nginx starts
    database_url = f"{PG_SERVER}/{args.database}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "STORE_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "STORE_BASE_URL": f"http://127.0.0.1:{nginx_port_hint}",
        "STORE_PROXY_HOPS": "1",
        "STORE_DEMO_PAYMENTS_ALLOWED": "true",
        "STORE_SESSION_COOKIE_SECURE": "false",  # plain http on 127.0.0.1
        "DATABASE_URL": database_url,
        "REDIS_URL": args.redis_url,
        "SMTP_URL": f"smtp://127.0.0.1:{mail.port}",
        "STORE_MEDIA_STORAGE": "s3",
        "STORE_S3_BUCKET": BUCKET,
        "STORE_S3_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    flask(["db", "upgrade"], {**env, "STORE_INSTANCE_PATH": str(workdir / "migrate")})
    seed_env = {**env, "STORE_ENV": "development", "STORE_INSTANCE_PATH": str(workdir / "seed")}
    seeded = flask(["seed-demo"], seed_env)
    global JOBS_WORKER
    JOBS_WORKER = has_command(env, "jobs", "worker")
    if not JOBS_WORKER:
        print("No `flask jobs worker` in this store: two outbox delivery loops stand in.")
    # A store whose seed writes its images to the bucket leaves no folder to copy.
    seed_images = workdir / "seed" / "images"
    if seed_images.is_dir() and any(seed_images.iterdir()):
        if has_command(seed_env, "media", "copy-to-s3"):
            flask(["media", "copy-to-s3"], seed_env)
        else:
            print("The seed kept its images in its own folder and there is no copy-to-s3: no")
            print("host has them (the image check will say so).")
    secret = re.search(rf"{re.escape(OWNER)}\s.*?\b([A-Z2-7]{{16,}})\s*$", seeded, re.M)
    if secret is None:
        raise RuntimeError(f"no TOTP secret for {OWNER} in the seed's output:\n{seeded}")
    # No pool: the bench's own connections must survive pg_terminate_backend too.
    engine = sa.create_engine(
        database_url.replace("postgresql", "postgresql+psycopg"), poolclass=sa.pool.NullPool
    )
    store = read_store(engine)
    print(
        f"Database {args.database} migrated and seeded ({len(store.items)} variants on sale, "
        f"{len(store.scarce)} scarce) in {time.perf_counter() - started:.0f} s"
    )

    hosts = [gunicorn_host(children, n, env, workdir, args.workers) for n in ("host-a", "host-b")]
    job_worker(children, "worker-1", env, workdir)
    job_worker(children, "worker-2", env, workdir)
    for host in hosts:
        wait_for(host.name, lambda h=host: healthy(h.port), 60, host.process)
    port = start_nginx(children, hosts, workdir, nginx_port_hint)
    base = f"http://127.0.0.1:{port}"
    print(
        f"nginx on {base} -> {', '.join(f'{h.name} :{h.port}' for h in hosts)}; SMTP :"
        f"{mail.port}; S3 {endpoint}. Load for {args.seconds:.0f} s, load average "
        f"{load_average()}"
    )

    faults = Faults(children, hosts, mail, env, workdir, args.database, run)
    run.t0, run.wall_t0 = time.perf_counter(), time.time()
    plan = fault_plan(faults, args.seconds, args.outage)
    threads = [actor_thread(fault_loop, plan, run)]
    buyers = range(args.buyers)
    threads += [actor_thread(buyer_loop, n, base, store, run, args.seed) for n in buyers]
    threads += [actor_thread(browse_loop, n, base, store, run) for n in range(args.browsers)]
    threads.append(actor_thread(warehouse_loop, base, store, run, args.seconds))
    owner = (base, hosts[0], store, run, secret.group(1), args.seconds)
    threads.append(actor_thread(owner_loop, *owner))
    for thread in threads:
        thread.start()
    time.sleep(args.seconds)
    run.stop.set()
    for thread in threads:
        thread.join(timeout=max(1, 90 - (time.perf_counter() - run.t0 - args.seconds)))
    seconds = run.now()
    load = load_average()
    still = [t.name for t in threads if t.is_alive()]
    if still:
        run.note(f"{len(still)} threads still running after the load: {still[:5]}")
    if children.procs["worker-1"].poll() is not None:  # the fault plan restarts it; be sure
        job_worker(children, "worker-1", env, workdir)
    print(f"Load over after {seconds:.0f} s; waiting for the mail (at most {args.grace:.0f} s)")

    state, waited = wait_for_mail(engine, store, mail, args.grace)
    orders_check, orders = check_orders(engine, store, run)
    checks = [
        orders_check,
        *check_stock(engine),
        check_invoices(engine),
        check_emails(state),
        check_images(engine, hosts, store, endpoint, workdir),
        check_failures(run),
        check_periodic(engine, run),
    ]
    errors = server_errors(children)
    engine.dispose()
    return report(
        figures(run, seconds, args), orders, state, checks, run, waited, errors, args, load, hosts
    )


if __name__ == "__main__":
    sys.exit(main())
