"""Product images, stored under instance/images/ and served from there."""

from flask import Blueprint, send_from_directory

from shop.media import image_folder

bp = Blueprint("media", __name__, url_prefix="/media")


@bp.get("/<path:filename>")
def image(filename: str):
    # send_from_directory refuses paths that climb out of the folder. The type comes from
    # the extension the store chose for the re-drawn picture; the nosniff of every
    # response (shop.security_headers) keeps browsers from guessing another.
    return send_from_directory(image_folder(), filename, max_age=86400)
