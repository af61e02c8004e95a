"""Who may open a dialog: its `audience`, enforced at every entry (a start and every goto).

A dialog with no audience is open to every role; psychologists and admins may open every
dialog. `AudienceSource` is the library as one practitioner sees it: the engine, which reads
dialogs only through a `DialogSource`, then never enters a dialog that is not for them (a goto
into it continues at the goto's `next`, as for a missing dialog).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from dialogs.loader import AUDIENCE_ROLES
from dialogs.model import Dialog

if TYPE_CHECKING:  # dialogs.library imports the checker, which imports this module
    from dialogs.library import DialogSource

__all__ = ["SEE_ALL", "AudienceSource", "may_open", "open_to"]

#: roles that may open every dialog whatever its audience
SEE_ALL = frozenset({"admin", "psychologist"})
#: answers an `AudienceSource` remembers (every version of every dialog, many times over)
_MAX_ANSWERS = 4096


def open_to(dialog: Dialog) -> frozenset[str]:
    """The roles that may open `dialog`."""
    if not dialog.audience:
        return frozenset(AUDIENCE_ROLES)
    return frozenset(dialog.audience) | SEE_ALL


def may_open(dialog: Dialog, roles: Collection[str]) -> bool:
    return not dialog.audience or bool(set(roles) & open_to(dialog))


class AudienceSource:
    """A dialog source that answers only with dialogs open to `roles` (None for the others)."""

    def __init__(
        self,
        base: DialogSource,
        roles: Collection[str],
        may: Callable[[Dialog], bool] | None = None,
    ) -> None:
        """`may`: who decides (the application's policy table); default `may_open`."""
        self._base = base
        self._roles = frozenset(roles)
        self._may = may
        #: id(dialog) -> (dialog, the answer): a dialog is immutable, and the engine asks
        #: about the same few several times a step (kept with the dialog, so an id reused
        #: after it is gone cannot be mistaken for it)
        self._answers: dict[int, tuple[Dialog, bool]] = {}

    def get(self, dialog_id: str, version: int | None = None) -> Dialog | None:
        dialog = self._base.get(dialog_id, version)
        if dialog is None:
            return None
        found = self._answers.get(id(dialog))
        if found is None or found[0] is not dialog:
            allowed = self._may(dialog) if self._may else may_open(dialog, self._roles)
            if len(self._answers) > _MAX_ANSWERS:
                self._answers.clear()
            found = self._answers[id(dialog)] = (dialog, allowed)
        return dialog if found[1] else None
