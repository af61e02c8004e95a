"""The dialog language: model, loader (with positions), checker, pure engine, graph.

This package does no I/O beyond reading the files it is asked to read, imports no asyncio,
database, channel library or scheduler, and never reads the clock.
"""

from dialogs.checker import check_dialog, check_dialog_text
from dialogs.diagnostics import CODES, CodeInfo, Diagnostic, Loc, has_errors
from dialogs.engine import SOS_EVENT_ROLES, current_prompt, step
from dialogs.errors import DialogError, ExpressionError, GraphvizMissing, StateFormatError
from dialogs.events import (
    Cancel,
    Choose,
    Ended,
    Event,
    EventError,
    LogNote,
    OptionView,
    Output,
    PageContact,
    Say,
    ScheduleCheckin,
    ShowContacts,
    Sos,
    Start,
    StepResult,
    Text,
    Timeout,
)
from dialogs.graph import GRAPH_FORMATS, render_graph, render_picture
from dialogs.library import DialogSource, Library, LibraryLoad, load_library, load_paths
from dialogs.loader import LoadResult, load_dialog_file, load_dialog_text
from dialogs.model import Dialog, Node
from dialogs.roles import ContactRole, find_contact_roles, load_contact_roles
from dialogs.state import FORMAT_VERSION, Frame, SessionState

__all__ = [
    "CODES",
    "FORMAT_VERSION",
    "GRAPH_FORMATS",
    "SOS_EVENT_ROLES",
    "Cancel",
    "Choose",
    "CodeInfo",
    "ContactRole",
    "Diagnostic",
    "Dialog",
    "DialogError",
    "DialogSource",
    "Ended",
    "Event",
    "EventError",
    "ExpressionError",
    "Frame",
    "GraphvizMissing",
    "Library",
    "LibraryLoad",
    "LoadResult",
    "Loc",
    "LogNote",
    "Node",
    "OptionView",
    "Output",
    "PageContact",
    "Say",
    "ScheduleCheckin",
    "SessionState",
    "ShowContacts",
    "Sos",
    "Start",
    "StateFormatError",
    "StepResult",
    "Text",
    "Timeout",
    "check_dialog",
    "check_dialog_text",
    "current_prompt",
    "find_contact_roles",
    "has_errors",
    "load_contact_roles",
    "load_dialog_file",
    "load_dialog_text",
    "load_library",
    "load_paths",
    "render_graph",
    "render_picture",
    "step",
]
