"""Working copies: per session and dialog, keyed by a digest of the session token, bounded in
number and idle time; a changed text ends a try in progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.studio.workspace import TryProgress, WorkingCopy, Workspaces

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _copy(dialog_id: str = "crisis", text: str = "id: crisis\n") -> WorkingCopy:
    return WorkingCopy(dialog_id, text, "version 1", None, NOW)


def test_a_copy_belongs_to_one_session_and_one_dialog() -> None:
    spaces = Workspaces()
    spaces.put("token-a", _copy())
    assert spaces.get("token-a", "crisis", NOW) is not None
    assert spaces.get("token-b", "crisis", NOW) is None
    assert spaces.get("token-a", "debrief", NOW) is None
    assert all("token-a" not in key[0] for key in spaces._copies)  # a digest, not the token
    spaces.drop("token-a", "crisis")
    assert spaces.get("token-a", "crisis", NOW) is None


def test_idle_copies_are_forgotten_and_the_oldest_go_first() -> None:
    spaces = Workspaces(idle=timedelta(hours=2), limit=2)
    spaces.put("a", _copy("one"))
    spaces.put("a", _copy("two"))
    assert spaces.get("a", "one", NOW) is not None  # used: now the most recent
    spaces.put("a", _copy("three"))
    assert len(spaces) == 2
    assert spaces.get("a", "two", NOW) is None
    later = NOW + timedelta(hours=2, minutes=1)
    assert spaces.get("a", "one", later) is None
    assert len(spaces) == 0


def test_a_changed_text_ends_the_try() -> None:
    copy = _copy()
    copy.trying = TryProgress("fr", copy.digest, {"node": "first"})
    copy.replace_text(copy.text)
    assert copy.trying is not None
    copy.replace_text(copy.text + "# changed\n")
    assert copy.trying is None
