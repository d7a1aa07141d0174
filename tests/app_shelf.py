"""Apps kept for the next test of this process: building one costs more than most tests.

create_app() compiles about 190 routes and each new app loads its templates again: about
a tenth of a second, for each of 2,400 tests. A test that asks for the same kind of app
(database kind, demo copy or not, the same settings) gets the one the test before it
used, put back as it was made:

- its database file (SQLite) copied afresh from the template, its PostgreSQL tables
  emptied as before (tests/templates.py);
- its instance folder as create_app() left it (or with the demo's images);
- its settings as they were made (a test may change app.config);
- the process-wide state create_app() sets for the last app made: the rate limiter's
  settings and counts, the log format and level; its own job queue emptied.

An app a test changed in its shape (a route, a hook, an error handler added) is not
kept; neither is one whose settings point at its own database or instance folder, nor
one whose jobs wait in a file or in Redis: those are made for their test, as before.
"""

import copy
import logging
import shutil
import tempfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask

from shop.extensions import db, limiter
from shop.logs import HANDLER_NAME

SHELF_SIZE = 6  # kinds of app kept at once; the least recently used goes first
# Settings that give an app a place or a queue of its own outside the shelf's folder.
OWN_PLACES = {
    "SQLALCHEMY_DATABASE_URI", "INSTANCE_PATH", "JOBS_BACKEND", "REDIS_URL",
    "RATELIMIT_STORAGE_URI",
}  # fmt: skip


@dataclass
class Kept:
    """An app on the shelf, with what it looked like when made."""

    app: Flask
    folder: Path
    config: dict
    limiter_state: dict
    log_state: tuple
    shape: tuple
    pristine_instance: Path = field(init=False)

    def __post_init__(self) -> None:
        self.pristine_instance = self.folder / "instance-as-made"
        shutil.copytree(self.app.instance_path, self.pristine_instance, dirs_exist_ok=True)

    @property
    def instance(self) -> Path:
        return Path(self.app.instance_path)


class AppShelf:
    def __init__(self) -> None:
        self._kept: OrderedDict[tuple, Kept] = OrderedDict()
        self._folder: Path | None = None
        self._made = 0

    @staticmethod
    def key(database: str, template, overrides: dict) -> tuple | None:
        """The kind of app asked for, or None when it cannot be kept."""
        if OWN_PLACES & overrides.keys():
            return None
        settings = tuple(sorted((name, repr(value)) for name, value in overrides.items()))
        return (database, template, settings)

    def folder_for_new(self) -> Path:
        """A folder of its own for an app about to be made and kept: its instance folder
        and its SQLite file live there."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="shop-test-apps-"))
        self._made += 1
        folder = self._folder / f"app-{self._made}"
        folder.mkdir()
        return folder

    def take(self, key: tuple) -> Kept | None:
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            put_back(kept)
        return kept

    def keep(self, key: tuple, app: Flask, folder: Path) -> None:
        self._kept[key] = Kept(
            app=app,
            folder=folder,
            config=copy.deepcopy(dict(app.config)),
            limiter_state=dict(vars(limiter)),
            log_state=_log_state(),
            shape=shape_of(app),
        )
        while len(self._kept) > SHELF_SIZE:
            _, oldest = self._kept.popitem(last=False)
            shutil.rmtree(oldest.folder, ignore_errors=True)

    def after_test(self, key: tuple) -> None:
        """Drop the app if the test changed its shape; its settings are put back next time."""
        kept = self._kept.get(key)
        if kept is not None and shape_of(kept.app) != kept.shape:
            del self._kept[key]
            shutil.rmtree(kept.folder, ignore_errors=True)

    def close(self) -> None:
        self._kept.clear()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


def put_back(kept: Kept) -> None:
    """The app as it was made, before its next test."""
    app = kept.app
    app.config.clear()
    app.config.update(copy.deepcopy(kept.config))
    # Flask refuses new routes once an app has served a request; a fresh app has not.
    app._got_first_request = False
    vars(limiter).update(kept.limiter_state)
    if vars(limiter).get("_storage") is not None:  # a limiter never enabled has none
        limiter.storage.reset()  # every count back to nothing (limiter.reset() also logs)
    _restore_log_state(kept.log_state)
    app.extensions["jobs"].huey.flush()
    shutil.rmtree(kept.instance, ignore_errors=True)
    shutil.copytree(kept.pristine_instance, kept.instance)
    with app.app_context():
        db.engine.dispose()


def shape_of(app: Flask) -> tuple:
    """What a test could add to an app that putting its settings back would not undo.

    Counted, not compared by key: Flask keeps hooks and error handlers in defaultdicts,
    which gain an empty entry whenever a request of a blueprint looks one up."""
    hooks = (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
        app.template_context_processors,
    )
    spec = app.error_handler_spec
    error_handlers = sum(len(handlers) for codes in spec.values() for handlers in codes.values())
    return (
        len(list(app.url_map.iter_rules())),
        len(app.view_functions),
        tuple(sum(len(funcs) for funcs in hook.values()) for hook in hooks),
        error_handlers,
        len(app.jinja_env.globals),
        len(app.jinja_env.filters),
    )


def _store_handler() -> logging.Handler | None:
    return next((h for h in logging.getLogger().handlers if h.get_name() == HANDLER_NAME), None)


def _log_state() -> tuple:
    handler = _store_handler()
    return logging.getLogger().level, handler.formatter if handler else None


def _restore_log_state(state: tuple) -> None:
    """The level and format the app set, on the store's handler as it is now (a test may
    have put another in its place)."""
    level, formatter = state
    logging.getLogger().setLevel(level)
    handler = _store_handler()
    if handler is not None and formatter is not None:
        handler.setFormatter(formatter)


SHELF = AppShelf()
