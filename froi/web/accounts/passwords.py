"""Passwords: hashed with argon2id, and a rule that refuses the easily guessed.

Hashing is argon2-cffi's ``PasswordHasher`` with RFC 9106's second recommended
parameters (argon2id, 64 MiB, 3 passes, 4 lanes): about a fifth of a second a hash here,
slow enough to make guessing a stolen hash costly.  ``PASSWORD_HASHING`` names another
of argon2's profiles (the tests use ``CHEAPEST``); a hash made with older parameters is
made again at the next sign-in.

The rule (:func:`password_problem`), explained beside every password field
(:data:`RULE`): at least 12 characters; not the email address or its part before the @;
not one of the very common passwords in ``common_passwords.txt``, alone or followed only
by digits and symbols; not only digits and symbols; not one character repeated.  Length
counts for far more than mixing symbols in (NCSC and NIST advice), so there is no rule
about kinds of character.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 12
#: Long enough for any pass phrase, short enough that hashing it is no burden.
MAX_LENGTH = 200
RULE = (
    f"Use at least {MIN_LENGTH} characters. It cannot be your email address or a commonly "
    "used password. Three or four unrelated words make a good password that is easy to "
    "remember."
)
COMMON = Path(__file__).with_name("common_passwords.txt")
DEFAULT_PROFILE = "RFC_9106_LOW_MEMORY"


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line and line[0] != "#")


def password_problem(password: str, email: str) -> str | None:
    """Why ``password`` may not be used by ``email``, in words; None if it may."""
    if len(password) < MIN_LENGTH:
        return f"Your password must be at least {MIN_LENGTH} characters long"
    if len(password) > MAX_LENGTH:
        return f"Your password must be {MAX_LENGTH} characters or fewer"
    folded = password.casefold()
    address = email.strip().casefold()
    if folded in (address, address.split("@", 1)[0]):
        return "Your password cannot be your email address"
    base = re.sub(r"[\d\W_]+$", "", folded)
    if not base.strip():
        return "Your password cannot be only numbers and symbols: use words as well"
    if folded in common_passwords() or base in common_passwords():
        return "Your password is too commonly used and easy to guess: choose another"
    if len(set(folded)) == 1:
        return "Your password cannot be one character repeated"
    return None


@cache
def _hasher(profile: str) -> PasswordHasher:
    parameters = getattr(profiles, profile, None)
    if parameters is None:
        raise ValueError(f"PASSWORD_HASHING: argon2 has no profile {profile!r}")
    return PasswordHasher.from_parameters(parameters)


def hasher() -> PasswordHasher:
    return _hasher(str(current_app.config.get("PASSWORD_HASHING", DEFAULT_PROFILE)))


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify(password_hash: str, password: str) -> bool:
    """Whether ``password`` is the one ``password_hash`` was made from."""
    try:
        return bool(hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return bool(hasher().check_needs_rehash(password_hash))


@cache
def _dummy_hash(profile: str) -> str:
    return _hasher(profile).hash("no such user: equal time for unknown addresses")


def waste_time(password: str) -> None:
    """Verify against a hash of nothing, so an unknown address takes as long to refuse
    as a wrong password (the time must not tell which addresses have accounts)."""
    verify(_dummy_hash(str(current_app.config.get("PASSWORD_HASHING", DEFAULT_PROFILE))), password)
