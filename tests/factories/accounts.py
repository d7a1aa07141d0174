"""People: customers and staff (with the second factor their role needs), their addresses."""

import factory
import pyotp
from flask import current_app

from shop.accounts import roles
from shop.accounts.models import Address, TotpFactor, User
from shop.accounts.passwords import hash_password
from shop.accounts.second_factor import REQUIRED_ROLES
from shop.db import utcnow
from shop.extensions import db
from tests.factories.base import BaseFactory

PASSWORD = "correct horse battery"
HASH_SETTINGS = ("PASSWORD_HASH_TIME_COST", "PASSWORD_HASH_MEMORY_KIB", "PASSWORD_HASH_PARALLELISM")
_PASSWORD_HASHES: dict[tuple, str] = {}


def shared_password_hash() -> str:
    """PASSWORD's Argon2 hash with the app's parameters, made once per set of parameters.

    Signing in still verifies it with the real parameters; only the making is shared
    (each hash costs as much as a sign-in, and most tests make several people).
    """
    cfg = current_app.config
    key = tuple(cfg[name] for name in HASH_SETTINGS)
    if key not in _PASSWORD_HASHES:
        _PASSWORD_HASHES[key] = hash_password(PASSWORD)
    return _PASSWORD_HASHES[key]


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    role = roles.CUSTOMER
    password_hash = factory.LazyFunction(shared_password_hash)

    @factory.post_generation
    def totp(user, create, extracted, **_kwargs):
        """The owner and the bookkeeper get an authenticator (their role needs one);
        totp=True gives anyone one, totp=False no one; a string is the secret."""
        wanted = user.role in REQUIRED_ROLES if extracted is None else bool(extracted)
        if create and wanted:
            secret = extracted if isinstance(extracted, str) else pyotp.random_base32()
            db.session.add(TotpFactor(user_id=user.id, secret=secret, confirmed_at=utcnow()))
            db.session.commit()


class AddressFactory(BaseFactory):
    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    full_name = "Carla Customer"
    line1 = "12 Queen St W"
    city = "Toronto"
    province = "ON"
    postal_code = "M5H 2N2"
    country = "CA"
