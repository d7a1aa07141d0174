"""Uploaded images are re-drawn before they are kept: what is served is a picture and only
that (no HTML riding along, no camera's GPS position), and a decompression bomb is refused."""

import io
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image

from shop import media
from shop.accounts import roles
from shop.catalogue.models import ProductImage
from shop.extensions import db
from shop.store_details.services import store_settings
from tests.conftest import log_in
from tests.factories import ProductFactory
from tests.integration.backoffice_helpers import errors_beside, text_of
from tests.integration.test_books_backoffice import settings_form

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def photo_with_gps_and_html() -> bytes:
    """A JPEG as a phone writes it (EXIF with the GPS position), with HTML appended."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (43.0, 39.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (79.0, 23.0, 1.0)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG", exif=exif)
    data = buffer.getvalue() + HTML
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # it is there
    return data


def huge_png() -> bytes:
    """20000 x 20000 pixels (400 megapixels) in 48 KB: a decompression bomb."""
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, "PNG")
    return buffer.getvalue()


def assert_a_clean_picture(data: bytes, size=(64, 48)) -> None:
    assert b"<script" not in data and b"<html" not in data
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG" and img.size == size
        exif = img.getexif()
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo) and ExifTags.Base.Make not in exif


@pytest.fixture
def owner(app, staff):
    client = app.test_client()
    log_in(client, staff[roles.OWNER].email)
    return client


def upload_product_image(client, product, data: bytes, name="photo.jpg"):
    return client.post(
        f"/admin/products/{product.id}/images/new",
        data={"image": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_a_product_photo_is_served_without_the_html_appended_and_without_its_gps(app, owner):
    product = ProductFactory(name="Ridge Tent")
    assert upload_product_image(owner, product, photo_with_gps_and_html()).status_code == 302
    image = db.session.scalar(sa.select(ProductImage))
    stored = Path(app.instance_path) / "images" / image.filename
    assert_a_clean_picture(stored.read_bytes())
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600

    served = app.test_client().get(f"/media/{image.filename}")
    assert served.status_code == 200
    assert served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert_a_clean_picture(served.data)
    for size in media.SIZES:  # and every size drawn from it
        drawn = app.test_client().get(f"/media/{media.rendition_name(image.filename, size)}")
        assert b"<script" not in drawn.data and b"<html" not in drawn.data
        with Image.open(io.BytesIO(drawn.data)) as img:
            assert img.format == "WEBP" and img.size == (64, 48)
            assert not img.getexif() and "exif" not in img.info


def test_a_store_logo_is_kept_without_the_html_appended_and_without_its_gps(app, owner):
    data = settings_form(logo=(io.BytesIO(photo_with_gps_and_html()), "logo.jpg"))
    response = owner.post("/admin/store-settings", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, text_of(response)
    logo = Path(app.instance_path) / "images" / store_settings().logo_filename
    assert_a_clean_picture(logo.read_bytes())


def test_a_decompression_bomb_is_refused_with_a_message(app, owner):
    product = ProductFactory(name="Ridge Tent")
    response = upload_product_image(owner, product, huge_png(), name="huge.png")
    assert response.status_code == 422
    assert errors_beside(text_of(response), "image") == [
        "This image has too many pixels: at most 40 megapixels."
    ]
    data = settings_form(logo=(io.BytesIO(huge_png()), "logo.png"))
    response = owner.post("/admin/store-settings", data=data, content_type="multipart/form-data")
    assert errors_beside(text_of(response), "logo") == [
        "This image has too many pixels: at most 40 megapixels."
    ]
    assert db.session.scalar(sa.select(sa.func.count(ProductImage.id))) == 0
    folder = Path(app.instance_path) / "images"
    assert not folder.exists() or list(folder.iterdir()) == []
