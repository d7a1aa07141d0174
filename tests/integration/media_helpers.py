"""Media tests run on both storages: the local folder and an S3 bucket on moto's server
(a real S3 API on 127.0.0.1, driven by the real boto3)."""

import io
import secrets

import boto3
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

REGION = "us-east-1"
STORAGES = ["local", "s3"]


class S3Server:
    """moto's S3 on a free port of 127.0.0.1, and a boto3 client of the test's own."""

    def __init__(self):
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        self.client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        self.running = True
        self._shared: str | None = None

    def new_bucket(self) -> str:
        name = f"shop-media-{secrets.token_hex(4)}"
        self.client.create_bucket(Bucket=name)
        return name

    def emptied_bucket(self) -> str:
        """The bucket this server's tests share, with nothing in it: a test's app whose
        settings are those of the test before it is kept (tests/app_shelf.py), and one made
        for S3 costs a third of a second."""
        if self._shared is None:
            self._shared = self.new_bucket()
        listing = self.client.list_objects_v2(Bucket=self._shared)
        keys = [{"Key": item["Key"]} for item in listing.get("Contents", [])]
        if keys:
            self.client.delete_objects(Bucket=self._shared, Delete={"Objects": keys})
        return self._shared

    def keys(self, bucket: str) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def stop(self):
        if self.running:
            self.server.stop()
            self.running = False


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def aws_credentials(monkeypatch):
    """What boto3 reads from the environment, as a host with a key would have it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def s3_config(server: S3Server, bucket: str) -> dict:
    return {
        "MEDIA_STORAGE": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": server.endpoint,
        "S3_REGION": REGION,
        "S3_TIMEOUT_SECONDS": 2,
    }


def photo(width: int, height: int, fmt: str = "JPEG", quality: int = 95) -> bytes:
    """A blotchy picture: it compresses about as badly as a camera's photo, so a big one
    is megabytes."""
    small = (max(width // 4, 1), max(height // 4, 1))
    noise = Image.frombytes("RGB", small, secrets.token_bytes(small[0] * small[1] * 3))
    img = noise.resize((width, height), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    img.save(buffer, fmt, quality=quality) if fmt == "JPEG" else img.save(buffer, fmt)
    return buffer.getvalue()


def png(size=(40, 30), colour="red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()
