"""flask media renditions | copy-to-s3: the commands of a store's images."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from shop.media.files import copy_between, make_missing_renditions, storage
from shop.media.images import MediaError
from shop.media.storage import LocalStorage


@click.group("media")
def media_group():
    """The store's images: draw missing sizes, move a local folder to the bucket."""


@media_group.command("renditions")
@with_appcontext
def renditions():
    """Draw every size (card, product) missing beside an image kept before sizes existed.

    Safe to run again and on several hosts: it only adds what is missing. Needed once
    before MEDIA_PUBLIC_URL is set (pages served by the app draw a missing size when it
    is first asked for)."""
    try:
        made, failed = make_missing_renditions()
    except MediaError as err:
        raise click.ClickException(f"{err.message} ({storage().describe()})") from err
    click.echo(f"{made} image sizes drawn in {storage().describe()}.")
    for name in failed:
        click.echo(f"Could not draw {name}: its original is not an image we can read.", err=True)


@media_group.command("copy-to-s3")
@with_appcontext
@click.option(
    "--from", "source", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="The local images folder to copy (default: instance/images/ of this store).",
)  # fmt: skip
def copy_to_s3(source: Path | None):
    """Copy a local images folder into the configured bucket (STORE_MEDIA_STORAGE=s3).

    Copies what the bucket lacks and leaves the folder as it was; run it again after a
    failure. Then run `flask media renditions` to draw the sizes of older images."""
    if current_app.config["MEDIA_STORAGE"] != "s3":
        raise click.ClickException(
            "copy-to-s3 copies into the bucket of STORE_MEDIA_STORAGE=s3 (with STORE_S3_BUCKET); "
            "this store keeps its media in the local folder. Nothing was copied."
        )
    folder = source or Path(current_app.instance_path) / "images"
    if not folder.is_dir():
        raise click.ClickException(f"There is no folder {folder}. Nothing was copied.")
    target = storage()
    try:
        copied, skipped = copy_between(LocalStorage(folder), target)
    except MediaError as err:
        raise click.ClickException(f"{err.message} ({target.describe()})") from err
    click.echo(f"{copied} files copied to {target.describe()}, {skipped} were there already.")
