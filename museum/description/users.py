"""Dashboard users: password hashes (never passwords) and roles, from the config.

Hashes are scrypt (RFC 7914) with a random salt, in the form
``scrypt$<n>$<r>$<p>$<salt, base64>$<hash, base64>``; `patina hash-password` makes one.

Signing in (:func:`authenticate`) costs one scrypt whether the name exists or not (an
unknown name is checked against a hash of a random password), so the time of an answer
does not tell which names exist. :class:`LoginThrottle` slows guessing: after
``FREE_FAILURES`` failed sign-ins in a row for a name, or from an address, further tries
for it wait ``lock_s`` seconds (``[dashboard] sign_in_lock``, default ``LOCK_BASE_S``),
doubling with each failure up to ``LOCK_MAX_S``
(OWASP Authentication Cheat Sheet, "Protect against automated attacks").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

ROLES = ("viewer", "conservator", "admin")
#: Roles that may acknowledge alerts.
CAN_ACKNOWLEDGE = ("conservator", "admin")
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("an empty password cannot be hashed")
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join(
        [
            "scrypt",
            str(_N),
            str(_R),
            str(_P),
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        ]
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash of a random password, with the parameters of real ones: what an unknown
    name is checked against, so that it costs the same time as a known one."""
    return hash_password(base64.b64encode(os.urandom(24)).decode())


def authenticate(password_hashes: dict[str, str], name: str, password: str) -> bool:
    """Whether ``password`` is that of user ``name``; one scrypt either way."""
    stored = password_hashes.get(name)
    matches = verify_password(password, stored if stored is not None else dummy_hash())
    return matches and stored is not None


#: Failed sign-ins in a row allowed without delay (typing mistakes).
FREE_FAILURES = 3
LOCK_BASE_S = 5.0
LOCK_MAX_S = 900.0


@dataclass
class _Record:
    failures: int = 0
    locked_until_s: float = 0.0


class LoginThrottle:
    """Failed sign-ins per user name and per client address, shared by every session of
    a dashboard process. ``clock`` is the time source (seconds)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, lock_s: float = LOCK_BASE_S) -> None:
        self._clock = clock
        self._lock_s = lock_s
        self._records: dict[tuple[str, str], _Record] = {}
        self._lock = threading.Lock()

    def wait_s(self, name: str, address: str) -> float:
        """Seconds before a sign-in as ``name`` from ``address`` may be tried (0: now)."""
        now = self._clock()
        with self._lock:
            return max([0.0, *(r.locked_until_s - now for r in self._matching(name, address))])

    def attempt(self, name: str, address: str) -> float:
        """Check and count a sign-in in one step: the seconds to wait if ``name`` or
        ``address`` is locked (the try is refused, not counted), else 0.0 and the try counts
        as a failure until :meth:`succeeded` clears it. Counting before the password is
        checked (scrypt takes a while) closes the race in which tries sent side by side all
        pass the check before any failure is recorded."""
        now = self._clock()
        with self._lock:
            wait_s = max([0.0, *(r.locked_until_s - now for r in self._matching(name, address))])
            if wait_s == 0.0:
                self._count_failure(name, address, now)
            return wait_s

    def tries_left(self, name: str, address: str) -> int:
        """Failed sign-ins still allowed, for ``name`` from ``address``, before a lock."""
        with self._lock:
            failures = max([0, *(r.failures for r in self._matching(name, address))])
            return max(FREE_FAILURES - failures, 0)

    def failed(self, name: str, address: str) -> None:
        """Count one failed sign-in."""
        now = self._clock()
        with self._lock:
            self._count_failure(name, address, now)

    def _count_failure(self, name: str, address: str, now: float) -> None:
        if len(self._records) > 100_000:  # names an attacker makes up: forget the old ones
            self._records = {k: r for k, r in self._records.items() if r.locked_until_s > now - LOCK_MAX_S}
        for key in (("user", name), ("address", address)):
            record = self._records.setdefault(key, _Record())
            record.failures += 1
            if record.failures >= FREE_FAILURES:
                delay_s = self._lock_s * 2 ** (record.failures - FREE_FAILURES)
                record.locked_until_s = now + min(delay_s, LOCK_MAX_S)

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._records.pop(("user", name), None)
            self._records.pop(("address", address), None)

    def _matching(self, name: str, address: str) -> list[_Record]:
        return [r for key in (("user", name), ("address", address)) if (r := self._records.get(key))]
