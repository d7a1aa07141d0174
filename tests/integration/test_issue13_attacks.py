"""Attacks on issue 13's new work: the job queue and its schedule, Back office > Chores,
document batches, /media/ and uploads, the queued forecast refresh and the streamed
exports. Each test names what it tried; a test that failed before its fix says so in its
docstring."""

import io
import re
import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.exc import IntegrityError

from shop.accounts import roles
from shop.configuration.loading import ConfigurationError
from shop.db import utcnow
from shop.extensions import db
from shop.jobs import runs, schedule
from shop.jobs.models import DONE, FAILED, RUNNING, JobRun
from shop.jobs.queue import ask, tick
from shop.jobs.registry import JOBS
from shop.jobs.schedule import SCHEDULE
from shop.notifications.models import SENT, OutboxMessage
from tests.conftest import PG_URL, app_on, log_in, make_app
from tests.factories import ProductFactory, UserFactory
from tests.integration.backoffice_helpers import flashes, text_of
from tests.integration.media_helpers import photo, png
from tests.integration.test_jobs import inbox, write_mail  # noqa: F401  (inbox: a fixture)
from tests.integration.test_outbox import free_port

TORONTO = ZoneInfo("America/Toronto")


def signed_in(app, user):
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    return client


def all_runs():
    db.session.expire_all()
    return db.session.scalars(sa.select(JobRun).order_by(JobRun.id)).all()


# A job queue on Redis at a port where nothing listens (Redis down).
DEAD_REDIS = {"JOBS_BACKEND": "redis", "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}


# --- Back office > Chores ---------------------------------------------------------------


def test_the_chores_page_opens_with_every_job_registered(app, staff):
    """Failed before the fix: documents.batch (added to JOBS by the batches) has no title,
    so GET /admin/chores was a KeyError, a 500 for the owner."""
    page = signed_in(app, staff[roles.OWNER]).get("/admin/chores")
    assert page.status_code == 200
    assert 'data-chore="documents.batch"' not in text_of(page)  # not a chore: it needs a batch


def test_run_now_refuses_a_job_that_is_not_a_chore(app, staff):
    """documents.batch is a job, not a chore: "Run now" on it ran make_batch() without its
    batch id (a TypeError recorded as a failed run) and then a KeyError on its title."""
    owner = signed_in(app, staff[roles.OWNER])
    response = owner.post("/admin/chores/documents.batch/run", follow_redirects=True)
    assert response.status_code == 200
    assert "There is no such chore." in flashes(text_of(response))
    assert all_runs() == []


@pytest.mark.parametrize("role", [roles.WAREHOUSE, roles.SALES, roles.BOOKKEEPER])
def test_only_the_owner_sees_or_runs_chores(app, staff, role):
    client = signed_in(app, staff[role])
    assert client.get("/admin/chores").status_code == 403
    for url in (
        "/admin/chores/orders.expire/run",
        "/admin/chores/orders.expire/run/",
        "/admin/chores/orders%2Eexpire/run",
        "/admin/chores/ORDERS.EXPIRE/run",
        "/admin//chores/orders.expire/run",
    ):
        for method in ("POST", "PUT", "GET", "PATCH"):
            response = client.open(url, method=method)
            assert response.status_code in (403, 404, 405, 308), (url, method)
    assert all_runs() == []


def test_a_customer_and_a_stranger_run_no_chore(app, customer):
    stranger = app.test_client()
    assert stranger.post("/admin/chores/orders.expire/run").status_code == 302  # to log in
    shopper = signed_in(app, customer)
    assert shopper.post("/admin/chores/orders.expire/run").status_code == 403
    assert all_runs() == []


def test_run_now_with_the_queue_down_says_so_and_leaves_no_run_stuck(database, tmp_path, pg_state):
    """Failed before the fix: ask() claimed the run, then enqueue raised Redis's
    ConnectionError out of the view (a 500) and the run stayed "running", so Run now
    answered "already running" for the next hour."""
    with app_on(database, tmp_path, pg_state, **DEAD_REDIS) as app:
        owner = UserFactory(role=roles.OWNER, email="olive@shop.test")
        client = signed_in(app, owner)
        response = client.post("/admin/chores/orders.expire/run", follow_redirects=True)
        assert response.status_code == 200
        assert any("could not be queued" in f for f in flashes(text_of(response)))
        [run] = all_runs()
        assert run.status == FAILED and "could not be queued" in run.error
        again = client.post("/admin/chores/orders.expire/run", follow_redirects=True)
        assert "already running" not in text_of(again)


@pytest.mark.skipif(not PG_URL, reason="a real race needs PostgreSQL")
def test_two_run_now_at_once_start_one_run(database, tmp_path, pg_state):
    """Two owners (or a double click from two tabs) press Run now at the same moment: a
    run asked for holds the period "asked" while it runs, which the database lets one
    claim only; ten races, never two runs."""
    if database != "postgresql":
        pytest.skip("PostgreSQL only")
    with app_on(database, tmp_path, pg_state, JOBS_BACKEND="sqlite") as app:  # no consumer
        from shop.jobs.queue import queue

        doubled = 0
        for attempt in range(10):
            start = threading.Barrier(2)
            name = "forecasts.refresh" if attempt % 2 else "reorder.report"
            db.session.execute(sa.delete(JobRun))
            db.session.commit()

            def press(start=start, name=name):
                with app.app_context():
                    try:
                        start.wait(timeout=10)
                        ask(name)
                    finally:
                        db.session.remove()

            threads = [threading.Thread(target=press) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            running = [r for r in all_runs() if r.status == RUNNING]
            doubled += len(running) > 1
        queue().huey.flush()
        assert doubled == 0, f"two runs started at once in {doubled} of 10 races"


def test_a_tick_with_the_queue_down_leaves_the_period_for_the_next_tick(
    database, tmp_path, pg_state
):
    """Failed before the fix: tick() claimed the day's run of the morning reports, then
    enqueue failed (Redis down, or the SQLite queue file locked past its timeout); the
    claim stayed, "running", so no later tick of that day queued it: the day's reports
    were never sent. The exception also ended the tick, so the jobs after it in the
    schedule were not even tried."""
    with app_on(database, tmp_path, pg_state, **DEAD_REDIS):
        morning = datetime(2026, 12, 1, 12, 0, 30, tzinfo=UTC)  # 07:00 in Toronto
        assert tick(morning) == []  # nothing could be queued, and no crash
        assert all_runs() == []  # every period is left for the next tick
        db.session.commit()
        working = make_app(database, tmp_path, pg_state)  # the same database, queue back
        with working.app_context():
            later = datetime(2026, 12, 1, 12, 1, 30, tzinfo=UTC)
            assert "reorder.report" in tick(later)  # the queue is back: the day's run goes
            db.session.remove()


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Spring forward, 8 March 2026: 02:00 EST jumps to 03:00 EDT; 02:30 never happens.
        (datetime(2026, 3, 8, 6, 59, tzinfo=UTC), None),  # 01:59 EST
        (datetime(2026, 3, 8, 7, 0, tzinfo=UTC), "2026-03-08"),  # 03:00 EDT: past 02:30
        # Fall back, 1 November 2026: 01:00-02:00 happens twice; 02:30 once.
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), None),  # 01:30 EDT
        (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), None),  # 01:30 EST, the second time
        (datetime(2026, 11, 1, 7, 30, tzinfo=UTC), "2026-11-01"),  # 02:30 EST
    ],
)
def test_the_nightly_forecast_runs_once_on_days_the_clock_jumps(moment, expected):
    assert SCHEDULE["forecasts.refresh"].period(moment, TORONTO) == expected


def test_each_store_day_has_one_daily_period_and_minutes_follow_utc():
    """Across a whole DST change day, minute by minute: one daily period a day, and the
    every-N-minutes periods never repeat (they count UTC minutes, which never jump)."""
    start = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    daily, five = set(), []
    for minute in range(0, 48 * 60):
        now = start + timedelta(minutes=minute)
        for name, period in schedule.due(now, TORONTO):
            if name == "reorder.report":
                daily.add(period)
            if name == "backorders.allocate":
                five.append(period)
    assert daily == {"2026-10-31", "2026-11-01", "2026-11-02"}  # 20:00 EDT on the 31st
    distinct = list(dict.fromkeys(five))
    assert len(distinct) == 48 * 60 // 5
    assert distinct == sorted(distinct)


def test_a_job_that_always_fails_is_recorded_failed_and_not_retried_in_the_request(app):
    """Immediate mode (what a test or a command sees): a job that raises is recorded failed
    with its error; huey keeps its retries for later (bounded by JOB_RETRIES)."""
    app.config["TIMEZONE"] = "Atlantis/Capital"  # forecasts.refresh cannot know its date
    run_id = ask("forecasts.refresh")
    [run] = all_runs()
    assert run.id == run_id and run.status == FAILED and "Atlantis" in run.error
    assert run.finished_at is not None


def test_a_run_left_running_by_a_dead_worker_does_not_block_run_now_for_ever(app, staff):
    db.session.add(
        JobRun(name="orders.expire", period="asked:dead", status=RUNNING,
               started_at=utcnow() - timedelta(hours=3))
    )  # fmt: skip
    db.session.commit()
    owner = signed_in(app, staff[roles.OWNER])
    response = owner.post("/admin/chores/orders.expire/run", follow_redirects=True)
    assert "is queued" in text_of(response)
    assert sorted(r.status for r in all_runs()) == [DONE, RUNNING]


# --- the after-commit hook --------------------------------------------------------------


def test_a_savepoint_rolled_back_keeps_the_jobs_of_its_outer_transaction(app, inbox):  # noqa: F811
    """Failed before the fix: a savepoint that rolls back (an INSERT that lost a race, as
    in accounts/throttle.py or the invoice numbers) fired after_rollback, which dropped
    every job waiting for the commit, the outer transaction's too: the mail written
    before the savepoint was committed but not sent at the commit."""
    app.config["SMTP_URL"] = inbox.url
    db.session.add(JobRun(name="taken", period="p", status=DONE))
    db.session.commit()
    message = write_mail()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(JobRun(name="taken", period="p", status=DONE))
    db.session.commit()
    assert [m["Subject"] for m in inbox.messages] == ["Reset your password"]
    assert db.session.get(OutboxMessage, message.id).status == SENT


def test_the_jobs_of_a_savepoint_rolled_back_are_dropped(app, inbox):  # noqa: F811
    app.config["SMTP_URL"] = inbox.url
    db.session.add(JobRun(name="taken", period="p", status=DONE))
    db.session.commit()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        write_mail()
        db.session.add(JobRun(name="taken", period="p", status=DONE))
    db.session.commit()
    assert inbox.messages == []
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0
    from shop.jobs.queue import AFTER_COMMIT, READY

    assert not db.session.info.get(AFTER_COMMIT) and not db.session.info.get(READY)


def test_a_request_that_fails_after_writing_mail_sends_none(app, client, customer, inbox):  # noqa: F811
    """The forgot-password form with an email of 10,000 characters: whatever happens, no
    mail leaves for a transaction that did not commit, and the answer is no 500."""
    app.config["SMTP_URL"] = inbox.url
    response = client.post("/account/forgot-password", data={"email": "a" * 10000 + "@x.ca"})
    assert response.status_code < 500
    assert inbox.messages == []


# --- MEDIA_PUBLIC_URL -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "//cdn.example.com/media",
        "https://cdn.example.com; script-src 'unsafe-inline'",
        "https://cdn.example.com/media; img-src *",
        "https://cdn.example.com,evil.example/media",
        "https://user:secret@cdn.example.com/media",
        'https://cdn.example.com/"onerror="alert(1)',
        "https://cdn.example.com/media#x",
        "https://cdn.example.com /media",
    ],
)
def test_a_media_public_url_that_is_no_plain_address_refuses_to_start(tmp_path, value):
    """Failed before the fix for the values with ";", ",", a space, a quote or a password:
    urlsplit took them, and the netloc (with "; script-src ..." in it) went into the
    Content-Security-Policy as is."""
    from shop import create_app

    with pytest.raises(ConfigurationError, match="STORE_MEDIA_PUBLIC_URL"):
        create_app(
            {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "i"), "MEDIA_PUBLIC_URL": value,
             "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 't.db'}"}
        )  # fmt: skip


# --- /media/ ------------------------------------------------------------------------------


@pytest.fixture
def stored_image(app):
    from shop import media

    return media.store_image(png((60, 40)), name="tent")


@pytest.mark.parametrize(
    "path",
    [
        "/media/..%2f..%2fconfig.py",
        "/media/..%252f..%252fconfig.py",
        "/media/%2e%2e/%2e%2e/shop/configuration/defaults.py",
        "/media/..\\..\\config.py",
        "/media/..%5c..%5cconfig.py",
        "/media/tent.png%00.png",
        "/media/%00",
        "/media/t%C3%A9nt.png",
        "/media/\u2024\u2024/config.py",
        "/media/%EF%BC%8E%EF%BC%8E%EF%BC%8Fconfig.py",
        "/media/.tent.png.abc.part",
        "/media/jobs.sqlite3",
        "/media/tent.PNG",
        "/media/tent.svg",
        "/media/tent.html",
        "/media/x.card.png",
        "/media/" + "a" * 5000 + ".png",
        "/media/",
        "/media/%ff%fe.png",
        "/media/con.png",
    ],
)
def test_media_names_outside_the_stores_pattern_are_404(app, client, stored_image, path):
    response = client.get(path)
    assert response.status_code in (400, 404), path  # 400: a NUL, refused before the view


def test_a_served_image_is_nosniff_with_its_own_type_and_survives_odd_headers(
    app, client, stored_image
):
    url = f"/media/{stored_image}"
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "image/png"
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    etag = first.headers["ETag"]
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": ", ".join([etag] * 2000)},  # 100 KB of the same tag
        {"If-None-Match": "W/" + etag},
        {"If-None-Match": "*"},
        {"If-None-Match": '"' + "x" * 7000},  # never closed
        {"If-None-Match": "\x00\x01\x02"},
        {"If-Modified-Since": "not a date"},
        {"Range": "bytes=0-3"},
        {"Range": "bytes=999999-"},
        {"Range": "bytes=-0"},
        {"Range": "bytes=" + ",".join(f"{n}-{n}" for n in range(500))},
        {"Accept-Encoding": "gzip;q=garbage"},
    ):
        response = client.get(url, headers=headers)
        assert response.status_code in (200, 206, 304, 416), headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    head = client.head(url)
    assert head.status_code == 200 and head.data == b""
    assert client.get(f"/media/{stored_image.replace('.png', '.card.webp')}").mimetype == (
        "image/webp"
    )


# --- uploads ------------------------------------------------------------------------------


def _encoded(img: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **options)
    return out.getvalue()


def _animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (900, 700), colour) for colour in ("red", "green", "blue")]
    return _encoded(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)


def _exif_rotated() -> bytes:
    img = Image.new("RGB", (1600, 900), "red")
    exif = img.getexif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees to show it
    return _encoded(img, "JPEG", exif=exif.tobytes())


def _sixteen_bit() -> bytes:
    return _encoded(Image.new("I;16", (1300, 800), 40000), "PNG")


def _palette_with_transparency() -> bytes:
    img = Image.new("P", (1300, 800), 0)
    img.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    return _encoded(img, "PNG", transparency=0)


UPLOADS = {
    "cmyk-jpeg": lambda: _encoded(Image.new("CMYK", (1500, 1000), (0, 255, 0, 0)), "JPEG"),
    "16-bit-png": _sixteen_bit,
    "grey-alpha-png": lambda: _encoded(Image.new("LA", (1400, 900), (80, 128)), "PNG"),
    "1-bit-png": lambda: _encoded(Image.new("1", (1500, 1000), 1), "PNG"),
    "palette-png-transparent": _palette_with_transparency,
    "animated-gif": lambda: _animated("GIF"),
    "animated-webp": lambda: _animated("WEBP"),
    "exif-rotated-jpeg": _exif_rotated,
    "1x100000-png": lambda: _encoded(Image.new("RGB", (1, 100000), "red"), "PNG"),
    "100000x1-png": lambda: _encoded(Image.new("RGB", (100000, 1), "red"), "PNG"),
    "photo": lambda: photo(2000, 1500),
}


@pytest.mark.parametrize("kind", sorted(UPLOADS))
def test_odd_uploads_are_kept_no_larger_than_their_sizes_or_refused_with_a_message(
    app, staff, kind
):
    from shop.catalogue.models import ProductImage
    from shop.media.images import SIZES
    from shop.media.names import rendition_name

    product = ProductFactory(name="Ridge Tent")
    client = signed_in(app, staff[roles.SALES])
    response = client.post(
        f"/admin/products/{product.id}/images/new",
        data={"image": (io.BytesIO(UPLOADS[kind]()), f"{kind}.img"), "alt": "x"},
        content_type="multipart/form-data",
    )
    assert response.status_code in (302, 422), kind
    image = db.session.scalar(sa.select(ProductImage))
    if response.status_code == 422:
        assert image is None
        return
    for size, side in SIZES.items():
        served = client.get(f"/media/{rendition_name(image.filename, size)}")
        assert served.status_code == 200
        with Image.open(io.BytesIO(served.data)) as drawn:
            assert max(drawn.size) <= side and drawn.format == "WEBP"
            assert min(drawn.size) >= 1
            if kind == "exif-rotated-jpeg":
                assert drawn.height > drawn.width  # turned upright
            if kind.startswith("animated"):
                assert getattr(drawn, "n_frames", 1) == 1


def test_a_decompression_bomb_is_refused_before_it_is_decoded(app, staff):
    from shop.catalogue.models import ProductImage

    bomb = _encoded(Image.new("1", (20000, 20000), 0), "PNG")  # 400 MP in about 50 KB
    assert len(bomb) < 200_000
    product = ProductFactory(name="Ridge Tent")
    client = signed_in(app, staff[roles.SALES])
    response = client.post(
        f"/admin/products/{product.id}/images/new",
        data={"image": (io.BytesIO(bomb), "bomb.png"), "alt": "x"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "too many pixels" in text_of(response)
    assert db.session.scalar(sa.select(ProductImage)) is None


# --- CSRF on the new forms ------------------------------------------------------------------


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert found, "the page's form carries no CSRF token"
    return found.group(1)


def test_the_new_forms_carry_the_token_and_a_post_without_it_changes_nothing(app, staff):
    """The tests turn CSRF off; here it is on again (after signing in) as in production."""
    client = signed_in(app, staff[roles.OWNER])
    app.config["WTF_CSRF_ENABLED"] = True
    chores = text_of(client.get("/admin/chores"))
    assert "Run now" in chores
    # Without the token: refused, nothing run.
    for url in (
        "/admin/chores/orders.expire/run",
        "/admin/reports/forecast/refresh",
        "/admin/documents/packing-slips.pdf",
        "/admin/documents/labels.pdf",
    ):
        assert client.post(url, data={"shipment": ["SH-1"]}).status_code in (400, 302), url
    assert all_runs() == []
    # With the page's own token: run.
    response = client.post(
        "/admin/chores/orders.expire/run", data={"csrf_token": _token(chores)},
        follow_redirects=True,
    )  # fmt: skip
    assert "is queued" in text_of(response)
    forecast = text_of(client.get("/admin/reports/forecast"))
    client.post("/admin/reports/forecast/refresh", data={"csrf_token": _token(forecast)})
    assert sorted(r.name for r in all_runs()) == ["forecasts.refresh", "orders.expire"]
    for page in ("/admin/shipments", "/admin/fulfilment/to-pack"):
        text = text_of(client.get(page))
        form = re.search(r'<form[^>]*id="print".*?</form>', text, re.S)
        assert form and 'name="csrf_token"' in form.group(0), page


# --- streamed exports -----------------------------------------------------------------------


def test_the_streamed_exports_keep_the_access_rules_of_their_pages(app, staff):
    for page, exports in (
        ("/admin/accounting/invoices", ["/admin/accounting/invoices.csv"]),
        ("/admin/accounting/journal", ["/admin/accounting/journal.csv",
                                       "/admin/accounting/journal.beancount"]),
    ):  # fmt: skip
        for role in (roles.WAREHOUSE, roles.SALES, roles.BOOKKEEPER):
            client = signed_in(app, staff[role])
            allowed = client.get(page).status_code
            for url in exports:
                assert client.get(url).status_code == allowed, (url, role)
        for url in exports:
            assert app.test_client().get(url).status_code == 302  # to log in


# --- document batches ------------------------------------------------------------------------


def test_a_batch_id_or_a_token_prefix_opens_nothing(app, staff):
    from shop.fulfilment.models import DocumentBatch

    owner = staff[roles.OWNER]
    batch = DocumentBatch(
        token="T" * 43, kind="labels", shipment_numbers="SH-1", count=1, user_id=owner.id,
        role=owner.role, status="ready",
    )  # fmt: skip
    db.session.add(batch)
    db.session.commit()
    warehouse = signed_in(app, staff[roles.WAREHOUSE])
    for path in (
        f"/admin/documents/batches/{batch.id}",
        f"/admin/documents/batches/{batch.id}.pdf",
        "/admin/documents/batches/T",
        "/admin/documents/batches/%25",
        "/admin/documents/batches/T%25",
        "/admin/documents/batches/" + "T" * 42 + "_",
        "/admin/documents/batches/" + "t" * 43,
        "/admin/documents/batches/%00",
    ):
        assert warehouse.get(path).status_code in (400, 404), path
    assert signed_in(app, owner).get(f"/admin/documents/batches/{'T' * 43}").status_code == 200


def test_the_export_helpers_stay_importable():
    """A guard for the test module itself (dates, registry) so a rename shows here."""
    assert "documents.batch" in JOBS and date(2026, 1, 1) < date(2026, 12, 1)
    assert runs.claim  # noqa: B018
