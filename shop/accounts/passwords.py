"""Password hashing with Argon2id (argon2-cffi), parameters from config, and the
password policy of OWASP ASVS 4.0.3 section 2.1 (zxcvbn for weak and common ones)."""

import re
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn import zxcvbn

MIN_LENGTH = 12  # ASVS 2.1.1, counted after runs of spaces are made one
MAX_LENGTH = 128  # ASVS 2.1.2 allows 64 at least and 128 at most
# A password typed to sign in may be longer: up to 200 characters could be set before.
LONGEST_EXISTING = 200
MIN_SCORE = 3  # zxcvbn: "safely unguessable" against an online attack and a slow hash
ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input (its matching grows fast)


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["PASSWORD_HASH_TIME_COST"],
        memory_cost=cfg["PASSWORD_HASH_MEMORY_KIB"],
        parallelism=cfg["PASSWORD_HASH_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    """The Argon2id hash of the password, with the configured parameters."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the hash."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the configured ones."""
    return _hasher().check_needs_rehash(password_hash)


@cache
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
    ).hash("not-a-real-password")


def burn_time(password: str) -> None:
    """One Argon2 verification against a made-up hash with the real parameters, so that
    "no such email" takes as long as "wrong password" and tells no one which emails exist."""
    cfg = current_app.config
    dummy = _dummy_hash(
        cfg["PASSWORD_HASH_TIME_COST"],
        cfg["PASSWORD_HASH_MEMORY_KIB"],
        cfg["PASSWORD_HASH_PARALLELISM"],
    )
    verify_password(dummy, password)


def password_problem(password: str, *, user_inputs: tuple[str, ...] = ()) -> str | None:
    """Why this password may not be used, in words for its owner, or None if it may.

    No composition rules (ASVS 2.1.9): any character counts, spaces and emoji too.
    user_inputs are the account's own words (email, name), weak inside a password.
    """
    length = len(re.sub(" {2,}", " ", password))
    if length < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters: a few words you will remember work well."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters for your password."
    result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=_words(user_inputs))
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    advice = feedback["suggestions"] or ["Add another word or two. Uncommon words are better."]
    return " ".join([feedback["warning"] or "This password is easy to guess.", *advice])


def _words(user_inputs: tuple[str, ...]) -> list[str]:
    # "rosa.visitor@example.com" also gives "rosa.visitor", "rosa" and "visitor".
    words = set()
    for text in user_inputs:
        text = text.strip().lower()
        words.update({text, text.split("@")[0], *re.split(r"[\W_]+", text)})
    return sorted(w for w in words if len(w) >= 3)
