"""Relais against Element's own crypto: a matrix-js-sdk practitioner (Rust crypto, "exclude
insecure devices") on the real Synapse, talking to the real bot and chat layer.

The practitioner is tests/matrix/js/practitioner.mjs, run with the Node 22 that
tests/matrix/js/package-lock.json pins (the npm package `node`); `npm ci` runs there when the
packages are missing or older than the lock file. Skipped only when npm is not installed.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.runtime import Runtime
from tests.e2e.test_matrix_relais import runtime
from tests.fakes.synapse import SynapseServer
from tests.matrix.conftest import BotFactory, PractitionerFactory
from tests.matrix.practitioner import Practitioner

__all__ = ["runtime"]

pytestmark = pytest.mark.synapse

JS_DIR = Path(__file__).resolve().parents[1] / "matrix" / "js"
NODE = JS_DIR / "node_modules" / "node" / "bin" / "node"
PASSWORD = "js-practitioner-password"


def node_binary() -> Path:
    installed = JS_DIR / "node_modules" / ".package-lock.json"
    lock = JS_DIR / "package-lock.json"
    if NODE.exists() and installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return NODE
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(
            "npm is not installed on this machine, so the matrix-js-sdk practitioner "
            "(tests/matrix/js) cannot be installed: install Node.js with npm to run this test"
        )
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"npm ci failed in {JS_DIR}:\n{done.stderr[-3000:]}"
    assert NODE.exists(), f"npm ci did not install Node 22 at {NODE}"
    return NODE


async def run_js_practitioner(
    synapse: SynapseServer,
    localpart: str,
    peer: str,
    steps: list[dict[str, Any]],
    *,
    settle_ms: int = 1000,
) -> dict[str, Any]:
    node = await asyncio.to_thread(node_binary)
    user_id = synapse.register(localpart, PASSWORD)
    request = {
        "homeserver": synapse.base_url,
        "user_id": user_id,
        "password": PASSWORD,
        "peer": peer,
        "steps": steps,
        "step_timeout_ms": 20_000,
        "settle_ms": settle_ms,
    }
    process = await asyncio.create_subprocess_exec(
        str(node),
        str(JS_DIR / "practitioner.mjs"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=JS_DIR,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(json.dumps(request).encode()), 120)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError("the matrix-js-sdk practitioner did not finish in 120 s") from None
    lines = out.decode().strip().splitlines()
    assert lines, f"no report from the js practitioner; stderr:\n{err.decode()[-3000:]}"
    report: dict[str, Any] = json.loads(lines[-1])
    assert report["error"] is None, f"{report['error']}\nstderr:\n{err.decode()[-3000:]}"
    report["user_id"] = user_id
    return report


async def test_an_element_like_client_hears_relais_with_no_warning_and_no_missing_message(
    runtime: Runtime, bots: BotFactory, synapse: SynapseServer, unique: str
) -> None:
    bot = await bots.start(runtime.chat.handle)
    invite = await runtime.relais.create_invite(role="mentor", name="Jo", team="Team M")
    await runtime.relais.create_case("K-9", owner="Jo", team="Team M")
    steps = [
        {"say": f"!start {invite.code}", "replies": 1},
        {"say": "/sos", "replies": 1},
        {"say": "!note K-9 Calmer since the visit", "replies": 1},
        {"say": "/cases", "replies": 1},
    ]
    report = await run_js_practitioner(synapse, f"js-{unique}", bot.user_id, steps)

    assert report["cross_signing_ready"] is True
    assert report["problems"] == [], report["problems"]  # no UNSIGNED_SENDER_DEVICE, no shield
    assert report["timed_out_step"] is None, report
    bodies = [m["body"] for m in report["received"]]
    assert len(bodies) == len(steps), bodies
    assert "Welcome, Jo" in bodies[0]
    assert "112" in bodies[1]
    assert "Note logged on case K-9" in bodies[2]
    assert "K-9" in bodies[3]  # case data: the js device is signed by the pinned identity
    assert all(m["shield_colour"] == "NONE" for m in report["received"])

    actor = await runtime.relais.identify("matrix", report["user_id"])
    assert actor is not None
    notes = await runtime.relais.list_notes(actor, "K-9")
    assert [n.body for n in notes] == ["Calmer since the visit"]


async def test_the_js_practitioner_reports_a_device_not_cross_signed(
    synapse: SynapseServer, practitioners: PractitionerFactory, unique: str
) -> None:
    """A known refusal, so the test above cannot pass by not looking: a peer whose device is
    not cross-signed (a plain nio client, as Relais was) gets UNSIGNED_SENDER_DEVICE."""
    peer = await Practitioner.create(synapse, f"legacy-{unique}", practitioners.directory / "l")
    practitioners.clients.append(peer)

    async def answer_in_the_dm() -> None:
        await peer.wait_for(lambda: len(peer.client.rooms) > 0, 30, "the js practitioner's DM")
        [room_id] = list(peer.client.rooms)
        message = await peer.next_message(room_id, timeout=30)
        assert message.msgtype == "undecryptable"  # Element gave this device no room key
        await peer.say(room_id, "pong from a device nobody signed")

    answering = asyncio.create_task(answer_in_the_dm())
    steps = [{"say": "ping", "replies": 0}]
    report = await run_js_practitioner(
        synapse, f"js-{unique}", peer.user_id, steps, settle_ms=8000
    )
    await answering
    assert report["received"] == []
    assert [p["failure"] for p in report["problems"]] == ["UNSIGNED_SENDER_DEVICE"]
