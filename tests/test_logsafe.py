"""Exception messages (which can quote what a practitioner typed) never reach the log."""

from __future__ import annotations

import io
import logging

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
