"""Dashboard users: password hashes (never passwords) and roles, from the config.

Hashes are scrypt (RFC 7914) with a random salt, in the form
``scrypt$<n>$<r>$<p>$<salt, base64>$<hash, base64>``; `patina hash-password` makes one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

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
