"""The one loader of the content files the running bot reads as it works: the exit report's
plan (`bot.exit.plan`), the handover plan and the sharing rules (`bot.lifecycle.content`).

- `read_yaml(path)`: the file's YAML, composed (every node keeps its line and column), or the
  reason it cannot be read, located `file:line:col: message` as the dialog checker says it.
- `loaded(path, read)`: what `read(path) -> (value or None, problems)` makes of the file, read
  again whenever the file changes on disk (its modification time, size or inode: an edit is
  picked up without a restart). A broken edit loses nothing: the last good version keeps
  running, and the problems are logged once per version of the file, each `file:line:col`,
  with what to do. A file never read well raises ConfigError naming every problem.

The checks of `relais dialogs check` call the same `read` functions, so a file they pass is a
file the bot loads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from bot.errors import ConfigError

__all__ = ["Read", "YamlFile", "loaded", "located", "read_yaml"]

log = logging.getLogger(__name__)

T = TypeVar("T")
#: reads one content file: its value (None when it has problems) and every problem, located
Read = Callable[[Path], tuple[T | None, list[str]]]


def located(path: Path, node_or_mark: Any, message: str) -> str:
    """`file:line:col: message` (line and column from 1), or `file: message` without a
    place (a YAML node, or a mark of the YAML reader)."""
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    if mark is None or not hasattr(mark, "line"):
        return f"{path}: {message}"
    return f"{path}:{mark.line + 1}:{mark.column + 1}: {message}"


@dataclass(frozen=True, slots=True)
class YamlFile:
    """A content file as YAML: the composed root node (None: nothing to read) and the values
    it holds (plain dicts, lists and scalars), or the problems that kept it from being read."""

    root: yaml.Node | None
    data: Any
    problems: list[str]


def read_yaml(path: Path) -> YamlFile:
    """The file composed (for the places of problems) and constructed (for its values)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        return YamlFile(None, None, [f"{path}: cannot be read: {reason}"])
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        return YamlFile(None, None, [located(path, mark, f"not valid YAML: {problem}")])
    finally:
        loader.dispose()
    if root is None:
        return YamlFile(None, None, [f"{path}: the file is empty"])
    return YamlFile(root, data, [])


@dataclass(slots=True)
class _Version:
    stamp: tuple[int, int, int]  # the file's modification time, size and inode when read
    value: Any  # the last good value
    told: tuple[int, int, int] | None = None  # the broken version last logged


_versions: dict[tuple[Path, Any], _Version] = {}
_lock = threading.Lock()


def loaded(path: Path, read: Read[T]) -> T:
    """The value `read` makes of `path`, as the file now is (or as it last was good)."""
    key = (path, read)
    with _lock:
        known = _versions.get(key)
    try:
        info = path.stat()
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
    except OSError as exc:
        problems = [f"{path}: cannot be read: {exc.strerror}"]
        stamp = (-1, -1, -1)
    else:
        if known is not None and (known.stamp == stamp or known.told == stamp):
            return known.value  # type: ignore[no-any-return]
        value, problems = read(path)
        if value is not None:
            with _lock:
                _versions[key] = _Version(stamp, value)
            if known is not None:
                log.info("%s changed: reloaded", path)
            return value
    if known is None:
        raise ConfigError("; ".join(problems) or f"{path}: cannot be loaded")
    if known.told != stamp:
        known.told = stamp
        log.warning(
            "%s changed but cannot be used (%d problem(s)): %s. The version read before "
            "keeps running until the file is fixed (`relais dialogs check` lists them).",
            path,
            len(problems),
            "; ".join(problems),
        )
    return known.value  # type: ignore[no-any-return]
