"""The base of every factory: rows go through the app's session and are committed."""

from factory.alchemy import SQLAlchemyModelFactory

from shop.extensions import db


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"
