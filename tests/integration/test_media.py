"""Images in the local folder or in an S3 bucket (moto's server, the real boto3): uploaded
through the back office, drawn at the sizes the pages show, served at /media/ by any host,
and a storage that is down gives a message, never a 500."""

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from shop import create_app, media
from shop.accounts import roles
from shop.catalogue.models import ProductImage
from shop.configuration.loading import ConfigurationError
from shop.extensions import db
from shop.media.images import SIZES
from shop.media.names import renditions_of
from tests.conftest import log_in, make_app
from tests.factories import CategoryFactory, ProductFactory, VariantFactory
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of
from tests.integration.media_helpers import (
    STORAGES,
    S3Server,
    aws_credentials,  # noqa: F401  (a fixture)
    photo,
    png,
    s3_config,
    s3_server,  # noqa: F401  (a fixture)
)

YEAR = 365 * 24 * 3600


@pytest.fixture(params=STORAGES)
def storage_kind(request) -> str:
    return request.param


@pytest.fixture
def app_config(storage_kind, request, aws_credentials):  # noqa: F811
    if storage_kind == "local":
        return {}
    server = request.getfixturevalue("s3_server")
    return s3_config(server, server.emptied_bucket())


@pytest.fixture
def sales(app, staff):
    client = app.test_client()
    log_in(client, staff[roles.SALES].email)
    return client


@pytest.fixture
def tent():
    tents = CategoryFactory(name="Tents", slug="tents")
    product = ProductFactory(name="Ridge Tent", slug="ridge-tent", category=tents)
    VariantFactory(product=product, stock=3)
    return product


def upload(client, product, data: bytes, name="photo.jpg"):
    return client.post(
        f"/admin/products/{product.id}/images/new",
        data={"image": (io.BytesIO(data), name), "alt": "The tent pitched"},
        content_type="multipart/form-data",
    )


def image_sources(response) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', response.get_data(as_text=True))


def stored_names() -> list[str]:
    return sorted(media.storage().names())


def opened(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


# --- upload, sizes, serving -----------------------------------------------------------


def test_a_big_photo_is_shown_at_the_sizes_pages_need_and_never_as_its_original(
    app, client, sales, tent, storage_kind
):
    original = photo(2400, 1600)
    assert 2 << 20 < len(original) < 5 << 20  # a camera's photo, under the 5 MB limit
    assert upload(sales, tent, original).status_code == 302
    image = db.session.scalar(sa.select(ProductImage))
    card, product = (media.rendition_name(image.filename, size) for size in ("card", "product"))
    assert stored_names() == sorted([image.filename, card, product])

    page = client.get("/p/ridge-tent")
    assert image_sources(page) == [f"/media/{product}"]
    assert image_sources(client.get("/c/tents")) == [f"/media/{card}"]
    admin_page = sales.get(f"/admin/products/{tent.id}")
    assert image_sources(admin_page) == [f"/media/{card}"]
    for response in (page, admin_page):
        assert image.filename not in response.get_data(as_text=True)

    # Bytes follow pixels: a quarter of them at most for the page, 1/25 for a card.
    for name, size, most in ((card, "card", 300_000), (product, "product", 1 << 20)):
        served = client.get(f"/media/{name}")
        assert served.status_code == 200, name
        assert served.mimetype == "image/webp"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        img = opened(served.data)
        assert img.format == "WEBP" and max(img.size) == SIZES[size]
        assert img.size == (SIZES[size], SIZES[size] * 2 // 3)  # its shape kept
        assert len(served.data) < most, (size, len(served.data))
    whole = client.get(f"/media/{image.filename}")
    assert whole.status_code == 200 and whole.mimetype == "image/jpeg"
    assert opened(whole.data).size == (2400, 1600)


def test_a_small_picture_is_never_enlarged(app, client, sales, tent, storage_kind):
    assert upload(sales, tent, png((300, 200)), name="small.png").status_code == 302
    image = db.session.scalar(sa.select(ProductImage))
    for name in renditions_of(image.filename):
        assert opened(client.get(f"/media/{name}").data).size == (300, 200)
    assert client.get(f"/media/{image.filename}").data == png((300, 200))


def test_a_served_image_may_be_cached_for_good_and_is_checked_by_its_etag(
    app, client, sales, tent, storage_kind
):
    upload(sales, tent, png())
    name = media.rendition_name(db.session.scalar(sa.select(ProductImage.filename)), "card")
    first = client.get(f"/media/{name}")
    assert first.status_code == 200
    cache = first.cache_control
    assert cache.public and cache.max_age == YEAR and cache.immutable
    assert not cache.no_cache and not cache.private and not cache.no_store
    etag = first.headers["ETag"]
    again = client.get(f"/media/{name}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get(f"/media/{name}", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data
    # Headers the bucket is not asked about are answered here, never with an error.
    for odd, status in ((f"W/{etag}", 304), (f'"x", {etag}', 304), ("*", 304), ('"', 200)):
        answer = client.get(f"/media/{name}", headers={"If-None-Match": odd})
        assert answer.status_code == status, odd
        assert answer.data == (first.data if status == 200 else b"")


@pytest.mark.parametrize(
    "path",
    [
        "/media/nothing-0123456789ab.png",
        "/media/nothing-0123456789ab.card.webp",  # a size of no original: nothing to draw
        "/media/nothing-0123456789ab.huge.webp",
        "/media/secret_key",
        "/media/../secret_key",
        "/media/..%2fsecret_key",
        "/media/%2e%2e/secret_key",
        "/media/images/../../secret_key",
        "/media/store.db",
        "/media/.hidden.png",
        "/media/config.py",
    ],
)
def test_a_missing_or_made_up_name_is_not_found(app, client, storage_kind, path):
    (Path(app.instance_path) / "images").mkdir(parents=True, exist_ok=True)
    (Path(app.instance_path) / "config.py").write_text("SECRET = 1\n")
    assert client.get(path).status_code == 404


def test_a_removed_image_takes_its_sizes_with_it(app, client, sales, tent, storage_kind):
    upload(sales, tent, png())
    image = db.session.scalar(sa.select(ProductImage))
    names = [image.filename, *renditions_of(image.filename)]
    response = sales.post(
        f"/admin/products/{tent.id}/images/{image.id}/delete", follow_redirects=True
    )
    assert "Image removed." in flashes(text_of(response))
    assert stored_names() == []
    for name in names:
        assert client.get(f"/media/{name}").status_code == 404


# --- bad uploads ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data,name,message",
    [
        (b"this is not a picture", "tent.png", "This file is not an image we can show."),
        (b"GIF89a" + b"\x00" * 40, "tent.gif", "This file is not an image we can show."),
        (png() + b"\x00" * (5 << 20), "tent.png", "The image is too large (at most 5 MB)."),
    ],
    ids=["not-an-image", "truncated", "too-big"],
)
def test_a_bad_upload_gets_a_message_and_changes_nothing(
    app, sales, tent, storage_kind, data, name, message
):
    response = upload(sales, tent, data, name=name)
    assert response.status_code == 422
    assert errors_beside(text_of(response), "image") == [message]
    assert db.session.scalar(sa.select(sa.func.count(ProductImage.id))) == 0
    assert stored_names() == []


# --- images kept before sizes existed ---------------------------------------------------


def old_image(product, filename: str, data: bytes) -> ProductImage:
    """An image as a store kept it before sizes: its original alone."""
    media.storage().save(filename, data)
    image = ProductImage(product=product, filename=filename, alt="Old photo", position=0)
    db.session.add(image)
    db.session.commit()
    return image


def test_an_image_kept_before_sizes_is_drawn_when_first_asked_for(app, client, tent, storage_kind):
    image = old_image(tent, "ridge-tent-0123456789ab.jpg", photo(1600, 1600))
    product = media.rendition_name(image.filename, "product")
    page = client.get("/p/ridge-tent")
    assert image_sources(page) == [f"/media/{product}"]
    served = client.get(f"/media/{product}")
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert opened(served.data).size == (1200, 1200)
    assert product in stored_names()  # kept: drawn once, then served as it is
    assert client.get(f"/media/{product}").data == served.data


def test_flask_media_renditions_draws_every_missing_size(app, client, tent, storage_kind):
    old_image(tent, "ridge-tent-0123456789ab.png", png((2000, 1000)))
    media.storage().save("logo-abcdefabcdef.gif", _gif())
    media.storage().save("broken-000000000000.png", b"not a picture")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["media", "renditions"])
    assert result.exit_code == 0, result.output
    assert "4 image sizes drawn" in result.output
    assert "Could not draw broken-000000000000.png" in result.output
    names = stored_names()
    for original in ("ridge-tent-0123456789ab.png", "logo-abcdefabcdef.gif"):
        assert set(renditions_of(original)) <= set(names)
    card = opened(media.storage().load("ridge-tent-0123456789ab.card.webp"))
    assert card.size == (480, 240)
    again = runner.invoke(args=["media", "renditions"])
    assert again.exit_code == 0 and "0 image sizes drawn" in again.output


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (64, 64), 3).save(buffer, "GIF", transparency=3)
    return buffer.getvalue()


def test_the_demo_store_has_every_size_of_its_images(app, client, storage_kind):
    from shop.demo import seed_demo

    seed_demo()
    db.session.commit()
    names = set(stored_names())
    images = db.session.scalars(sa.select(ProductImage)).all()
    assert images
    for image in images:
        assert {image.filename, *renditions_of(image.filename)} <= names
    card = media.rendition_name(images[0].filename, "card")
    assert client.get(f"/media/{card}").status_code == 200


# --- the logo ---------------------------------------------------------------------------


def test_the_logo_is_kept_in_the_storage_and_drawn_on_invoices(app, staff, storage_kind):
    from shop.billing.files import logo_data
    from shop.store_details.services import store_settings
    from tests.integration.test_books_backoffice import settings_form

    owner = app.test_client()
    log_in(owner, staff[roles.OWNER].email)
    data = settings_form(logo=(io.BytesIO(photo(1600, 400)), "logo.jpg"))
    response = owner.post("/admin/store-settings", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, text_of(response)
    first = store_settings().logo_filename
    page = owner.get("/admin/store-settings")
    assert f"/media/{media.rendition_name(first, 'card')}" in image_sources(page)
    assert opened(logo_data(store_settings())).size == (1200, 300)

    data = settings_form(logo=(io.BytesIO(png((400, 100))), "logo.png"))
    owner.post("/admin/store-settings", data=data, content_type="multipart/form-data")
    second = store_settings().logo_filename
    assert second != first
    assert stored_names() == sorted([second, *renditions_of(second)])  # the old one is gone


# --- more than one host -----------------------------------------------------------------


def test_an_image_uploaded_on_one_host_is_served_by_another(
    app, client, sales, tent, tmp_path, pg_state, database, app_config, storage_kind, request
):
    """Two hosts behind one load balancer: the same database and settings, each its own
    instance folder. With S3 the second serves what the first took; with the local folder
    it cannot (the reason production warns about local media)."""
    other_host = make_app(
        database,
        tmp_path / "host-b",
        pg_state,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        **app_config,
    )
    assert other_host.instance_path != app.instance_path
    assert upload(sales, tent, photo(1000, 800)).status_code == 302
    image = db.session.scalar(sa.select(ProductImage))
    names = [image.filename, *renditions_of(image.filename)]

    visitor = other_host.test_client()
    (source,) = image_sources(visitor.get("/p/ridge-tent"))
    served = visitor.get(source)
    if storage_kind == "local":
        assert served.status_code == 404
        return
    server = request.getfixturevalue("s3_server")
    assert server.keys(app.config["S3_BUCKET"]) == sorted(f"media/{n}" for n in names)
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert served.data == client.get(source).data
    assert visitor.get(f"/media/{image.filename}").status_code == 200
    for host in (app, other_host):
        assert not (Path(host.instance_path) / "images").exists()  # nothing kept on a host


# --- the bucket down --------------------------------------------------------------------


@pytest.fixture
def down_server():
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def app_on_own_bucket(database, tmp_path, pg_state, down_server, aws_credentials):  # noqa: F811
    bucket = down_server.new_bucket()
    app = make_app(database, tmp_path / "own", pg_state, **s3_config(down_server, bucket))
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        if database == "postgresql":
            from tests.conftest import empty_all_tables

            empty_all_tables()
        db.engine.dispose()


def test_a_bucket_that_is_down_gives_a_message_and_changes_nothing(
    app_on_own_bucket, down_server, caplog
):
    from tests.factories import UserFactory

    app = app_on_own_bucket
    UserFactory(role=roles.SALES, email="sales@shop.test")
    tents = CategoryFactory(name="Tents", slug="tents")
    tent = ProductFactory(name="Ridge Tent", slug="ridge-tent", category=tents)
    VariantFactory(product=tent, stock=3)
    sales = app.test_client()
    log_in(sales, "sales@shop.test")
    assert upload(sales, tent, png()).status_code == 302
    kept = db.session.scalar(sa.select(ProductImage))
    kept_name, card = kept.filename, media.rendition_name(kept.filename, "card")

    down_server.stop()
    response = upload(sales, tent, png(colour="blue"))
    assert response.status_code == 422
    assert errors_beside(text_of(response), "image") == [
        "The image could not be stored or read just now; please try again."
    ]
    assert db.session.scalars(sa.select(ProductImage.filename)).all() == [kept.filename]
    visitor = app.test_client()
    assert visitor.get("/p/ridge-tent").status_code == 200  # the page needs no bucket
    assert visitor.get(f"/media/{card}").status_code == 503

    with caplog.at_level("WARNING", logger="shop.media"):
        removed = sales.post(f"/admin/products/{tent.id}/images/{kept.id}/delete")
    assert removed.status_code == 302  # the row goes; the files stay, unused, and are logged
    assert db.session.scalar(sa.select(sa.func.count(ProductImage.id))) == 0
    assert f"could not remove the media files {kept_name}, " in caplog.text


# --- settings ---------------------------------------------------------------------------


def test_s3_without_a_bucket_or_an_unknown_storage_refuses_to_start(tmp_path):
    base = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    with pytest.raises(ConfigurationError, match="STORE_MEDIA_STORAGE=s3 needs STORE_S3_BUCKET"):
        create_app({**base, "MEDIA_STORAGE": "s3"})
    with pytest.raises(ConfigurationError, match="must be local or s3, not 'nfs'"):
        create_app({**base, "MEDIA_STORAGE": "nfs"})
    with pytest.raises(ConfigurationError, match="STORE_MEDIA_PUBLIC_URL must be"):
        create_app({**base, "MEDIA_PUBLIC_URL": "cdn.example.com"})
    with pytest.raises(ConfigurationError, match="STORE_S3_ENDPOINT_URL must be"):
        create_app({**base, "MEDIA_STORAGE": "s3", "S3_BUCKET": "b", "S3_ENDPOINT_URL": "x"})


def test_production_with_local_media_starts_with_a_warning(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("STORE_ENV", "production")
    monkeypatch.setenv("STORE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("STORE_BASE_URL", "https://shop.example.com")
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    with caplog.at_level("WARNING", logger="shop.media"):
        create_app()
    assert "with more than one application host" in caplog.text
    assert "STORE_MEDIA_STORAGE=s3" in caplog.text
    caplog.clear()
    monkeypatch.setenv("STORE_MEDIA_STORAGE", "s3")
    monkeypatch.setenv("STORE_S3_BUCKET", "shop-media")
    with caplog.at_level("WARNING", logger="shop.media"):
        app = create_app()
    assert caplog.text == ""
    assert app.config["S3_PREFIX"] == "media/"


def test_media_public_url_points_images_at_the_cdn_and_the_policy_allows_it(
    database, tmp_path, pg_state
):
    app = make_app(database, tmp_path, pg_state, MEDIA_PUBLIC_URL="https://cdn.example.test/m/")
    with app.app_context():
        db.create_all()
        tents = CategoryFactory(name="Tents", slug="tents")
        product = ProductFactory(name="Ridge Tent", slug="ridge-tent", category=tents)
        VariantFactory(product=product, stock=3)
        db.session.add(ProductImage(product=product, filename="ridge-tent-0123456789ab.png"))
        db.session.commit()
        page = app.test_client().get("/p/ridge-tent")
        assert image_sources(page) == [
            "https://cdn.example.test/m/ridge-tent-0123456789ab.product.webp"
        ]
        policy = page.headers["Content-Security-Policy"]
        assert "img-src 'self' data: https://cdn.example.test;" in policy
        db.session.remove()
        if database == "postgresql":
            from tests.conftest import empty_all_tables

            empty_all_tables()
        else:
            db.drop_all()
        db.engine.dispose()


# --- moving a store to the bucket -------------------------------------------------------


def test_copy_to_s3_copies_a_local_folder_into_the_bucket_once(app, tmp_path, storage_kind):
    runner = app.test_cli_runner()
    if storage_kind == "local":
        result = runner.invoke(args=["media", "copy-to-s3"])
        assert result.exit_code != 0 and "Nothing was copied" in result.output
        return
    folder = tmp_path / "old-host-images"
    folder.mkdir()
    (folder / "ridge-tent-0123456789ab.png").write_bytes(png())
    (folder / "ridge-tent-0123456789ab.card.webp").write_bytes(b"RIFF-a-size")
    (folder / "logo-abcdefabcdef.jpg").write_bytes(photo(40, 40))
    (folder / "notes.txt").write_text("not media")
    result = runner.invoke(args=["media", "copy-to-s3", "--from", str(folder)])
    assert result.exit_code == 0, result.output
    assert "3 files copied" in result.output and "0 were there already" in result.output
    assert stored_names() == sorted(
        [
            "ridge-tent-0123456789ab.png",
            "ridge-tent-0123456789ab.card.webp",
            "logo-abcdefabcdef.jpg",
        ]
    )
    assert media.storage().load("ridge-tent-0123456789ab.png") == png()
    again = runner.invoke(args=["media", "copy-to-s3", "--from", str(folder)])
    assert "0 files copied" in again.output and "3 were there already" in again.output
    drawn = runner.invoke(args=["media", "renditions"])
    assert "3 image sizes drawn" in drawn.output  # the product size and the logo's two
