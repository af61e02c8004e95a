"""`relais doctor [--json]`: check the installation; exits 1 when anything must be fixed
(see `bot.operations.doctor` for the checks)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.cli.cmd_db import emit_json
from bot.config import load_config
from bot.errors import ConfigError
from bot.operations.doctor import Finding, run_checks

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check the configuration, secrets, database, keys, audit, channels, contacts, disk",
        description="Run every check and say what to fix. Exit status 1 if any check fails.",
    )
    parser.add_argument("--json", action="store_true", help="findings as JSON, for scripts")
    parser.set_defaults(func=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        findings = [Finding("config", "fail", str(exc), "fix the configuration file")]
    else:
        findings = asyncio.run(run_checks(config))
    if args.json:
        emit_json([f.to_dict() for f in findings])
    else:
        for f in findings:
            print(f"{f.status.upper():4}  {f.check}: {f.message}")
            if f.fix and f.status != "ok":
                print(f"      fix: {f.fix}")
        failed = sum(1 for f in findings if f.status == "fail")
        print(f"\n{failed} problem(s) to fix" if failed else "\neverything looks right")
    return 1 if any(f.status == "fail" for f in findings) else 0
