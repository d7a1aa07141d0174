"""Track your order: attempts are rate-limited per client address, and the form needs
its CSRF token (both are off in the other tests)."""

import pytest

from tests.integration.backoffice_helpers import text_of
from tests.integration.checkout_helpers import seed_reference_data


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "TRACKING_RATE_LIMIT": "3 per minute"}


def test_tracking_attempts_are_rate_limited(app, client):
    seed_reference_data()
    for _ in range(3):
        response = client.post("/orders/track", data={"number": "MP10001", "contact": "a@b.c"})
        assert response.status_code == 404
    response = client.post("/orders/track", data={"number": "MP10001", "contact": "a@b.c"})
    assert response.status_code == 429
    assert "Too many attempts" in text_of(response)
    assert client.get("/orders/track").status_code == 200  # the form itself still opens
    assert app.config["TRACKING_RATE_LIMIT"] == "3 per minute"


def test_the_tracking_form_needs_its_csrf_token(app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = text_of(client.get("/orders/track"))
    assert 'name="csrf_token"' in page
    response = client.post("/orders/track", data={"number": "MP10001", "contact": "a@b.c"})
    assert response.status_code == 400
    assert "Your form expired or came from another site" in text_of(response)
