"""Images at /media/<name>, from whichever storage keeps them (shop.media)."""

from flask import Blueprint, Response, abort, request, send_file
from werkzeug.http import quote_etag

from shop import media

bp = Blueprint("media", __name__, url_prefix="/media")
# A name is never reused for other bytes (shop.media.names), so a copy may be kept for good.
YEAR = 365 * 24 * 3600


@bp.get("/<path:filename>")
def image(filename: str):
    # Only names the store writes are looked up: nothing with a "/" or "..", so nothing
    # outside the folder or the bucket's prefix. The type comes from the name's
    # extension; the nosniff of every response (shop.security_headers) keeps browsers
    # from guessing another.
    try:
        stored = media.open_image(filename, if_none_match=_one_strong_etag())
    except media.MediaUnavailable:
        abort(503)
    if stored is None:
        abort(404)
    try:
        response = _response(stored)
    except FileNotFoundError:  # removed between the look and the send
        abort(404)
    response.cache_control.public = True
    response.cache_control.max_age = YEAR
    response.cache_control.immutable = True
    return response


def _one_strong_etag() -> str | None:
    """The client's If-None-Match when it names one ETag, for the bucket to answer 304
    without sending the image; anything else is left to make_conditional below."""
    tags = request.if_none_match
    strong = tags.as_set()
    if tags.star_tag or len(strong) != 1 or len(tags.as_set(include_weak=True)) != 1:
        return None
    return quote_etag(strong.pop())


def _response(stored: media.Stored) -> Response:
    if stored.path is not None:
        return send_file(stored.path, mimetype=stored.content_type, max_age=YEAR)
    if stored.not_modified:
        response = Response(status=304)
    else:
        response = Response(stored.chunks, mimetype=stored.content_type, direct_passthrough=True)
        response.call_on_close(stored.close)
        response.content_length = stored.length
        response.last_modified = stored.last_modified
    if stored.etag:
        response.headers["ETag"] = stored.etag
    return response.make_conditional(request)
