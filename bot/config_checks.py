"""Checks that a parsed configuration makes sense, each naming the key to fix.

`bot.config.parse_config` runs `check_config` once the file has been parsed into objects: a value
of the right type but out of its documented range (a time zone that does not exist, a fallback
contact role nobody declared, a password written into `storage.url`) is refused there, before
any command runs, rather than failing later on every command with a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.config import Config

__all__ = ["MAX_DURATION", "check_config"]

#: the longest duration anyone may write (in the file, on the command line, in chat): a
#: century, far below what dates can hold, so nothing added to "now" can overflow
MAX_DURATION = timedelta(days=36525)

#: (key path, lowest, highest) of every integer key, as documented in config.example.toml
_INT_RANGES: tuple[tuple[str, int, int], ...] = (
    ("publishing.reviewers_required", 0, 1),
    ("publishing.max_file_bytes", 1, 16 * 1024 * 1024),
    ("publishing.drafts_per_hour", 0, 10_000),
    ("checkins.send_concurrency", 1, 256),
    ("checkins.review_day", 1, 31),
    ("telegram.webhook_port", 1, 65535),
    ("telegram.poll_timeout", 0, 600),
    ("audit.anchor_every", 1, 1_000_000),
    ("evaluation.min_count", 1, 1_000),
)
#: durations that must be longer than zero
_POSITIVE_DURATIONS = (
    "checkins.grace_period",
    "checkins.second_grace_period",
    "checkins.page_timeout",
    "checkins.send_lease",
    "checkins.poll_interval",
    "sessions.expiry",
)


def _value(config: Config, path: str) -> object:
    value: object = config
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _check_ranges(config: Config) -> None:
    for path, low, high in _INT_RANGES:
        value = _value(config, path)
        assert isinstance(value, int)
        if not low <= value <= high:
            raise ConfigError(f"expected a whole number from {low} to {high}, found {value}", path)
    for path in _POSITIVE_DURATIONS:
        value = _value(config, path)
        assert isinstance(value, timedelta)
        if value <= timedelta(0):
            raise ConfigError("expected a duration longer than zero, such as 30m", path)


def _check_time_zone(config: Config) -> None:
    name = config.checkins.default_time_zone
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"expected an IANA time zone such as Europe/Paris, found {name!r}",
            "checkins.default_time_zone",
        ) from None


def _check_review_time(config: Config) -> None:
    value = config.checkins.review_time
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ConfigError(
            f"expected a time of day HH:MM such as 10:00, found {value!r}",
            "checkins.review_time",
        )


def _check_fallback_contact(config: Config) -> None:
    roles_file = config.content_path / "contact_roles.yaml"
    if not roles_file.is_file():  # the content check (`relais dialogs check`) reports that
        return
    from dialogs import load_contact_roles

    roles = load_contact_roles(roles_file).roles
    role = config.checkins.fallback_contact
    if roles and role not in roles:
        raise ConfigError(
            f"expected a contact role declared in {roles_file} "
            f"({', '.join(sorted(roles))}), found {role!r}",
            "checkins.fallback_contact",
        )


def _check_storage_url(config: Config) -> None:
    url = config.storage.url
    if not url:
        return
    try:
        password = urlsplit(url).password
    except ValueError:
        raise ConfigError("not a valid database URL", "storage.url") from None
    if password:
        raise ConfigError(
            "the URL holds a password, and secrets never go in the configuration file: move the "
            "URL to the file named by storage.url_file (chmod 600) or to RELAIS_DATABASE_URL",
            "storage.url",
        )


def _check_studio(config: Config) -> None:
    from bot.studio.config import check_studio

    check_studio(config.studio)


_CHECKS: tuple[Callable[[Config], None], ...] = (
    _check_ranges,
    _check_time_zone,
    _check_review_time,
    _check_fallback_contact,
    _check_storage_url,
    _check_studio,
)


def check_config(config: Config) -> None:
    """Raise ConfigError (with the key path) on the first value out of its range."""
    for check in _CHECKS:
        check(config)
