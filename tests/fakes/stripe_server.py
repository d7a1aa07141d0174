"""A small, stateful fake of the Stripe endpoints the store uses, served on 127.0.0.1.

The real `stripe` library talks to it over HTTP (StripeClient base_addresses
{"api": fake.url}). It keeps Checkout Sessions, replays a repeated
Idempotency-Key, refuses a key reused with other parameters, checks the secret
key, refunds a paid charge when asked (POST /v1/refunds; GET one or a list; a
refund may stay pending and later succeed or fail, the endpoint may be made to
refuse), and answers errors in Stripe's shape. Helper methods play the
customer's part (pay, let the session expire, have the card declined) and
Stripe's own (settle a paid charge with its fee, pay the settled balance out to
the bank or have the bank return it, refund in the dashboard), and build the
event Stripe would then send; `sign()` signs it exactly as Stripe does.
"""

import hashlib
import hmac
import json
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

API_VERSION = "2025-09-30.clover"
MIN_EXPIRY = 30 * 60  # Stripe's bounds on a Checkout Session's expires_at
MAX_EXPIRY = 24 * 60 * 60


def stripe_fee(amount: int) -> int:
    """Stripe's standard Canadian card fee: 2.9 % + 30 cents."""
    return round(amount * 29 / 1000) + 30


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header: t=<unix time>,v1=<HMAC-SHA256(secret, f"{t}.{payload}")>."""
    t = int(time.time()) if timestamp is None else timestamp
    signed = f"{t}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def parse_form(pairs) -> dict:
    """Stripe's bracket notation (a[0][b]=1) back into nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        head, rest = re.match(r"^([^\[]+)((?:\[[^\]]*\])*)$", key).groups()
        path = [head, *re.findall(r"\[([^\]]*)\]", rest)]
        node = root
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return _lists(root)


def _lists(node):
    if not isinstance(node, dict):
        return node
    if node and all(k.isdigit() for k in node):
        return [_lists(node[k]) for k in sorted(node, key=int)]
    return {k: _lists(v) for k, v in node.items()}


class StripeError(Exception):
    def __init__(self, status: int, type_: str, message: str, **extra):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type_, "message": message, **extra}}


@dataclass
class Seen:
    """One request as the fake received it."""

    method: str
    path: str
    params: dict
    headers: dict
    replayed: bool = False


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        """Keep the test output quiet: no access log line per request."""


class StripeHost:
    """A server on a free port of 127.0.0.1 that answers as the fake it serves now: a test
    session keeps one and serves each test a fresh fake at the same address, so the app
    made for that address is made once (tests/app_shelf.py)."""

    def __init__(self) -> None:
        self.fake: FakeStripe | None = None
        self._server = None
        self._thread = None

    def start(self) -> "StripeHost":
        self._server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def serve(self, fake: "FakeStripe") -> "FakeStripe":
        fake._host, self.fake = self, fake
        return fake

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def _wsgi(self, environ, start_response):
        if self.fake is None:  # between tests
            return Response("no fake is served", 503)(environ, start_response)
        if self.fake.unreachable:
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            return Response("", 500)(environ, start_response)
        return self.fake.wsgi(environ, start_response)


@dataclass
class FakeStripe:
    api_key: str = "sk_test_fake"
    sessions: dict = field(default_factory=dict)
    payment_intents: dict = field(default_factory=dict)
    charges: dict = field(default_factory=dict)
    balance_transactions: dict = field(default_factory=dict)
    refunds: dict = field(default_factory=dict)
    payouts: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)
    replayed_keys: list = field(default_factory=list)
    events: list = field(default_factory=list)
    lose_next_response: bool = False  # create, then drop the connection (a timeout)
    next_refund_status: str | None = None  # the next refund's status ("pending", "failed")
    refuse_refunds: list = field(default_factory=list)  # errors the next refunds answer
    refund_delay: float = 0.0  # seconds each refund request takes (a slow Stripe)
    refund_answer_delay: float = 0.0  # seconds between making a refund and answering

    def __post_init__(self):
        self._idempotent: dict = {}  # key -> (method, path, params, status, body)
        self._lock = threading.Lock()
        self._host: StripeHost | None = None
        self._own_host = False
        self.unreachable = False

    # --- serving ----------------------------------------------------------------

    def start(self) -> "FakeStripe":
        """Serve this fake on a server of its own."""
        self._own_host = True
        return StripeHost().start().serve(self)

    def stop(self) -> None:
        """Stripe cannot be reached: a server of its own stops; on a shared one every
        connection is cut before an answer (the Stripe library sees a network error)."""
        if self._own_host:
            self._host.stop()
        else:
            self.unreachable = True

    @property
    def url(self) -> str:
        return self._host.url

    def wsgi(self, environ, start_response):
        request = Request(environ)
        seen = Seen(request.method, request.path, {}, dict(request.headers))
        try:
            status, body = self._dispatch(request, seen)
        except StripeError as err:
            status, body = err.status, err.body
        if body is None:  # the response is lost on the way back
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            status, body = 500, {}
        if isinstance(body, str):
            response = Response(body, status, mimetype="text/html")
        else:
            response = Response(json.dumps(body), status, mimetype="application/json")
            response.headers["Request-Id"] = f"req_{secrets.token_hex(7)}"
            if request.headers.get("Idempotency-Key"):
                response.headers["Idempotency-Key"] = request.headers["Idempotency-Key"]
            if seen.replayed:
                response.headers["Idempotent-Replayed"] = "true"
        return response(environ, start_response)

    def _dispatch(self, request: Request, seen: Seen):
        path = request.path
        if path.startswith("/c/pay/"):  # the hosted payment page the customer is sent to
            session = self.sessions.get(path.rsplit("/", 1)[1])
            if session is None:
                return 404, "<h1>Something went wrong</h1>"
            return 200, f"<h1>Pay {session['amount_total']} {session['currency']}</h1>"
        if request.method == "POST":
            seen.params = parse_form(request.form.items(multi=True))
            if path == "/v1/refunds" and self.refund_delay:
                time.sleep(self.refund_delay)
        else:
            seen.params = parse_form(request.args.items(multi=True))
        with self._lock:
            self.requests.append(seen)
            self._authenticate(request)
            key = request.headers.get("Idempotency-Key")
            if request.method == "POST" and key:
                return self._idempotent_post(key, seen)
            return self._route(seen)

    def _authenticate(self, request: Request) -> None:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if given != self.api_key:
            raise StripeError(
                401, "invalid_request_error", f"Invalid API Key provided: {given[:8]}***"
            )

    def _idempotent_post(self, key: str, seen: Seen):
        stored = self._idempotent.get(key)
        if stored is not None:
            method, path, params, status, body = stored
            if (method, path, params) != (seen.method, seen.path, seen.params):
                raise StripeError(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try using a key other than '{key}' if you "
                    "meant to execute a different request.",
                )
            seen.replayed = True
            self.replayed_keys.append(key)
            return status, body
        try:
            status, body = self._route(seen)
        except StripeError as err:
            if err.status >= 500:
                raise
            status, body = err.status, err.body
        self._idempotent[key] = (seen.method, seen.path, seen.params, status, body)
        if self.lose_next_response:
            self.lose_next_response = False
            return status, None
        return status, body

    def _route(self, seen: Seen):
        if seen.method == "POST" and seen.path == "/v1/checkout/sessions":
            return 200, self._create_session(seen.params)
        match = re.fullmatch(r"/v1/checkout/sessions/([^/]+)", seen.path)
        if seen.method == "GET" and match:
            return 200, self.session(match.group(1))
        match = re.fullmatch(r"/v1/checkout/sessions/([^/]+)/expire", seen.path)
        if seen.method == "POST" and match:
            return 200, self._set(match.group(1), status="expired")
        if seen.method == "POST" and seen.path == "/v1/refunds":
            return 200, self._create_refund(seen.params)
        if seen.method == "GET" and seen.path == "/v1/refunds":
            return 200, self._list_refunds(seen.params)
        match = re.fullmatch(r"/v1/refunds/([^/]+)", seen.path)
        if seen.method == "GET" and match:
            return 200, self.refund(match.group(1))
        if seen.method == "GET" and seen.path == "/v1/balance_transactions":
            return 200, self._list_balance_transactions(seen.params)
        for prefix, store, kind in (
            ("/v1/payment_intents/", self.payment_intents, "payment_intent"),
            ("/v1/charges/", self.charges, "charge"),
            ("/v1/payouts/", self.payouts, "payout"),
            ("/v1/balance_transactions/", self.balance_transactions, "balance_transaction"),
        ):
            name = seen.path.removeprefix(prefix)
            if seen.method == "GET" and seen.path.startswith(prefix) and "/" not in name:
                found = self._get(store, kind, name)
                return 200, {k: v for k, v in found.items() if not k.startswith("_")}
        raise StripeError(404, "invalid_request_error", f"Unrecognized request URL ({seen.path}).")

    # --- checkout sessions ------------------------------------------------------

    def _create_session(self, params: dict) -> dict:
        for name in ("mode", "success_url", "line_items"):
            if not params.get(name):
                raise StripeError(
                    400, "invalid_request_error", f"Missing required param: {name}.", param=name
                )
        now = int(time.time())
        expires_at = int(params.get("expires_at") or now + MAX_EXPIRY)
        if not now + MIN_EXPIRY <= expires_at <= now + MAX_EXPIRY:
            raise StripeError(
                400,
                "invalid_request_error",
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
                param="expires_at",
            )
        items = params["line_items"]
        currencies = {item["price_data"]["currency"] for item in items}
        if len(currencies) != 1:
            raise StripeError(400, "invalid_request_error", "Line items must share a currency.")
        total = sum(int(i["quantity"]) * int(i["price_data"]["unit_amount"]) for i in items)
        session_id = f"cs_test_{secrets.token_hex(16)}"
        intent = {
            "id": f"pi_{secrets.token_hex(12)}",
            "object": "payment_intent",
            "amount": total,
            "currency": currencies.pop(),
            "metadata": params.get("payment_intent_data", {}).get("metadata", {}),
            "status": "requires_payment_method",
            "last_payment_error": None,
            "livemode": False,
        }
        self.payment_intents[intent["id"]] = intent
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": now,
            "currency": intent["currency"],
            "customer_email": params.get("customer_email"),
            "expires_at": expires_at,
            "livemode": False,
            "metadata": params.get("metadata", {}),
            "mode": params["mode"],
            "payment_intent": intent["id"],
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params["success_url"],
            "url": f"{self.url}/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return session

    def session(self, session_id: str) -> dict:
        if session_id not in self.sessions:
            raise StripeError(
                404,
                "invalid_request_error",
                f"No such checkout.session: '{session_id}'",
                code="resource_missing",
                param="id",
            )
        return self.sessions[session_id]

    def _get(self, store: dict, kind: str, object_id: str) -> dict:
        if object_id not in store:
            raise StripeError(
                404,
                "invalid_request_error",
                f"No such {kind}: '{object_id}'",
                code="resource_missing",
                param="id",
            )
        return store[object_id]

    def _set(self, session_id: str, **changes) -> dict:
        session = self.session(session_id)
        session.update(changes)
        return session

    def created(self) -> list[Seen]:
        """The session-creating requests received, replays included."""
        return [r for r in self.requests if r.path == "/v1/checkout/sessions"]

    # --- refunds ----------------------------------------------------------------

    def _create_refund(self, params: dict) -> dict:
        """POST /v1/refunds: all (or `amount`) of what is left of a PaymentIntent's charge.

        The refund succeeds at once unless a test set `next_refund_status` (e.g.
        "pending", settled later by update_refund()); `refuse_refunds` makes the
        endpoint answer an error instead (see refuse_next_refunds())."""
        if self.refuse_refunds:
            err = self.refuse_refunds.pop(0)
            raise StripeError(err["status"], err["type"], err["message"], **err["extra"])
        if params.get("payment_intent"):
            intent = self._get(self.payment_intents, "payment_intent", params["payment_intent"])
            if intent.get("status") != "succeeded" or not intent.get("latest_charge"):
                raise StripeError(
                    400,
                    "invalid_request_error",
                    f"This PaymentIntent ({intent['id']}) does not have a successful charge "
                    "to refund.",
                )
            charge = self.charges[intent["latest_charge"]]
        elif params.get("charge"):
            charge = self._get(self.charges, "charge", params["charge"])
        else:
            raise StripeError(
                400,
                "invalid_request_error",
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
            )
        left = charge["amount"] - charge["amount_refunded"]
        if left == 0:
            raise StripeError(
                400,
                "invalid_request_error",
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = int(params.get("amount") or left)
        if amount > left:
            raise StripeError(
                400,
                "invalid_request_error",
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left}).",
                code="amount_too_large",
                param="amount",
            )
        status = self.next_refund_status or "succeeded"
        self.next_refund_status = None
        made = self._make_refund(charge, amount, status, params.get("metadata", {}), params)
        if self.refund_answer_delay:  # the webhook may overtake this answer
            time.sleep(self.refund_answer_delay)
        return made

    def _make_refund(self, charge: dict, amount: int, status: str, metadata: dict, params=None):
        # Stripe counts a pending refund as refunded on the charge; a failed one is given back.
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = {
            "id": f"re_{secrets.token_hex(12)}",
            "object": "refund",
            "amount": amount,
            "balance_transaction": None,
            "charge": charge["id"],
            "created": int(time.time()),
            "currency": charge["currency"],
            "failure_reason": None,
            "metadata": metadata,
            "payment_intent": charge["payment_intent"],
            "reason": (params or {}).get("reason"),
            "receipt_number": None,
            "status": status,
        }
        self.refunds[refund["id"]] = refund
        charge.setdefault("_refunds", []).append(refund["id"])
        return refund

    def refuse_next_refunds(self, times: int = 1, *, kind: str = "server") -> None:
        """The next `times` refund requests fail: "server" (500, an outage: the store
        retries), "declined" (402 card_error, Stripe refuses the refund itself)."""
        errors = {
            "server": {"status": 500, "type": "api_error",
                       "message": "An unknown error occurred", "extra": {}},
            "declined": {"status": 402, "type": "card_error",
                         "message": "The refund could not be processed.",
                         "extra": {"code": "card_declined"}},
        }  # fmt: skip
        self.refuse_refunds.extend([errors[kind]] * times)

    def refund(self, refund_id: str) -> dict:
        return self._get(self.refunds, "refund", refund_id)

    def _list_refunds(self, params: dict) -> dict:
        """GET /v1/refunds?payment_intent=pi_...&charge=ch_..., newest first like Stripe."""
        found = [
            r for r in reversed(list(self.refunds.values()))
            if (not params.get("payment_intent") or r["payment_intent"] == params["payment_intent"])
            and (not params.get("charge") or r["charge"] == params["charge"])
        ]  # fmt: skip
        limit = int(params.get("limit") or 10)
        return {"object": "list", "data": found[:limit], "has_more": len(found) > limit,
                "url": "/v1/refunds"}  # fmt: skip

    def charge_with_refunds(self, charge: dict) -> dict:
        """The charge as charge.refunded carries it: amount_refunded and its refunds."""
        shown = {k: v for k, v in charge.items() if not k.startswith("_")}
        data = [self.refunds[r] for r in reversed(charge.get("_refunds", []))]
        shown["refunds"] = {
            "object": "list", "data": data, "has_more": False, "total_count": len(data),
            "url": f"/v1/charges/{charge['id']}/refunds",
        }  # fmt: skip
        return shown

    def refund_events(self, refund_id: str) -> list[dict]:
        """What Stripe sends once a refund is made: refund.created, then charge.refunded."""
        refund = self.refund(refund_id)
        charge = self.charges[refund["charge"]]
        return [
            self.event("refund.created", refund),
            self.event("charge.refunded", self.charge_with_refunds(charge),
                       previous={"amount_refunded": charge["amount_refunded"] - refund["amount"]}),
        ]  # fmt: skip

    def dashboard_refund(
        self, session_id: str, amount: int | None = None, *, status: str = "succeeded"
    ) -> list[dict]:
        """Someone refunds the session's charge in Stripe's dashboard (all that is left
        unless `amount`): a refund without our metadata, and the events Stripe sends."""
        charge = self.charge_of(session_id)
        left = charge["amount"] - charge["amount_refunded"]
        refund = self._make_refund(charge, left if amount is None else amount, status, {})
        return self.refund_events(refund["id"])

    def update_refund(self, refund_id: str, status: str, failure_reason: str | None = None) -> dict:
        """A pending refund settles: refund.updated (Stripe also sends refund.failed for a
        failure; see refund_failed()). A failed refund's money is no longer refunded."""
        refund = self.refund(refund_id)
        previous = {"status": refund["status"]}
        refund["status"] = status
        if status == "failed":
            refund["failure_reason"] = failure_reason or "expired_or_canceled_card"
            charge = self.charges[refund["charge"]]
            charge["amount_refunded"] -= refund["amount"]
            charge["refunded"] = False
        return self.event("refund.updated", refund, previous=previous)

    def refund_failed(self, refund_id: str) -> dict:
        return self.event("refund.failed", self.refund(refund_id))

    # --- the customer's side, and the events that follow ------------------------

    def pay(self, session_id: str, *, payment_status: str = "paid", **overrides) -> dict:
        """The customer pays on the hosted page: checkout.session.completed.

        overrides change what the event carries (e.g. amount_total) without
        touching the stored session, to play a session that does not match.
        """
        session = self._set(session_id, status="complete", payment_status=payment_status)
        if payment_status == "paid":
            self._succeed(session)
        return self.event("checkout.session.completed", {**session, **overrides})

    def async_payment_succeeded(self, session_id: str) -> dict:
        session = self._set(session_id, payment_status="paid")
        self._succeed(session)
        return self.event("checkout.session.async_payment_succeeded", session)

    def async_payment_failed(self, session_id: str) -> dict:
        session = self._set(session_id, payment_status="unpaid")
        return self.event("checkout.session.async_payment_failed", session)

    def expire(self, session_id: str) -> dict:
        session = self._set(session_id, status="expired")
        return self.event("checkout.session.expired", session)

    def decline_card(self, session_id: str, message: str = "Your card was declined.") -> dict:
        intent = self.payment_intents[self.session(session_id)["payment_intent"]]
        intent["status"] = "requires_payment_method"
        intent["last_payment_error"] = {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": message,
        }
        return self.event("payment_intent.payment_failed", intent)

    def _succeed(self, session: dict) -> dict:
        """The PaymentIntent succeeds with a charge; as Stripe now does, the charge gets
        its balance transaction (and so its fee) a little later: see settle()."""
        intent = self.payment_intents[session["payment_intent"]]
        intent["status"] = "succeeded"
        charge = {
            "id": f"ch_{secrets.token_hex(12)}",
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount"],
            "amount_refunded": 0,
            "balance_transaction": None,
            "captured": True,
            "created": int(time.time()),
            "currency": intent["currency"],
            "description": None,
            "livemode": False,
            "metadata": {},
            "paid": True,
            "payment_intent": intent["id"],
            "refunded": False,
            "status": "succeeded",
        }
        self.charges[charge["id"]] = charge
        intent["latest_charge"] = charge["id"]
        return charge

    def charge_of(self, session_id: str) -> dict:
        intent = self.payment_intents[self.session(session_id)["payment_intent"]]
        return self.charges[intent["latest_charge"]]

    def settle(self, session_id: str, *, fee: int | None = None, currency: str | None = None):
        """Stripe books the paid charge to the balance: a balance transaction carrying the
        fee (2.9 % + 30 cents unless given) is attached, and charge.updated follows."""
        charge = self.charge_of(session_id)
        fee = stripe_fee(charge["amount"]) if fee is None else fee
        txn = {
            "id": f"txn_{secrets.token_hex(12)}",
            "object": "balance_transaction",
            "amount": charge["amount"],
            "available_on": int(time.time()) + 2 * 24 * 60 * 60,
            "created": charge["created"],
            "currency": currency or charge["currency"],
            "description": None,
            "fee": fee,
            "fee_details": [
                {
                    "amount": fee,
                    "application": None,
                    "currency": currency or charge["currency"],
                    "description": "Stripe processing fees",
                    "type": "stripe_fee",
                },
            ],  # fmt: skip
            "net": charge["amount"] - fee,
            "reporting_category": "charge",
            "source": charge["id"],
            "status": "pending",
            "type": "charge",
        }
        self.balance_transactions[txn["id"]] = txn
        charge["balance_transaction"] = txn["id"]
        return self.event("charge.updated", charge, previous={"balance_transaction": None})

    def update_charge(self, session_id: str, **changes) -> dict:
        """Another change to the charge (a description, say): charge.updated, no new fee."""
        charge = self.charge_of(session_id)
        previous = {name: charge.get(name) for name in changes}
        charge.update(changes)
        return self.event("charge.updated", charge, previous=previous)

    # --- payouts: the balance to the bank --------------------------------------------

    def pay_out(self, *, arrival_date: int | None = None) -> dict:
        """An automatic payout of every settled charge not paid out yet (their net: the
        amount less the fee), paid to the bank: payout.paid."""
        txns = [
            t for t in self.balance_transactions.values()
            if t["type"] == "charge" and not t.get("_payout")
        ]  # fmt: skip
        now = int(time.time())
        payout = {
            "id": f"po_{secrets.token_hex(12)}",
            "object": "payout",
            "amount": sum(t["net"] for t in txns),
            "arrival_date": arrival_date or now - now % 86400 + 86400,  # midnight UTC
            "automatic": True,
            "balance_transaction": f"txn_{secrets.token_hex(12)}",
            "created": now,
            "currency": txns[0]["currency"] if txns else "cad",
            "description": "STRIPE PAYOUT",
            "failure_code": None,
            "livemode": False,
            "method": "standard",
            "statement_descriptor": None,
            "status": "paid",
            "type": "bank_account",
        }
        for txn in txns:
            txn["_payout"] = payout["id"]
            txn["status"] = "available"
        self.payouts[payout["id"]] = payout
        return self.event("payout.paid", payout)

    def fail_payout(self, payout_id: str) -> dict:
        """The bank returned the payout: payout.failed; its charges may be paid out again."""
        payout = self.payouts[payout_id]
        payout.update(status="failed", failure_code="account_closed")
        for txn in self.balance_transactions.values():
            if txn.get("_payout") == payout_id:
                txn["_payout"] = None
        return self.event("payout.failed", payout)

    def _list_balance_transactions(self, params: dict) -> dict:
        """GET /v1/balance_transactions?payout=po_...&type=charge, in pages of `limit`."""
        found = [
            {k: v for k, v in t.items() if not k.startswith("_")}  # the fake's own marks
            for t in self.balance_transactions.values()
            if (not params.get("payout") or t.get("_payout") == params["payout"])
            and (not params.get("type") or t["type"] == params["type"])
        ]
        if params.get("starting_after"):
            ids = [t["id"] for t in found]
            found = found[ids.index(params["starting_after"]) + 1 :]
        limit = int(params.get("limit") or 10)
        return {
            "object": "list", "data": found[:limit], "has_more": len(found) > limit,
            "url": "/v1/balance_transactions",
        }  # fmt: skip

    def event(self, type_: str, obj: dict, *, previous: dict | None = None) -> dict:
        data = {"object": json.loads(json.dumps(obj))}
        if previous is not None:
            data["previous_attributes"] = previous
        event = {
            "id": f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }
        self.events.append(event)
        return event


def closed_port_url() -> tuple[str, socket.socket]:
    """An address on 127.0.0.1 that refuses connections: bound, never listening.

    Keep the returned socket open for as long as the address must stay refused.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return f"http://127.0.0.1:{sock.getsockname()[1]}", sock
