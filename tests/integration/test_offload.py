"""Long work out of the request: the owner's forecast refresh is a job whose run the page
shows; packing slips and labels of many shipments are made by a job and downloaded from a
page whose address holds a random token; the journal and invoice exports are streamed.

Jobs run in huey's immediate mode (the test config) unless a test starts a real consumer
on the embedded SQLite queue.
"""

import csv
import io
import re
import threading
import time
from datetime import date, timedelta

import lxml.html
import pytest
import sqlalchemy as sa

from shop.accounting.models import Account, JournalEntry, JournalLine
from shop.accounts import roles
from shop.billing.models import Invoice
from shop.books import exports, ledgers
from shop.db import utcnow
from shop.extensions import db
from shop.fulfilment import batch_files, batches
from shop.fulfilment.models import DocumentBatch
from shop.jobs.models import DONE, RUNNING, JobRun
from shop.jobs.queue import queue
from shop.jobs.worker import consumer
from shop.planning.models import DemandForecast
from tests.conftest import log_in, make_app
from tests.factories import ProductFactory, UserFactory, VariantFactory
from tests.integration.backoffice_helpers import flashes, text_of
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.document_helpers import make_shipment, pdf_pages
from tests.integration.order_helpers import buy
from tests.integration.test_reports_pages import sell_weekly

QUEUED_ABOVE = 2  # batches of more shipments than this go to the job in these tests


def signed_in(app, user):
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    return client


def job_runs(name):
    db.session.expire_all()
    return db.session.scalars(sa.select(JobRun).where(JobRun.name == name)).all()


def wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


# --- Refresh forecasts ------------------------------------------------------------------


@pytest.fixture
def lantern(app, tax_class):
    steady = VariantFactory(
        product=ProductFactory(name="Steady Lantern"), sku="LANTERN-1", price=2000, cost=800,
        tax_class=tax_class, stock=3,
    )  # fmt: skip
    sell_weekly(steady, weeks=12, units=5)
    return steady


def test_refresh_queues_the_job_and_the_page_shows_its_run_done(app, staff, lantern):
    owner = signed_in(app, staff[roles.OWNER])
    response = owner.post("/admin/reports/forecast/refresh", follow_redirects=True)
    page = text_of(response)
    assert "Forecasts are being refreshed; this page shows when it is done." in flashes(page)

    [run] = job_runs("forecasts.refresh")
    assert run.period.startswith("asked:") and re.fullmatch(
        r"asked:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}", run.period
    )
    assert run.status == DONE and run.finished_at is not None
    assert run.result == "Demand forecasts: 1 variant with 8 weeks or more of sales."
    forecasts = db.session.scalars(sa.select(DemandForecast)).all()
    assert [f.variant_id for f in forecasts] == [lantern.id]
    status = re.search(r'id="refresh-run" data-status="done">\s*(.*?)\s*</p>', page, re.S)
    assert status and status.group(1).startswith("Refresh finished at ")
    assert status.group(1).endswith(run.result)
    assert re.search(rf"Last computed: {ONE_MOMENT}</p>", page)
    assert 'http-equiv="refresh"' not in page  # done: nothing to wait for


def test_a_second_press_while_a_run_is_going_queues_nothing(app, staff, lantern):
    started = utcnow() - timedelta(minutes=2)
    db.session.add(
        JobRun(name="forecasts.refresh", period="asked:earlier", status=RUNNING,
               started_at=started)
    )  # fmt: skip
    db.session.commit()
    owner = signed_in(app, staff[roles.OWNER])
    page = text_of(owner.post("/admin/reports/forecast/refresh", follow_redirects=True))
    assert "The forecasts are already being refreshed; this page shows when." in flashes(page)
    assert [r.period for r in job_runs("forecasts.refresh")] == ["asked:earlier"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DemandForecast)) == 0
    assert 'data-status="running">' in page and "Refresh running since " in page
    assert re.search(rf"Refresh running since {ONE_MOMENT}\s*</p>", page)
    assert '<meta http-equiv="refresh" content="10">' in page  # it looks again by itself


def test_a_run_left_running_long_ago_does_not_block_a_new_one(app, staff, lantern):
    """A worker that died mid-run leaves its run "running"; after half an hour it no longer
    counts, or the button would be dead for good."""
    db.session.add(
        JobRun(name="forecasts.refresh", period="asked:dead", status=RUNNING,
               started_at=utcnow() - timedelta(hours=2))
    )  # fmt: skip
    db.session.commit()
    owner = signed_in(app, staff[roles.OWNER])
    owner.post("/admin/reports/forecast/refresh")
    assert sorted(r.status for r in job_runs("forecasts.refresh")) == [DONE, RUNNING]


def test_a_failed_run_shows_its_error(app, staff):
    db.session.add(
        JobRun(name="forecasts.refresh", period="2026-12-01", status="failed",
               started_at=utcnow(), finished_at=utcnow(), error="OperationalError: gone away")
    )  # fmt: skip
    db.session.commit()
    page = text_of(signed_in(app, staff[roles.OWNER]).get("/admin/reports/forecast"))
    assert "Refresh failed at " in page and "OperationalError: gone away" in page


def test_the_nightly_schedule_runs_the_same_job():
    from shop.jobs.schedule import SCHEDULE

    assert "forecasts.refresh" in SCHEDULE


# --- batches of packing slips and labels ----------------------------------------------------


@pytest.fixture
def app_config():
    return {"DOCUMENT_BATCH_QUEUED_ABOVE": QUEUED_ABOVE}


@pytest.fixture
def packing(app):
    """Four shipments being packed, SH-2001..SH-2004, one tent each."""
    classes = seed_reference_data()
    tent = VariantFactory(
        product=ProductFactory(name="Ridge Tent"), sku="TENT-1", tax_class=classes["standard"],
        stock=10,
    )  # fmt: skip
    order = buy(app, [(tent, 4)], email="gail@example.com")
    line = order.lines[0]
    return [make_shipment(order, [(line, 1)], number=f"SH-200{n}") for n in range(1, 5)]


# A moment as the pages write it in en_CA, ending a sentence with one full stop: the time's
# own "a.m." ends the sentence ("Dec 3, 2026, 3:18 a.m."), with no second stop after it.
ONE_MOMENT = r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[ap]\.m\."


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.split()) for page in pdf_pages(data))


def test_a_small_batch_is_drawn_at_once(app, staff, packing):
    client = signed_in(app, staff[roles.WAREHOUSE])
    response = client.post(
        "/admin/documents/packing-slips.pdf", data={"shipment": ["SH-2001", "SH-2002"]}
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "SH-2001" in pdf_text(response.data) and "SH-2002" in pdf_text(response.data)
    assert db.session.scalar(sa.select(sa.func.count(DocumentBatch.id))) == 0


def test_a_large_batch_is_made_by_the_job_and_downloaded_by_its_token(app, staff, packing):
    numbers = [s.number for s in packing]
    client = signed_in(app, staff[roles.WAREHOUSE])
    response = client.post("/admin/documents/labels.pdf", data={"shipment": numbers})
    assert response.status_code == 302
    batch = db.session.scalar(sa.select(DocumentBatch))
    assert response.headers["Location"] == f"/admin/documents/batches/{batch.token}"
    assert len(batch.token) >= 43  # 32 random bytes: the link cannot be guessed
    assert (batch.kind, batch.count, batch.status) == (batches.LABELS, 4, batches.READY)
    assert batch.user_id == staff[roles.WAREHOUSE].id and batch.role == roles.WAREHOUSE

    page = text_of(client.get(response.headers["Location"]))
    assert "Labels of 4 shipments are being prepared" in " ".join(flashes(page))
    link = f"/admin/documents/batches/{batch.token}.pdf"
    assert f'href="{link}"' in page and 'data-status="ready"' in page
    download = client.get(link)
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.headers["Cache-Control"] == "private, no-store"
    assert download.headers["Content-Disposition"] == "attachment; filename=labels.pdf"
    text = pdf_text(download.data)
    assert all(n in text for n in numbers)
    assert len(pdf_pages(download.data)) == 4  # a label per shipment (no parcels yet)

    listed = text_of(client.get("/admin/shipments"))
    assert f'href="{link}"' in listed  # the shipments page lists the batch too


def test_only_the_asker_staff_of_their_role_and_the_owner_open_a_batch(app, staff, packing):
    numbers = [s.number for s in packing]
    signed_in(app, staff[roles.WAREHOUSE]).post(
        "/admin/documents/packing-slips.pdf", data={"shipment": numbers}
    )
    batch = db.session.scalar(sa.select(DocumentBatch))
    page, pdf = (
        f"/admin/documents/batches/{batch.token}",
        f"/admin/documents/batches/{batch.token}.pdf",
    )

    colleague = signed_in(app, UserFactory(role=roles.WAREHOUSE, email="wes@shop.test"))
    assert colleague.get(page).status_code == 200 and colleague.get(pdf).status_code == 200
    owner = signed_in(app, staff[roles.OWNER])
    assert owner.get(pdf).status_code == 200
    for role in (roles.SALES, roles.BOOKKEEPER):
        assert signed_in(app, staff[role]).get(pdf).status_code == 403
    guessed = batch.token[:-1] + ("A" if batch.token[-1] != "A" else "B")
    assert colleague.get(f"/admin/documents/batches/{guessed}.pdf").status_code == 404
    assert colleague.get(f"/admin/documents/batches/{'x' * 500}").status_code == 404

    # The owner's own batch is not the warehouse's to open.
    owner.post("/admin/documents/packing-slips.pdf", data={"shipment": numbers})
    owners = db.session.scalar(sa.select(DocumentBatch).where(DocumentBatch.role == roles.OWNER))
    assert colleague.get(f"/admin/documents/batches/{owners.token}.pdf").status_code == 404
    assert colleague.get(f"/admin/documents/batches/{owners.token}").status_code == 404


def test_a_batch_still_being_made_says_so_and_gives_no_file(app, staff, packing):
    warehouse = staff[roles.WAREHOUSE]
    batch = batches.ask_batch(batches.PACKING_SLIPS, packing, warehouse)
    db.session.commit()  # recorded, not yet made (as while a worker is on it)
    client = signed_in(app, warehouse)
    page = text_of(client.get(f"/admin/documents/batches/{batch.token}"))
    assert 'data-status="preparing"' in page and "Being prepared." in page
    assert re.search(rf"Asked for {ONE_MOMENT}</p>", page)
    assert '<meta http-equiv="refresh"' in page
    assert client.get(f"/admin/documents/batches/{batch.token}.pdf").status_code == 404


def test_a_batch_that_fails_says_why_and_a_retry_makes_it(app, staff, packing):
    warehouse = staff[roles.WAREHOUSE]
    batch = batches.ask_batch(batches.PACKING_SLIPS, packing, warehouse)
    batch.shipment_numbers += "\nSH-GONE"
    db.session.commit()
    with pytest.raises(Exception, match="no longer there"):
        batches.make_batch(batch.id)
    db.session.expire_all()
    assert batch.status == batches.FAILED and "no longer there" in batch.error
    page = text_of(signed_in(app, warehouse).get(f"/admin/documents/batches/{batch.token}"))
    assert "It could not be made" in page and "no longer there" in page

    batch.shipment_numbers = "\n".join(s.number for s in packing)
    db.session.commit()
    batches.make_batch(batch.id)  # the queue's retry
    db.session.expire_all()
    assert batch.status == batches.READY and batch.error is None


def test_expired_batches_and_their_files_are_forgotten(app, staff, packing):
    batch = batches.ask_batch(batches.LABELS, packing, staff[roles.WAREHOUSE])
    db.session.commit()
    assert re.fullmatch(r"labels of 4 shipments: \d+ bytes", batches.make_batch(batch.id))
    token = batch.token
    assert batch_files.open_file(token) is not None
    batch.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    # The next batch made forgets it, and says so.
    one = batches.ask_batch(batches.PACKING_SLIPS, packing[:1], staff[roles.WAREHOUSE])
    db.session.commit()
    made = batches.make_batch(one.id)
    assert re.fullmatch(r"packing slips of 1 shipment: \d+ bytes; 1 expired batch forgotten", made)
    assert batch_files.open_file(token) is None
    assert db.session.scalars(sa.select(DocumentBatch.id)).all() == [one.id]
    assert batches.forget_expired() == 0


def test_a_batch_drawn_by_a_worker_on_another_host_is_handed_out_by_this_one(
    app, staff, packing, database, tmp_path, pg_state
):
    """The file is kept in the database, not in an instance folder: a worker host with a
    folder of its own draws it, and the web host the packer uses hands it out."""
    batch = batches.ask_batch(batches.LABELS, packing, staff[roles.WAREHOUSE])
    db.session.commit()
    batch_id, token = batch.id, batch.token
    db.session.commit()  # end the read, which holds SQLite's lock outside a request
    worker_host = make_app(
        database, tmp_path / "worker", pg_state,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
    )  # fmt: skip
    with worker_host.app_context():
        batches.make_batch(batch_id)
        db.session.remove()
        db.engine.dispose()
    client = app.test_client()
    log_in(client, staff[roles.WAREHOUSE].email)
    response = client.get(f"/admin/documents/batches/{token}.pdf")
    assert response.status_code == 200
    assert "SH-2001" in pdf_text(response.data)
    assert not (tmp_path / "worker" / "instance" / "document-batches").exists()


def test_a_real_worker_makes_the_batch_while_the_page_waits(database, tmp_path, pg_state):
    """The embedded queue (a SQLite file in the instance folder) and a consumer beside the
    app, as `flask serve` runs them: the page first says "being prepared", then links the
    file the worker wrote."""
    app = make_app(
        database, tmp_path, pg_state, JOBS_BACKEND="sqlite",
        DOCUMENT_BATCH_QUEUED_ABOVE=QUEUED_ABOVE,
    )  # fmt: skip
    with app.app_context():
        db.drop_all()
        db.create_all()
        queue().huey.flush()
        try:
            user = UserFactory(role=roles.WAREHOUSE, email="wren@shop.test")
            classes = seed_reference_data()
            tent = VariantFactory(sku="TENT-9", tax_class=classes["standard"], stock=5)
            order = buy(app, [(tent, 3)], email="hal@example.com")
            numbers = [
                make_shipment(order, [(order.lines[0], 1)], number=f"SH-300{n}").number
                for n in range(1, 4)
            ]
            client = signed_in(app, user)
            response = client.post("/admin/documents/packing-slips.pdf", data={"shipment": numbers})
            page_url = response.headers["Location"]
            assert 'data-status="preparing"' in text_of(client.get(page_url))  # no worker yet

            running = consumer(app, workers=1, schedule=False)
            running.start()
            try:
                assert wait_for(lambda: 'data-status="ready"' in text_of(client.get(page_url)))
            finally:
                running.stop(graceful=True)
            download = client.get(page_url + ".pdf")
            assert download.status_code == 200
            assert all(n in pdf_text(download.data) for n in numbers)
        finally:
            queue().huey.flush()
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
            if pg_state:  # the next test's app makes the tables again
                pg_state["created"] = False


# --- streamed exports -----------------------------------------------------------------------


@pytest.fixture
def sales(app):
    classes = seed_reference_data()
    lamp = VariantFactory(
        product=ProductFactory(name="Brass Lamp"), sku="LAMP-1", price=10000,
        tax_class=classes["standard"], stock=50,
    )  # fmt: skip
    return [buy(app, [(lamp, n)], email=f"buyer{n}@example.com") for n in (1, 2)]


def add_journal_lines(count: int) -> None:
    """`count` more journal lines (balanced pairs, one entry per pair) written in bulk, with
    a description a spreadsheet would run as a formula."""
    debit_account, credit_account = db.session.scalars(
        sa.select(Account.id).order_by(Account.code).limit(2)
    ).all()
    first = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(JournalEntry.id), 0)))
    on = date(2026, 11, 30)
    entries = [
        {"id": first + n, "date": on, "description": f"=HYPERLINK(\"x\") bulk {n}",
         "source_type": "bulk", "source_key": f"bulk:{n}", "created_at": utcnow()}
        for n in range(1, count // 2 + 1)
    ]  # fmt: skip
    lines = []
    for entry in entries:
        common = {"entry_id": entry["id"], "date": on, "memo": "-1+1"}
        lines.append({**common, "account_id": debit_account, "debit": 1234, "credit": 0})
        lines.append({**common, "account_id": credit_account, "debit": 0, "credit": 1234})
    db.session.execute(sa.insert(JournalEntry), entries)
    db.session.execute(sa.insert(JournalLine), lines)
    if db.engine.dialect.name == "postgresql":  # ids given by hand: move the sequence on
        db.session.execute(
            sa.text(
                "SELECT setval('journal_entries_id_seq', (SELECT max(id) FROM journal_entries))"
            )
        )
    db.session.commit()


def test_the_streamed_journal_is_what_the_export_writes(app, sales, bookkeeper):
    for url, export, filename in (
        ("/admin/accounting/journal.csv", exports.journal_csv, "journal.csv"),
        ("/admin/accounting/journal-xero.csv", exports.xero_csv, "journal-xero.csv"),
        ("/admin/accounting/journal-quickbooks.csv", exports.quickbooks_csv,
         "journal-quickbooks.csv"),
        ("/admin/accounting/journal.beancount", exports.beancount, "journal.beancount"),
    ):  # fmt: skip
        response = bookkeeper.get(url)
        assert response.status_code == 200, url
        assert "Content-Length" not in response.headers, url  # sent as it is written
        assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
        assert response.headers["Cache-Control"] == "private, no-store"
        with app.test_request_context():
            whole = "".join(export(ledgers.JournalFilters()))
        assert response.get_data(as_text=True) == whole, url


def test_the_streamed_invoice_list_is_what_the_export_writes(app, sales, bookkeeper):
    response = bookkeeper.get("/admin/accounting/invoices.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "Content-Length" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"
    with app.test_request_context():
        whole = "".join(exports.invoices_csv(ledgers.InvoiceFilters()))
    assert response.get_data(as_text=True) == whole
    assert len(list(csv.DictReader(io.StringIO(whole)))) == 2


def test_a_journal_of_thousands_of_lines_comes_out_whole(app, sales, bookkeeper):
    add_journal_lines(6000)
    total = db.session.scalar(sa.select(sa.func.count(JournalLine.id)))
    assert total > 6000
    text = bookkeeper.get("/admin/accounting/journal.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == total
    bulk = [r for r in rows if r["source_type"] == "bulk"]
    assert len(bulk) == 6000
    assert {r["description"][:2] for r in bulk} == {"'="}  # formula-escaped, still
    assert {r["memo"] for r in bulk} == {"'-1+1"}
    assert [r["entry"] for r in bulk][-1] == str(max(int(r["entry"]) for r in bulk))
    debits = sum(int(r["debit"].replace(".", "") or 0) for r in bulk)
    credits = sum(int(r["credit"].replace(".", "") or 0) for r in bulk)
    assert debits == credits == 3000 * 1234


def test_an_invoice_list_of_thousands_comes_out_whole(app, sales, bookkeeper):
    model = db.session.scalars(sa.select(Invoice).order_by(Invoice.id)).first()
    columns = [c.key for c in sa.inspect(Invoice).columns if c.key != "id"]
    copies = [
        {**{c: getattr(model, c) for c in columns}, "number": f"BULK-{n:05d}"} for n in range(3000)
    ]
    db.session.execute(sa.insert(Invoice), copies)
    db.session.commit()
    text = bookkeeper.get("/admin/accounting/invoices.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3002
    assert sum(r["number"].startswith("BULK-") for r in rows) == 3000


def test_the_shipments_and_to_pack_pages_offer_the_batch_prints(app, staff, packing):
    """The packer ticks shipments and presses Print labels: the form the page holds is
    what is sent (its action, the button's formaction, the ticked boxes)."""
    client = signed_in(app, staff[roles.WAREHOUSE])
    doc = lxml.html.fromstring(text_of(client.get("/admin/shipments")))
    [form] = doc.xpath('//form[@id="print"]')
    assert form.get("action") == "/admin/documents/packing-slips.pdf"
    labels = form.xpath('.//button[@formaction="/admin/documents/labels.pdf"]')
    assert labels and "Print labels" in labels[0].text_content()
    ticked = doc.xpath('//input[@type="checkbox"][@form="print"][@name="shipment"]/@value')
    assert sorted(ticked) == [s.number for s in packing]
    response = client.post(labels[0].get("formaction"), data={"shipment": ticked})
    assert response.status_code == 302  # four is more than the threshold: the job
    assert db.session.scalar(sa.select(DocumentBatch.count)) == 4

    doc = lxml.html.fromstring(text_of(client.get("/admin/fulfilment/to-pack")))
    assert doc.xpath('//form[@id="print"]/@action') == ["/admin/documents/packing-slips.pdf"]
    open_shipment = doc.xpath('//input[@form="print"][@name="shipment"]/@value')
    assert len(open_shipment) == 1 and open_shipment[0] in ticked


def test_two_copies_of_a_batch_job_at_once_make_one_good_file(app, staff, packing):
    """A job may run twice (a retry while the first is still at it, two workers): both
    draw the same file under the same name and the batch ends ready, once."""
    batch = batches.ask_batch(batches.LABELS, packing, staff[roles.WAREHOUSE])
    batch_id, token = batch.id, batch.token  # before the commit: a read after it would lock
    db.session.commit()
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        with app.app_context():
            try:
                start.wait(timeout=10)
                results.append(batches.make_batch(batch_id))
            except Exception as error:  # collected: the test says what went wrong
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(results) == 2
    db.session.expire_all()
    assert db.session.get(DocumentBatch, batch_id).status == batches.READY
    with batch_files.open_file(token) as found:
        assert len(pdf_pages(found.read())) == 4
