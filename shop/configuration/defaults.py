"""Default settings. instance/config.py and STORE_* / well-known environment
variables override them (see README, "Configuration")."""

import os


class Config:
    STORE_NAME = "Maple & Pine Outfitters"
    # One sentence about the store: the home page says it, and it is the meta description
    # of the home page and of any category without a description of its own.
    TAGLINE = (
        "Outdoor gear, clothing and kitchen goods, with honest stock and ship dates on every "
        "product."
    )
    BASE_CURRENCY = "CAD"
    LOCALE = "en_CA"
    TIMEZONE = "America/Toronto"

    # The public address every outside link is built from (emails, payment pages, jobs);
    # required in production, http://127.0.0.1:5000 elsewhere. Requests for other hosts
    # get 400 unless listed in TRUSTED_HOSTS (comma separated).
    BASE_URL = None
    TRUSTED_HOSTS = None
    PROXY_HOPS = 0  # proxies in front that set X-Forwarded-For/-Proto (ProxyFix)

    SQLALCHEMY_DATABASE_URI = None  # filled in by create_app: SQLite in instance/
    # A pooled connection is checked (a cheap round trip) before each use, so one the
    # database dropped (a restart, a failover, an idle timeout) is replaced rather than
    # failing the next request with a 500.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    # "Remember me" is the store's own cookie (shop/accounts/sessions.py), set with the
    # session cookie's flags; Flask-Login's REMEMBER_COOKIE_* settings are not used.
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    # Strict-Transport-Security max-age in seconds; 0 sends none (plain http in development).
    HSTS_MAX_AGE = 0

    # How long a sign-in lasts (shop/accounts/sessions.py). Staff: 30 minutes without a
    # request, 12 hours in all, never remembered. Customers: 12 hours idle, 7 days in all;
    # "remember me" (customers only) starts a new session on that device until 30 days
    # after the sign-in.
    STAFF_SESSION_IDLE_MINUTES = 30
    STAFF_SESSION_MAX_HOURS = 12
    CUSTOMER_SESSION_IDLE_HOURS = 12
    CUSTOMER_SESSION_MAX_DAYS = 7
    REMEMBER_ME_DAYS = 30

    # Rate limits (Flask-Limiter). memory:// is per process; production sets redis://.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    # "Track your order" (order number + email or postal code), per client address.
    TRACKING_RATE_LIMIT = "10 per minute;50 per hour"
    TRACKING_NUMBER_RATE_LIMIT = "10 per hour"  # failed attempts at one order number

    # Argon2id parameters: argon2-cffi's RFC 9106 low-memory profile (t=3, m=64 MiB,
    # p=4), which exceeds OWASP's minimum (t=2, m=19 MiB, p=1).
    PASSWORD_HASH_TIME_COST = 3
    PASSWORD_HASH_MEMORY_KIB = 65536
    PASSWORD_HASH_PARALLELISM = 4
    PASSWORD_RESET_MAX_AGE = 3600  # seconds a reset link stays valid
    REGISTRATION_LINK_MAX_AGE = 86400  # seconds the "finish creating your account" link works
    # Per-account throttling (login, password change, emails asked for an address):
    # this many failures are free, then a wait of FIRST seconds doubling up to MAX;
    # the count starts again after FORGET seconds without a failure or at a success.
    ACCOUNT_LOCKOUT_AFTER = 5
    ACCOUNT_LOCKOUT_FIRST_SECONDS = 60
    ACCOUNT_LOCKOUT_MAX_SECONDS = 900
    ACCOUNT_LOCKOUT_FORGET_SECONDS = 86400

    # Email: .eml files under instance/mail/ unless SMTP_URL is set
    # (smtp://user:pass@host:port, smtps:// for TLS, ?starttls=1 for STARTTLS).
    SMTP_URL = None
    MAIL_FROM = "Maple & Pine Outfitters <shop@example.com>"
    OUTBOX_MAX_ATTEMPTS = 8

    # Jobs (shop/jobs): "redis" when REDIS_URL is set, else "sqlite" (instance/jobs.sqlite3,
    # the consumer `make run` starts); "immediate" runs each job at once (the tests).
    JOBS_BACKEND = None

    # Availability
    LOW_STOCK_THRESHOLD = 5  # "Only N left" at or below this
    HANDLING_DAYS = 2  # days from stock arriving to the parcel leaving
    DEFAULT_LEAD_TIME_DAYS = 14
    # A purchase order still not here on its expected date is expected this many days
    # from the morning it was found late (`flask backorders repromise`), and the customers
    # waiting for it are told the new date; still late then, it moves again.
    LATE_DELIVERY_GRACE_DAYS = 7

    # Orders
    ORDER_NUMBER_PREFIX = "MP"
    ORDER_PAYMENT_MINUTES = 60  # an unpaid order releases its stock after this

    # Payments: Stripe when STRIPE_SECRET_KEY is set, else the offline demo provider
    # (never in production unless DEMO_PAYMENTS_ALLOWED is set).
    STRIPE_SECRET_KEY = None
    STRIPE_WEBHOOK_SECRET = None
    STRIPE_API_BASE = None  # tests point the real stripe library at a local fake
    STRIPE_MAX_NETWORK_RETRIES = 2
    STRIPE_TIMEOUT_SECONDS = 15
    STRIPE_WEBHOOK_TOLERANCE = 300  # seconds a signed webhook stays acceptable
    DEMO_PAYMENTS_ALLOWED = False

    PRODUCTS_PER_PAGE = 24
    # The parts of category and product pages that are the same for everybody are kept
    # rendered (shop/page_cache.py), keyed by a version that every change of the catalogue,
    # stock, purchase orders or orders bumps in its own transaction: never stale. CACHE_TYPE
    # None: "RedisCache" on REDIS_URL (shared by every host), else "SimpleCache" (in each
    # process); "NullCache" keeps nothing. Any other CACHE_* of Flask-Caching applies.
    CACHE_TYPE = None
    CACHE_KEY_PREFIX = "store:"
    CACHE_THRESHOLD = 2000  # SimpleCache: parts kept per process at most
    PAGE_CACHE_SECONDS = 600  # a kept part is dropped after this, whatever its version
    MAX_LINE_QUANTITY = 999
    MAX_IMAGE_BYTES = 5 * 1024 * 1024
    MAX_IMAGE_PIXELS = 40_000_000  # width x height of an upload; more is refused undecoded
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024

    # --- operations (issue 13, ops): health, logs, SQLite under load, housekeeping -------
    # SQLite: how long a write transaction waits for the write lock (in this process's
    # queue, then SQLite's busy_timeout), before "database is locked". Keep it below the
    # web server's worker timeout (gunicorn: 30 s).
    SQLITE_BUSY_TIMEOUT_SECONDS = 10
    # Logs go to stderr, one line per record: JSON in production, text elsewhere
    # (LOG_FORMAT = "json" or "text" chooses), at LOG_LEVEL and above.
    LOG_LEVEL = "INFO"
    LOG_FORMAT = None
    # `flask housekeeping purge` / the nightly job "housekeeping.purge": guest carts left
    # alone this many days, emails sent this many days ago, payment providers' events
    # received this many days ago (4 at least: Stripe retries an event for 3 days), in
    # batches of this many rows (one short transaction each).
    HOUSEKEEPING_GUEST_CART_DAYS = 30
    HOUSEKEEPING_SENT_MAIL_DAYS = 30
    HOUSEKEEPING_PAYMENT_EVENT_DAYS = 30
    HOUSEKEEPING_JOB_RUN_DAYS = 14  # the Chores page shows the latest runs
    HOUSEKEEPING_BATCH_SIZE = 500

    # Media (product images, the logo; shop/media/): "local" keeps them under
    # instance/images/ (one host only: another host behind the same load balancer would
    # not have them), "s3" in an S3-compatible bucket every host reads. Credentials are
    # boto3's own (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile or an instance
    # role). S3_ENDPOINT_URL points at MinIO or another S3 API (unset: AWS itself).
    # MEDIA_PUBLIC_URL, when set, is where browsers fetch images (a public bucket or a
    # CDN in front of it, e.g. https://cdn.example.com/media) instead of the app's /media/.
    MEDIA_STORAGE = "local"
    S3_BUCKET = None
    S3_ENDPOINT_URL = None
    S3_REGION = None
    S3_PREFIX = "media/"
    MEDIA_PUBLIC_URL = None
    S3_TIMEOUT_SECONDS = 10  # connect and read, each; an upload then fails with a message

    # offload: long work out of the request. A batch of packing slips or labels of more
    # shipments than this is made by a job and downloaded from its page when ready.
    DOCUMENT_BATCH_QUEUED_ABOVE = 20
    DOCUMENT_BATCH_KEEP_HOURS = 24  # a prepared batch's file is kept this long


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True  # the remember-me cookie too
    PREFERRED_URL_SCHEME = "https"
    HSTS_MAX_AGE = 365 * 24 * 3600  # browsers use https only, for a year


class TestConfig(Config):
    TESTING = True
    JOBS_BACKEND = "immediate"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    # Cheap hashes keep the suite fast; the algorithm and code path are the same.
    PASSWORD_HASH_TIME_COST = 1
    PASSWORD_HASH_MEMORY_KIB = 1024
    PASSWORD_HASH_PARALLELISM = 1


def environment_name() -> str:
    return os.environ.get("STORE_ENV", "development")
