"""Notes benchmark: 100,000 notes over 1,000 cases, on SQLite and PostgreSQL.

Loads the notes in bulk (encrypted, with their HMAC-chained audit entries), then measures
through the use cases, one transaction each, as the chat layer calls them:
- insert a note (`Relais.log_note`: authorization, encryption, audit): p50 and p99;
- list the latest 20 notes of a case (`Relais.list_notes`, decryption, audit): p50.
Targets on SQLite: insert p50 < 5 ms, list p50 < 10 ms.

    .venv/bin/python bench/bench_notes.py                  # both backends, 100,000 notes
    .venv/bin/python bench/bench_notes.py --notes 5000 --backend sqlite
PostgreSQL: --pg URL or RELAIS_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test);
a scratch database relais_bench_<pid> is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, update
from sqlalchemy.engine import make_url

from bot.app import Relais
from bot.clock import SystemClock
from bot.config import Config, StorageConfig
from bot.usecases.base import Actor
from storage.models import AuditEntryRow, AuditHead, NoteRow, new_id
from storage.repos.notes import encode_tags

TAGS = ("progress", "relapse", "trigger", "concern", "contact", "decision")
WORDS = (
    "met", "visit", "call", "family", "work", "sleep", "calm", "tense", "progress", "mosque",
    "gym", "job", "court",
)  # fmt: skip


def _body(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 60)))


async def _setup(relais: Relais, cases: int) -> tuple[list[str], list[Actor]]:
    """1,000 cases, 20 mentors and one coordinator owning them all."""
    owner_invite = await relais.create_invite(role="coordinator", name="Bench Owner", team="B")
    owner = await relais.redeem_invite("bench", "owner", owner_invite.code)
    mentors = []
    for i in range(20):
        invite = await relais.create_invite(role="mentor", name=f"Mentor {i}", team="B")
        mentors.append(await relais.redeem_invite("bench", f"m{i}", invite.code))
    codes = [f"B-{i:04d}" for i in range(cases)]
    async with relais.db.transaction(relais.clock.now()) as tx:
        for i, code in enumerate(codes):
            case = await tx.cases.add(
                code=code, team_id=owner.team_id, owner_id=owner.practitioner_id, now=tx.now
            )
            await tx.cases.put_member(
                case_id=case.id,
                practitioner_id=mentors[i % len(mentors)].practitioner_id,
                role="mentor",
                now=tx.now,
            )
    return codes, [owner, *mentors]


async def _bulk_notes(relais: Relais, codes: list[str], actors: list[Actor], total: int) -> None:
    """Insert `total` encrypted notes with their chained audit entries, in chunks."""
    rng = random.Random(7)
    keys, audit = relais.db.keys, relais.db.audit_log
    async with relais.db.connect() as conn:
        case_ids = dict((await conn.execute(select_case_ids())).all())
        await conn.rollback()
    start = relais.clock.now() - timedelta(days=365)
    chunk = 5000
    done = 0
    while done < total:
        size = min(chunk, total - done)
        async with relais.db.begin() as conn:
            head = (await conn.execute(select(AuditHead.seq, AuditHead.hash))).one()
            seq, prev = int(head.seq), str(head.hash)
            notes: list[dict[str, Any]] = []
            entries: list[dict[str, Any]] = []
            for i in range(size):
                n = done + i
                code = codes[n % len(codes)]
                author = actors[1 + (n % len(codes)) % (len(actors) - 1)]
                note_id = new_id()
                at = start + timedelta(seconds=n * 300)
                notes.append(
                    {
                        "id": note_id,
                        "case_id": case_ids[code],
                        "author_id": author.practitioner_id,
                        "created_at": at,
                        "body_enc": keys.encrypt(
                            _body(rng), table="notes", column="body", row_id=note_id
                        ),
                        "tags": encode_tags([rng.choice(TAGS)]),
                        "origin": "chat",
                        "amends_id": None,
                    }
                )
                seq += 1
                fields = {
                    "seq": seq,
                    "at": at,
                    "actor_kind": "practitioner",
                    "actor_id": author.practitioner_id,
                    "action": "note.log",
                    "outcome": "ok",
                    "case_id": case_ids[code],
                    "case_code": code,
                    "detail": f'{{"note_id":"{note_id}","origin":"chat"}}',
                }
                digest = audit._mac(prev_hash=prev, **fields)  # bulk load: same chain as append
                entries.append({**fields, "prev_hash": prev, "hash": digest})
                prev = digest
            await conn.execute(insert(NoteRow), notes)
            await conn.execute(insert(AuditEntryRow), entries)
            await conn.execute(
                update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev)
            )
        done += size
        print(f"  loaded {done:,} notes", end="\r", flush=True)
    print()


def select_case_ids() -> Any:
    from storage.models import CaseRow

    return select(CaseRow.code, CaseRow.id)


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def _measure(
    relais: Relais, codes: list[str], actors: list[Actor], samples: int
) -> dict[str, Any]:
    rng = random.Random(11)
    mentors = actors[1:]
    member_of = {code: mentors[i % len(mentors)] for i, code in enumerate(codes)}
    for code in codes[:20]:  # warm up
        await relais.list_notes(member_of[code], code)
    inserts, lists = [], []
    for _ in range(samples):
        code = rng.choice(codes)
        body = _body(rng)
        t0 = time.perf_counter()
        await relais.log_note(member_of[code], code, body, [rng.choice(TAGS)])
        inserts.append(time.perf_counter() - t0)
    for _ in range(samples):
        code = rng.choice(codes)
        t0 = time.perf_counter()
        notes = await relais.list_notes(member_of[code], code, limit=20)
        lists.append(time.perf_counter() - t0)
        assert len(notes) == 20 or len(notes) > 0
    ins50, ins99 = _ms(inserts)
    lst50, lst99 = _ms(lists)
    return {"insert_p50": ins50, "insert_p99": ins99, "list_p50": lst50, "list_p99": lst99}


async def _run(url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    config = Config(data_dir=str(data_dir), storage=StorageConfig(url=url))
    relais = await Relais.open(config, SystemClock(), migrate_schema=True)
    try:
        t0 = time.perf_counter()
        codes, actors = await _setup(relais, args.cases)
        await _bulk_notes(relais, codes, actors, args.notes)
        load = time.perf_counter() - t0
        figures = await _measure(relais, codes, actors, args.samples)
        figures["load_s"] = load
        report = await relais.audit_verify()
        figures["audit_ok"] = report.ok
        figures["audit_entries"] = report.entries
        return figures
    finally:
        await relais.close()


async def _pg(sql: str, base: str) -> None:
    import asyncpg

    url = make_url(base)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _print(name: str, f: dict[str, Any], args: argparse.Namespace) -> None:
    print(
        f"{name:<10} {args.notes:>8,} notes / {args.cases:,} cases | "
        f"insert p50 {f['insert_p50']:6.2f} ms  p99 {f['insert_p99']:6.2f} ms | "
        f"list-20 p50 {f['list_p50']:6.2f} ms  p99 {f['list_p99']:6.2f} ms | "
        f"bulk load {f['load_s']:.1f} s | audit chain ok={f['audit_ok']} "
        f"({f['audit_entries']:,} entries)"
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=1_000)
    parser.add_argument("--samples", type=int, default=1_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "RELAIS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    for name in ("RELAIS_DATABASE_URL", "RELAIS_KEYS", "RELAIS_AUDIT_SECRET"):
        os.environ.pop(name, None)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="relais-bench-") as tmp:
        if args.backend in ("sqlite", "both"):
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            results["sqlite"] = await _run(url, Path(tmp) / "data-sqlite", args)
            _print("SQLite", results["sqlite"], args)
        if args.backend in ("postgres", "both"):
            name = f"relais_bench_{os.getpid()}"
            await _pg(f"CREATE DATABASE {name}", args.pg)
            try:
                pg_url = make_url(args.pg).set(drivername="postgresql+asyncpg", database=name)
                results["postgres"] = await _run(
                    pg_url.render_as_string(hide_password=False), Path(tmp) / "data-pg", args
                )
                _print("PostgreSQL", results["postgres"], args)
            finally:
                await _pg(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", args.pg)
    if "sqlite" in results:
        f = results["sqlite"]
        ok = f["insert_p50"] < 5 and f["list_p50"] < 10
        print(f"SQLite targets (insert p50 < 5 ms, list p50 < 10 ms): {'met' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
