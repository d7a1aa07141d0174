"""The media storage the settings ask for, checked when the app starts."""

import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from shop.configuration.loading import ConfigurationError
from shop.media.files import EXTENSION_KEY
from shop.media.storage import LocalStorage, S3Storage, Storage

log = logging.getLogger("shop.media")
KINDS = ("local", "s3")


def init_app(app: Flask) -> None:
    cfg = app.config
    kind = str(cfg.get("MEDIA_STORAGE") or "local").strip().lower()
    if kind not in KINDS:
        raise ConfigurationError(
            f"STORE_MEDIA_STORAGE must be local or s3, not {cfg.get('MEDIA_STORAGE')!r}."
        )
    cfg["MEDIA_STORAGE"] = kind
    cfg["MEDIA_PUBLIC_URL"] = public_url(cfg.get("MEDIA_PUBLIC_URL"))
    app.extensions[EXTENSION_KEY] = s3_storage(cfg) if kind == "s3" else local_storage(app)


def local_storage(app: Flask) -> Storage:
    if app.config["STORE_ENV"] == "production":
        # Legal on one host; with two, an image uploaded on one is missing on the other.
        log.warning(
            "Production keeps media (product images, the logo) in the local folder %s: "
            "with more than one application host behind a load balancer, an image uploaded "
            "on one host is missing on the others. Set STORE_MEDIA_STORAGE=s3 and "
            "STORE_S3_BUCKET for shared storage.",
            Path(app.instance_path) / "images",
        )
    return LocalStorage(Path(app.instance_path) / "images")


def s3_storage(cfg) -> Storage:
    bucket = (cfg.get("S3_BUCKET") or "").strip()
    if not bucket:
        raise ConfigurationError(
            "STORE_MEDIA_STORAGE=s3 needs STORE_S3_BUCKET, the bucket that keeps the images "
            "(and STORE_S3_ENDPOINT_URL for a service other than AWS, such as MinIO)."
        )
    try:
        import boto3  # noqa: F401
    except ImportError as exc:
        raise ConfigurationError(
            "STORE_MEDIA_STORAGE=s3 needs boto3: pip install -e '.[production]'."
        ) from exc
    endpoint = cfg.get("S3_ENDPOINT_URL") or None
    if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
        raise ConfigurationError(
            f"STORE_S3_ENDPOINT_URL must be an http:// or https:// address, not {endpoint!r}."
        )
    return S3Storage(
        bucket=bucket,
        prefix=key_prefix(cfg.get("S3_PREFIX")),
        endpoint_url=endpoint,
        region=cfg.get("S3_REGION") or None,
        timeout=float(cfg.get("S3_TIMEOUT_SECONDS") or 10),
    )


def key_prefix(value) -> str:
    """The keys media/<name> for "media", "/media/" or "media/"; "" is the bucket root."""
    prefix = str(value or "").strip().strip("/")
    return f"{prefix}/" if prefix else ""


# A plain base address: scheme, host (and port), a path of URL-safe characters. Its origin
# goes into the Content-Security-Policy as is, so nothing there may end a source (a space,
# ";", ",", a quote) or carry a password.
PUBLIC_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?")


def public_url(value) -> str | None:
    """MEDIA_PUBLIC_URL without its trailing slash; it must be a web address."""
    if not value:
        return None
    parts = urlsplit(str(value).strip())
    if not PUBLIC_URL.fullmatch(str(value).strip()) or not parts.hostname:
        raise ConfigurationError(
            "STORE_MEDIA_PUBLIC_URL must be the http(s) address images are fetched from, "
            f"e.g. https://cdn.example.com/media, not {value!r}."
        )
    return str(value).strip().rstrip("/")
