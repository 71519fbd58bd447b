"""The dashboard in ``museum.toml``: ``[dashboard]`` and its ``[[dashboard.users]]``, declared
once (:mod:`museum.description.schema`) with the objects they become. A user's password is
never in the file, only its hash (``patina hash-password``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from museum.description.schema import (
    REQUIRED,
    Boolean,
    Duration,
    Forbidden,
    Key,
    Place,
    Table,
    TableList,
    Text,
    Values,
)
from museum.description.users import FREE_FAILURES, LOCK_MAX_S, ROLES


@dataclass(frozen=True)
class DashboardUser:
    name: str
    role: str
    password_hash: str = field(repr=False)


def _user(v: Values) -> DashboardUser:
    return DashboardUser(name=v["name"], role=v["role"], password_hash=v["password_hash"])


def _users(users: list[DashboardUser], at: Place) -> tuple[DashboardUser, ...]:
    names: dict[str, int] = {}
    for n, user in enumerate(users):
        if user.name in names:
            raise at.item(n).key("name").fail(f"{user.name!r} is already dashboard.users[{names[user.name]}]")
        names[user.name] = n
    return tuple(users)


USER = Table(
    Key("name", Text(), "The name the user signs in with.", default=REQUIRED),
    Key(
        "role",
        Text(choices=ROLES),
        "What the user may do: `viewer` looks, `conservator` also acknowledges alerts, `admin`.",
        default="viewer",
    ),
    Key(
        "password_hash",
        Text(
            pattern=r"scrypt\$[0-9]+\$[0-9]+\$[0-9]+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}",
            mismatch="malformed: expected scrypt$N$r$p$salt$hash as `patina hash-password` prints it",
            about="as `patina hash-password` prints it",
        ),
        "The password's hash, made by `patina hash-password`.",
        default=REQUIRED,
    ),
    Key("password", Forbidden("never store a password: use password_hash (made by `patina hash-password`)")),
    build=_user,
)


def _dashboard(v: Values) -> DashboardConfig:
    return DashboardConfig(**v.fields())


DASHBOARD = Table(
    Key(
        "anonymous_viewing",
        Boolean(),
        "Whether pages can be read without signing in.",
        default=True,
    ),
    Key("users", TableList(USER, build=_users), "One account each: a name, a role and a password's hash."),
    Key(
        "sign_in_lock",
        Duration(),
        f"How long sign-in is refused, for that name and that address, after {FREE_FAILURES} failed "
        f"tries in a row; each further failure doubles it, up to {LOCK_MAX_S / 60:.0f} min.",
        default="5s",
        attr="sign_in_lock_s",
    ),
    build=_dashboard,
    doc="Who may sign in to the dashboard, and whether one must.",
)


@dataclass(frozen=True)
class DashboardConfig:
    anonymous_viewing: bool = DASHBOARD.default("anonymous_viewing")
    users: tuple[DashboardUser, ...] = ()
    sign_in_lock_s: float = DASHBOARD.default("sign_in_lock")

    def user(self, name: str) -> DashboardUser | None:
        return next((u for u in self.users if u.name == name), None)
