"""`relais dialogs check|play|test|graph`: the authoring tools for the dialog language."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.config import load_config
from bot.lifecycle.content import check_lifecycle
from bot.reports.documents import check_templates
from dialogs import (
    Cancel,
    Choose,
    Ended,
    Event,
    GraphvizMissing,
    Library,
    LogNote,
    Output,
    PageContact,
    Say,
    ScheduleCheckin,
    ShowContacts,
    Sos,
    Start,
    Text,
    load_dialog_file,
    load_paths,
    render_graph,
    step,
)
from dialogs.diagnostics import CODES, Diagnostic, codes_markdown, has_errors
from dialogs.durations import format_duration
from dialogs.errors import DialogError
from dialogs.graph import GRAPH_FORMATS
from dialogs.testing import CheckOutcome, run_transcript_file, walk_dialog

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("dialogs", help="check, play, test and draw dialogs")
    sub = parser.add_subparsers(dest="dialogs_command", metavar="ACTION", required=True)

    check = sub.add_parser("check", help="report every problem of dialog files")
    check.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or folders (default: content)"
    )
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.set_defaults(func=cmd_check)

    play = sub.add_parser("play", help="play a dialog in the terminal through the engine")
    play.add_argument("dialog", metavar="FILE|ID")
    play.add_argument("--lang", default="en")
    play.add_argument("--from", dest="start_node", metavar="NODE")
    play.add_argument("--var", action="append", default=[], metavar="K=V")
    play.set_defaults(func=cmd_play)

    test = sub.add_parser("test", help="run transcript tests and walk every dialog")
    test.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or folders (default: content)"
    )
    test.add_argument("-v", "--verbose", action="store_true", help="list passing tests too")
    test.set_defaults(func=cmd_test)

    codes = sub.add_parser("codes", help="list the checker's diagnostic codes")
    codes.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    codes.set_defaults(func=cmd_codes)

    graph = sub.add_parser("graph", help="draw a dialog (mermaid, dot, svg, png)")
    graph.add_argument("file", metavar="FILE")
    graph.add_argument("--format", choices=GRAPH_FORMATS, default="mermaid")
    graph.add_argument("--lang", default=None)
    graph.add_argument("-o", "--output", metavar="OUT")
    graph.set_defaults(func=cmd_graph)

    from bot.cli.dialogs_versions import register_versions

    register_versions(sub)


def _paths(args: argparse.Namespace) -> list[Path]:
    if args.paths:
        return [Path(p) for p in args.paths]
    return [load_config(args.config).content_path]


def _print_diagnostics(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    for item in diagnostics:
        print(item, file=out)


def _summary(diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = len(diagnostics) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


# -- check --------------------------------------------------------------------------------------
def cmd_check(args: argparse.Namespace) -> int:
    paths = _paths(args)
    loaded = load_paths(paths)
    diagnostics = loaded.diagnostics
    # The document templates beside the dialogs (content/templates) are content too.
    template_problems = [
        problem
        for path in paths
        if (path / "templates").is_dir()
        for problem in check_templates(path / "templates")
    ]
    # ... and so are the handover plan and the sharing categories (content/lifecycle)
    lifecycle = [problem for path in paths for problem in check_lifecycle(path / "lifecycle")]
    if args.format == "json":
        errors = sum(1 for d in diagnostics if d.severity == "error")
        payload = {
            "diagnostics": [d.to_json() for d in diagnostics],
            "errors": errors,
            "warnings": len(diagnostics) - errors,
            "dialogs": sorted(loaded.files),
            "templates": template_problems,
            "lifecycle": lifecycle,
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        _print_diagnostics(diagnostics, sys.stdout)
        for problem in [*template_problems, *lifecycle]:
            print(problem)
        print(f"{len(loaded.files)} dialog(s) checked: {_summary(diagnostics)}", file=sys.stderr)
        if template_problems:
            print(f"{len(template_problems)} template(s) do not parse", file=sys.stderr)
        if lifecycle:
            print(f"{len(lifecycle)} problem(s) in content/lifecycle", file=sys.stderr)
    return 1 if has_errors(diagnostics) or template_problems or lifecycle else 0


# -- play ---------------------------------------------------------------------------------------
def _library_for(args: argparse.Namespace, target: str) -> tuple[Library, str] | None:
    path = Path(target)
    if path.suffix == ".yaml" or path.exists():
        result = load_dialog_file(path)
        if result.dialog is None:
            _print_diagnostics(result.diagnostics, sys.stderr)
            return None
        loaded = load_paths([path])
        _print_diagnostics(loaded.diagnostics, sys.stderr)
        if has_errors(loaded.diagnostics) or result.dialog.id not in loaded.library:
            print("relais: fix the errors above before playing this dialog", file=sys.stderr)
            return None
        return loaded.library, result.dialog.id
    loaded = load_paths([load_config(args.config).content_path])
    if target not in loaded.library:
        known = ", ".join(loaded.library.ids()) or "none"
        print(f"relais: no dialog {target!r} (dialogs: {known})", file=sys.stderr)
        return None
    return loaded.library, target


def _show(outputs: Sequence[Output]) -> Say | None:
    prompt: Say | None = None
    for output in outputs:
        if isinstance(output, Say):
            print(output.text)
            for number, option in enumerate(output.options, 1):
                print(f"  {number}. {option.label}")
            if output.expects is not None:
                prompt = output
        elif isinstance(output, ShowContacts):
            urgent = " (urgent)" if output.urgent else ""
            print(f"[would show contacts: {', '.join(output.roles)}{urgent}]")
        elif isinstance(output, PageContact):
            print(f"[would page: {output.role}]")
        elif isinstance(output, LogNote):
            tags = f" (tags: {', '.join(output.tags)})" if output.tags else ""
            print(f"[would log note: {output.body}{tags}]")
        elif isinstance(output, ScheduleCheckin):
            print(f"[would schedule check-in in {format_duration(output.after)}: {output.label}]")
        elif isinstance(output, Ended):
            print(f"[dialog ended: {output.reason}]")
    return prompt


def _event_for(line: str, prompt: Say | None) -> Event | None:
    command = line.strip()
    if command in ("/sos", "/SOS"):
        return Sos()
    if command == "/cancel":
        return Cancel()
    if prompt is None:
        return None
    if prompt.expects == "option":
        ids = [o.id for o in prompt.options]
        if command.isdigit() and 1 <= int(command) <= len(ids):
            return Choose(ids[int(command) - 1], prompt.turn)
        for option in prompt.options:
            if command in (option.id, option.label):
                return Choose(option.id, prompt.turn)
        return Choose(command, prompt.turn)
    return Text(line.rstrip("\n"))


def cmd_play(args: argparse.Namespace) -> int:
    found = _library_for(args, args.dialog)
    if found is None:
        return 1
    library, dialog_id = found
    context = {"practitioner": "Demo Mentor", "case": ""}
    variables: dict[str, str | int | float | bool | None] = {}
    for item in args.var:
        key, sep, value = item.partition("=")
        if not sep or not key:
            print(f"relais: --var expects K=V, found {item!r}", file=sys.stderr)
            return 2
        if key in ("practitioner", "case"):
            context[key] = value
        else:
            variables[key] = value
    print("(type the number of a choice, /sos for emergency contacts, /cancel to stop)")
    now = datetime.now(UTC)
    result = step(
        library, None, Start(dialog_id, args.lang, context, variables, None, args.start_node), now
    )
    if result.error is not None:
        print(f"relais: {result.error.message}", file=sys.stderr)
        return 1
    state = result.state
    prompt = _show(result.outputs)
    while state is not None and not state.ended:
        print("> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            print()
            return 0
        if not line.strip():
            continue
        event = _event_for(line, prompt)
        if event is None:
            continue
        result = step(library, state, event, datetime.now(UTC))
        if result.error is not None:
            print(f"! {result.error.message}")
            continue
        state = result.state
        prompt = _show(result.outputs) or prompt
    return 0


# -- test ---------------------------------------------------------------------------------------
def cmd_test(args: argparse.Namespace) -> int:
    paths = _paths(args)
    loaded = load_paths(paths)
    outcomes: list[CheckOutcome] = []
    errors = [d for d in loaded.diagnostics if d.severity == "error"]
    if errors:
        outcomes.append(
            CheckOutcome("dialogs check", errors[0].loc, False, [str(d) for d in errors])
        )
    transcripts: list[Path] = []
    for path in paths:
        if path.is_file() and path.name.endswith(".test.yaml"):
            transcripts.append(path)
        elif path.is_dir():
            folder = path / "dialogs" if (path / "dialogs").is_dir() else path
            transcripts.extend(sorted(folder.glob("*.test.yaml")))
        elif path.is_file():
            sibling = path.with_name(path.name[: -len(".yaml")] + ".test.yaml")
            if sibling.exists():
                transcripts.append(sibling)
    transcripts = sorted({t.resolve(): t for t in transcripts}.values())
    for dialog in loaded.library:
        if dialog.id in loaded.files:
            outcomes.append(walk_dialog(loaded.library, dialog))
    for transcript in transcripts:
        outcomes.extend(run_transcript_file(loaded.library, transcript))
    passed = sum(1 for o in outcomes if o.passed)
    failed = len(outcomes) - passed
    for outcome in outcomes:
        if not outcome.passed or args.verbose:
            print(outcome)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


# -- codes ---------------------------------------------------------------------------------------
def cmd_codes(args: argparse.Namespace) -> int:
    if args.format == "markdown":
        print(codes_markdown())
    elif args.format == "json":
        rows = [
            {"code": c.code, "severity": c.severity, "title": c.title, "fix": c.fix}
            for c in CODES.values()
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        for info in CODES.values():
            print(f"{info.code} {info.severity:<7} {info.title}\n        {info.fix}")
    return 0


# -- graph --------------------------------------------------------------------------------------
def cmd_graph(args: argparse.Namespace) -> int:
    result = load_dialog_file(args.file)
    if result.dialog is None:
        _print_diagnostics(result.diagnostics, sys.stderr)
        return 1
    try:
        data = render_graph(result.dialog, args.format, args.lang)
    except GraphvizMissing as exc:
        print(f"relais: {exc}", file=sys.stderr)
        return 1
    except DialogError as exc:
        print(f"relais: {exc}", file=sys.stderr)
        return 1
    if args.output:
        Path(args.output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0
