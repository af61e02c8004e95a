"""The `relais` command.

Every module `bot/cli/cmd_*.py` adds its sub-commands through `register(subparsers)`; each
sub-command sets `func(args) -> int` on its parser. Errors derived from `RelaisError` are printed
as one clear line (no traceback) and exit with code 1.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from bot.display import SafeTextWriter
from bot.errors import RelaisError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relais",
        description="Relais: crisis guidance, case notes and check-ins for rehabilitation teams.",
    )
    parser.add_argument(
        "--config", metavar="FILE", help="configuration file (default: $RELAIS_CONFIG)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    package = sys.modules[__name__]
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    # names and notes printed by any command are shown without terminal controls (bot.display)
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeTextWriter(stdout), SafeTextWriter(stderr)
    try:
        return int(func(args))
    except RelaisError as exc:
        print(f"relais: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        sys.stdout, sys.stderr = stdout, stderr
