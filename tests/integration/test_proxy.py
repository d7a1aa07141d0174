"""Behind a TLS proxy or load balancer (PROXY_HOPS): each customer keeps their own address,
so rate limits are theirs and not the whole store's, and the scheme is the one they used.
Without the setting, forwarded headers are anyone's words and change nothing."""

import pytest
from flask import request

from shop import create_app
from shop.configuration.loading import ConfigurationError
from tests.conftest import PASSWORD

LIMITED = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}
WRONG = "wrong guess 123"


def login(client, email, password, forwarded_for: str):
    """A login sent on by the proxy, which appends the address it saw to X-Forwarded-For."""
    return client.post(
        "/account/login",
        data={"email": email, "password": password},
        headers={"X-Forwarded-For": forwarded_for},
    )


@pytest.mark.parametrize("app_config", [{**LIMITED, "PROXY_HOPS": 1}])
def test_behind_one_proxy_each_customer_has_their_own_login_limit(app, customer):
    ann, bob = app.test_client(), app.test_client()
    for _ in range(3):
        assert login(ann, customer.email, WRONG, "203.0.113.5").status_code == 401
    assert login(ann, customer.email, WRONG, "203.0.113.5").status_code == 429
    # A made-up address in front of the one the proxy added does not start afresh.
    assert login(ann, customer.email, WRONG, "10.9.8.7, 203.0.113.5").status_code == 429
    # Another customer behind the same proxy is not held up by Ann's attempts.
    assert login(bob, customer.email, WRONG, "198.51.100.7").status_code == 401
    assert login(bob, customer.email, PASSWORD, "198.51.100.7").status_code == 302


@pytest.mark.parametrize("app_config", [LIMITED])
def test_without_proxies_a_forwarded_address_does_not_escape_the_limit(app, client, customer):
    for n in range(3):
        assert login(client, customer.email, WRONG, f"203.0.113.{n}").status_code == 401
    assert login(client, customer.email, WRONG, "198.51.100.7").status_code == 429


def what_the_store_sees(app, client, **headers) -> dict:
    app.add_url_rule(
        "/whoami", "whoami", lambda: {"secure": request.is_secure, "address": request.remote_addr}
    )
    return client.get("/whoami", headers=headers).get_json()


@pytest.mark.parametrize(
    ("app_config", "seen"),
    [
        ({"PROXY_HOPS": 1}, {"secure": True, "address": "203.0.113.5"}),
        ({"PROXY_HOPS": 0}, {"secure": False, "address": "127.0.0.1"}),
    ],
)
def test_the_proxy_tells_the_scheme_and_address_only_when_trusted(app, client, seen):
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    assert what_the_store_sees(app, client, **headers) == seen


def test_proxy_hops_is_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("STORE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("STORE_ENV", raising=False)
    monkeypatch.setenv("STORE_PROXY_HOPS", "2")
    assert create_app().config["PROXY_HOPS"] == 2
    for value in ("-1", "one", "1.5"):
        monkeypatch.setenv("STORE_PROXY_HOPS", value)
        with pytest.raises(ConfigurationError, match="STORE_PROXY_HOPS"):
            create_app()
