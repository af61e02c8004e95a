"""Typed commands: `/note K-1 hello` (or `!note`, for Matrix clients that keep `/` to
themselves) is the command `note` with the argument `K-1 hello`."""

from __future__ import annotations

__all__ = ["parse_command"]


def parse_command(text: str | None) -> tuple[str, str]:
    """'/note K-1 hello' -> ('note', 'K-1 hello'); '!sos' works too (Matrix);
    '/exit-report K-1' -> ('exit_report', 'K-1')."""
    if not text:
        return "", ""
    stripped = text.strip()
    if not stripped or stripped[0] not in "/!":
        return "", ""
    head, _, rest = stripped[1:].partition(" ")
    # Telegram: /help@RelaisBot; /exit-report is /exit_report, /review-pack is /review_pack
    # (Telegram commands have no "-")
    command = head.split("@", 1)[0].lower().replace("-", "_")
    if not command.isidentifier():
        return "", ""
    return command, rest.strip()
