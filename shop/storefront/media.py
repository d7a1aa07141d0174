"""Product images, stored under instance/images/ and served from there."""

from pathlib import Path

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("media", __name__, url_prefix="/media")


@bp.get("/<path:filename>")
def image(filename: str):
    folder = Path(current_app.instance_path) / "images"
    # send_from_directory refuses paths that climb out of the folder.
    # The type comes from the extension the store chose for the re-drawn picture; the
    # nosniff of every response (shop.security_headers) keeps browsers from guessing.
    return send_from_directory(folder, filename, max_age=86400)
