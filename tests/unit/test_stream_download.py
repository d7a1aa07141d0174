"""A streamed download that fails midway says so at its end and is not passed off as
whole (the headers, 200, went out before the failure)."""

import pytest

from backoffice.views import INCOMPLETE, stream_download
from shop import create_app


def rows_then_failure():
    yield "date,account,debit,credit\n"
    yield "2026-12-01,1000,100,0\n"
    raise ConnectionError("the database went away")


def test_a_download_cut_off_ends_with_the_incomplete_marker_and_fails(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "BASE_URL": "http://shop.test"})
    with app.test_request_context("/admin/journal.csv"):
        response = stream_download(rows_then_failure(), "journal.csv")
        sent = []
        with pytest.raises(ConnectionError):
            for chunk in response.response:
                sent.append(chunk if isinstance(chunk, str) else chunk.decode())
    assert sent[:2] == ["date,account,debit,credit\n", "2026-12-01,1000,100,0\n"]
    assert sent[-1] == INCOMPLETE


def test_a_whole_download_has_no_marker(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "BASE_URL": "http://shop.test"})
    with app.test_request_context("/admin/journal.csv"):
        response = stream_download(iter(["a\n", "b\n"]), "journal.csv")
        body = "".join(c if isinstance(c, str) else c.decode() for c in response.response)
    assert body == "a\nb\n"
