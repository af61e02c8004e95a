"""Authoring tests in one import: transcripts (dialogs.transcripts) and the bounded walk
(dialogs.walk), as `relais dialogs test` and publishing run them."""

from __future__ import annotations

from dialogs.transcripts import CheckOutcome, load_transcripts, run_transcript_file
from dialogs.walk import MAX_WALK_STATES, walk_dialog

__all__ = [
    "MAX_WALK_STATES",
    "CheckOutcome",
    "load_transcripts",
    "run_transcript_file",
    "walk_dialog",
]
