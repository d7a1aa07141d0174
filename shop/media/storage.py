"""Where media files live: a local folder (one host) or an S3-compatible bucket (any
number of hosts). Both keep the same flat names (shop.media.names) and answer the same
calls; a backend that cannot be reached raises MediaUnavailable, whatever its library.
"""

import logging
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from shop.media.images import MediaError
from shop.media.names import content_type, is_media_name
from shop.private_files import private_folder, write_private

log = logging.getLogger("shop.media")
CHUNK = 64 * 1024


class MediaUnavailable(MediaError):
    """The media storage did not answer (a bucket down, a full disk)."""

    def __init__(self, detail: str = ""):
        super().__init__("The image could not be stored or read just now; please try again.")
        self.detail = detail


@dataclass
class Stored:
    """One file, ready to serve: a local file by its path, an object by its stream."""

    content_type: str
    etag: str | None = None
    length: int | None = None
    last_modified: object = None  # a datetime
    path: Path | None = None
    chunks: Iterator[bytes] | None = None
    not_modified: bool = False  # the client's copy (If-None-Match) is this one
    close: Callable[[], None] = field(default=lambda: None)


class Storage(Protocol):
    def save(self, name: str, data: bytes) -> None: ...
    def load(self, name: str) -> bytes | None: ...
    def open(self, name: str, if_none_match: str | None = None) -> Stored | None: ...
    def delete(self, name: str) -> None: ...
    def names(self) -> Iterator[str]: ...
    def describe(self) -> str: ...


class LocalStorage:
    """A folder of files readable by the store's user alone (instance/images/)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def save(self, name: str, data: bytes) -> None:
        folder = private_folder(self.folder)
        # Written beside and renamed: a reader never sees half a picture, even when two
        # requests draw the same missing size at once.
        partial = folder / f".{name}.{secrets.token_hex(6)}.part"
        try:
            write_private(partial, data)
            os.replace(partial, folder / name)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise MediaUnavailable(str(exc)) from exc

    def load(self, name: str) -> bytes | None:
        path = self._path(name)
        try:
            return path.read_bytes() if path else None
        except FileNotFoundError:
            return None

    def open(self, name: str, if_none_match: str | None = None) -> Stored | None:
        path = self._path(name)
        if path is None or not path.is_file():
            return None
        return Stored(content_type=content_type(name), path=path)

    def delete(self, name: str) -> None:
        path = self._path(name)
        if path is not None:
            path.unlink(missing_ok=True)

    def names(self) -> Iterator[str]:
        if self.folder.is_dir():
            yield from sorted(p.name for p in self.folder.iterdir() if is_media_name(p.name))

    def describe(self) -> str:
        return f"the folder {self.folder}"

    def _path(self, name: str) -> Path | None:
        # Only the store's own names: no "..", no "/", so nothing outside the folder.
        return self.folder / name if is_media_name(name) else None


class S3Storage:
    """Objects <prefix><name> in one bucket of S3 or an S3-compatible service."""

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        timeout: float = 10,
    ):
        import boto3
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix
        config = Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"max_attempts": 2, "mode": "standard"},
        )
        # A client is safe to share between threads (a boto3 resource is not).
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url, region_name=region, config=config
        )

    def save(self, name: str, data: bytes) -> None:
        with self._answering():
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(name), Body=data, ContentType=content_type(name)
            )

    def load(self, name: str) -> bytes | None:
        stored = self.open(name)
        if stored is None:
            return None
        try:
            with self._answering():
                return b"".join(stored.chunks)
        finally:
            stored.close()

    def open(self, name: str, if_none_match: str | None = None) -> Stored | None:
        if not is_media_name(name):
            return None
        extra = {"IfNoneMatch": if_none_match} if if_none_match else {}
        with self._answering(missing_ok=True) as answer:
            obj = self.client.get_object(Bucket=self.bucket, Key=self._key(name), **extra)
        if answer.missing:
            return None
        if answer.not_modified:
            return Stored(content_type=content_type(name), not_modified=True, etag=if_none_match)
        body = obj["Body"]
        return Stored(
            # The type follows the name, not whatever the object says: only images leave.
            content_type=content_type(name),
            etag=obj.get("ETag"),
            length=obj.get("ContentLength"),
            last_modified=obj.get("LastModified"),
            chunks=body.iter_chunks(CHUNK),
            close=body.close,
        )

    def delete(self, name: str) -> None:
        if is_media_name(name):
            with self._answering():
                self.client.delete_object(Bucket=self.bucket, Key=self._key(name))

    def names(self) -> Iterator[str]:
        with self._answering():
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"][len(self.prefix) :]
                    if is_media_name(name):
                        yield name

    def describe(self) -> str:
        return f"the bucket {self.bucket} (keys {self.prefix}*)"

    def _key(self, name: str) -> str:
        return self.prefix + name

    def _answering(self, missing_ok: bool = False):
        return _S3Answer(missing_ok)


class _S3Answer:
    """Turns botocore's errors into MediaUnavailable; a missing key (and a 304) is noted
    instead when asked."""

    def __init__(self, missing_ok: bool):
        self.missing_ok = missing_ok
        self.missing = self.not_modified = False

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, _tb):
        if exc is None:
            return False
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if self.missing_ok and code in ("NoSuchKey", "404", "NotFound"):
                self.missing = True
                return True
            if self.missing_ok and code in ("304", "NotModified"):
                self.not_modified = True
                return True
        if isinstance(exc, BotoCoreError | ClientError):
            log.warning("media storage failed: %s", exc)
            raise MediaUnavailable(str(exc)) from exc
        return False
