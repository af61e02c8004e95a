"""Exception messages (which can quote what a practitioner typed) never reach the log."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from bot.logsafe import SafeFormatter


def test_an_exception_message_is_withheld_but_its_type_and_frames_are_kept() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.logsafe")
    logger.addHandler(handler)
    logger.propagate = False
    typed = "canary-" + "secret note text"  # what a practitioner typed (not in the source)
    try:
        try:
            raise KeyError(typed)
        except KeyError as inner:
            raise ValueError(typed) from inner
    except ValueError:
        logger.exception("handling update %s failed", 42)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "handling update 42 failed" in text
    assert "builtins.ValueError (message withheld)" in text
    assert "caused by KeyError" in text
    assert "test_an_exception_message_is_withheld" in text  # the frames are there
    assert "canary" not in text


def test_a_pseudonym_is_stable_and_hides_the_name() -> None:
    from bot.logsafe import pseudonym

    first = pseudonym("@amina.haddad:example.org")
    assert first == pseudonym("@amina.haddad:example.org")
    assert first != pseudonym("@someone.else:example.org")
    assert "amina" not in first
    assert "haddad" not in first


async def test_matrix_logs_name_no_user_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Opening a DM with a user that does not exist logs a pseudonym, not the Matrix id."""
    from nio import ErrorResponse

    from bot.channels.matrix_rooms import DirectRooms
    from bot.channels.matrix_state import MatrixState

    class Client:
        def __init__(self) -> None:
            self.rooms: dict[str, object] = {}

        async def get_profile(self, user_id: str) -> ErrorResponse:
            return ErrorResponse("no such user", "M_NOT_FOUND")

    state = MatrixState(tmp_path / "state.db")
    rooms = DirectRooms(Client(), state)  # type: ignore[arg-type]
    caplog.set_level(logging.INFO)
    result = await rooms.room_for("@amina.haddad:example.org")
    assert not isinstance(result, str)
    assert result.status == "unreachable"
    assert "amina" not in caplog.text
    assert "user-" in caplog.text


def test_json_log_lines_carry_ids_and_withhold_exception_messages(
    tmp_path: Path,
) -> None:
    """`log_format = "json"` (issue 17): one JSON object per line, through `setup_logging`."""
    import json

    from bot.cli.cmd_run import setup_logging
    from bot.config import parse_config

    config = parse_config(f'data_dir = "{tmp_path}"\nlog_format = "json"\n')
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    log_file = tmp_path / "relais.log"
    try:
        setup_logging(config, to_file=log_file)
        typed = "canary-" + "what a mentor typed"
        logger = logging.getLogger("bot.tests.json")
        logger.info("outbox %s: sent (%s)", "abc123", "remind")
        try:
            raise ValueError(typed)
        except ValueError:
            logger.exception("update %s failed", 42)
        for handler in root.handlers:
            handler.flush()
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert [(e["level"], e["logger"], e["message"]) for e in lines] == [
        ("INFO", "bot.tests.json", "outbox abc123: sent (remind)"),
        ("ERROR", "bot.tests.json", "update 42 failed"),
    ]
    assert lines[1]["exception"] == "builtins.ValueError"
    assert "(message withheld)" in lines[1]["traceback"]
    assert lines[0]["time"].endswith("+00:00")
    assert "canary" not in log_file.read_text()
