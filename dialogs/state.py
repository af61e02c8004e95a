"""Session state: small, versioned, JSON-safe data pinned to (dialog id, version).

Save format: `format_version` is what wrote it; `min_compatible` is the oldest reader version
that can still read it (Ink's StoryState model). A reader refuses data whose `min_compatible` is
newer than its own FORMAT_VERSION.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dialogs.errors import StateFormatError
from dialogs.expr import Value

__all__ = ["FORMAT_VERSION", "MIN_COMPATIBLE", "Frame", "SessionState"]

FORMAT_VERSION = 1
MIN_COMPATIBLE = 1


@dataclass(frozen=True, slots=True)
class Frame:
    """A dialog waiting for a goto to come back: where to continue, with its variables."""

    dialog_id: str
    version: int
    return_to: str  # "" = the calling dialog ends too
    vars: Mapping[str, Value] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SessionState:
    dialog_id: str
    version: int
    node: str
    lang: str
    turn: int = 0
    vars: Mapping[str, Value] = field(default_factory=dict)
    context: Mapping[str, str] = field(default_factory=dict)
    stack: tuple[Frame, ...] = ()
    ended: bool = False
    end_reason: str = ""
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "min_compatible": MIN_COMPATIBLE,
            "dialog_id": self.dialog_id,
            "version": self.version,
            "node": self.node,
            "lang": self.lang,
            "turn": self.turn,
            "vars": dict(self.vars),
            "context": dict(self.context),
            "stack": [
                {
                    "dialog_id": f.dialog_id,
                    "version": f.version,
                    "return_to": f.return_to,
                    "vars": dict(f.vars),
                }
                for f in self.stack
            ],
            "ended": self.ended,
            "end_reason": self.end_reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionState:
        """Read a saved state; raises StateFormatError if it is too new or malformed."""
        if not isinstance(data, Mapping):
            raise StateFormatError("session state must be a JSON object")
        written = data.get("format_version")
        minimum = data.get("min_compatible", written)
        if not isinstance(written, int) or not isinstance(minimum, int):
            raise StateFormatError("session state has no format_version")
        if minimum > FORMAT_VERSION:
            raise StateFormatError(
                f"session state format {written} needs a reader of version {minimum} or newer;"
                f" this one reads {FORMAT_VERSION}"
            )
        try:
            stack = tuple(
                Frame(
                    _str(f["dialog_id"]),
                    _int(f["version"]),
                    _str(f["return_to"]),
                    _vars(f.get("vars", {})),
                )
                for f in data.get("stack", [])
            )
            return cls(
                dialog_id=_str(data["dialog_id"]),
                version=_int(data["version"]),
                node=_str(data["node"]),
                lang=_str(data["lang"]),
                turn=_int(data.get("turn", 0)),
                vars=_vars(data.get("vars", {})),
                context={_str(k): _str(v) for k, v in dict(data.get("context", {})).items()},
                stack=stack,
                ended=bool(data.get("ended", False)),
                end_reason=_str(data.get("end_reason", "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateFormatError(f"session state is malformed: {exc!r}") from exc


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, found {type(value).__name__}")
    return value


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, found {type(value).__name__}")
    return value


def _vars(value: object) -> dict[str, Value]:
    if not isinstance(value, Mapping):
        raise TypeError("vars must be an object")
    out: dict[str, Value] = {}
    for key, item in value.items():
        if item is not None and not isinstance(item, str | int | float | bool):
            raise TypeError(f"variable {key!r} has a non-JSON value")
        out[_str(key)] = item
    return out
