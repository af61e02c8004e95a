"""The `[studio]` table of the configuration (parsed by `bot.config`) and its checks."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.errors import ConfigError

__all__ = ["StudioConfig", "check_studio"]


@dataclass(frozen=True, slots=True)
class StudioConfig:
    #: "host:port" the Studio listens on, behind the reverse proxy; empty = no Studio
    listen: str = ""
    #: the address practitioners open, as the reverse proxy serves it (https://...): login
    #: links start with it; https makes the session cookie Secure
    public_url: str = ""
    #: a session ends after this many minutes without a request
    session_minutes: int = 30
    #: a login link sent by /studio is valid this many minutes (and once)
    link_minutes: int = 5


def check_studio(studio: StudioConfig) -> None:
    """Each value in range, naming the key to fix."""
    if not 1 <= studio.session_minutes <= 24 * 60:
        raise ConfigError(
            f"expected a whole number from 1 to 1440, found {studio.session_minutes}",
            "studio.session_minutes",
        )
    if not 1 <= studio.link_minutes <= 60:
        raise ConfigError(
            f"expected a whole number from 1 to 60, found {studio.link_minutes}",
            "studio.link_minutes",
        )
    if not studio.listen:
        return
    host, _, port = studio.listen.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(
            f'expected "host:port" such as "127.0.0.1:8088", found {studio.listen!r}',
            "studio.listen",
        )
    url = urlsplit(studio.public_url)
    if url.scheme not in ("http", "https") or not url.netloc or url.query or url.fragment:
        raise ConfigError(
            "expected the address practitioners open, such as https://studio.example.org "
            f"(needed when studio.listen is set), found {studio.public_url!r}",
            "studio.public_url",
        )
