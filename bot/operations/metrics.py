"""Prometheus metrics and the `/healthz` + `/metrics` endpoint (`[metrics] listen`).

Labels carry a channel name, a message kind or a failure code: never a user, a case or a text.
Counts that live in the database (outbox, occurrences) are read just before each scrape; the
chat layer's counters and latencies are counted as messages are handled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bot.channels.base import Handler
from bot.messages import Incoming, Reply
from bot.operations.health import Health
from storage.database import Database
from storage.models import CheckinOccurrenceRow, OutboxRow

__all__ = ["Metrics", "OpsServer"]

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Snapshot(Collector):
    """Gauges read from the database (refreshed before each scrape) and from `Health`."""

    def __init__(self, health: Health) -> None:
        self.health = health
        self.values: dict[str, Any] = {}

    async def refresh(self, db: Database, now: datetime) -> None:
        try:
            async with db.connect() as conn:
                unsent = OutboxRow.status.in_(("pending", "sending"))
                depth = await conn.scalar(select(func.count()).where(unsent))
                oldest = await conn.scalar(select(func.min(OutboxRow.created_at)).where(unsent))
                due = await conn.scalar(
                    select(func.count()).where(
                        CheckinOccurrenceRow.status == "pending",
                        CheckinOccurrenceRow.deliver_at <= now,
                    )
                )
                escalations = await conn.scalar(
                    select(func.count()).where(OutboxRow.kind == "escalate")
                )
                pages = await conn.scalar(
                    select(func.count()).where(
                        CheckinOccurrenceRow.kind == "page",
                        CheckinOccurrenceRow.status.in_(("pending", "waiting", "exhausted")),
                    )
                )
                failed = (
                    await conn.execute(
                        select(OutboxRow.last_error, func.count())
                        .where(OutboxRow.status.in_(("failed", "unreachable")))
                        .group_by(OutboxRow.last_error)
                    )
                ).all()
        except Exception as exc:
            self.health.database_errors += 1
            log.warning("metrics: the database did not answer (%s)", type(exc).__name__)
            return
        age = 0.0
        if oldest is not None:
            when = oldest if isinstance(oldest, datetime) else datetime.fromisoformat(str(oldest))
            when = when.replace(tzinfo=UTC) if when.tzinfo is None else when
            age = max(0.0, (now - when).total_seconds())
        self.values = {
            "depth": int(depth or 0),
            "oldest": age,
            "due": int(due or 0),
            "escalations": int(escalations or 0),
            "pages": int(pages or 0),
            "failed": {(reason or "unknown"): int(n) for reason, n in failed},
        }

    def collect(self) -> Iterator[Any]:
        v = self.values
        if v:
            yield GaugeMetricFamily("relais_outbox_depth", "Messages not sent yet", v["depth"])
            yield GaugeMetricFamily(
                "relais_outbox_oldest_unsent_seconds",
                "Age of the oldest message not sent yet (0 when none)",
                v["oldest"],
            )
            yield GaugeMetricFamily(
                "relais_checkins_due_unsent", "Check-ins due but not sent yet", v["due"]
            )
            yield CounterMetricFamily(
                "relais_escalations_started",
                "Missed check-in escalations queued",
                v["escalations"],
            )
            yield GaugeMetricFamily(
                "relais_pages_unacknowledged", "Pages waiting for an acknowledgement", v["pages"]
            )
            failed = GaugeMetricFamily(
                "relais_deliveries_failed",
                "Messages given up (failed or unreachable), by reason",
                labels=["reason"],
            )
            for reason, n in sorted(v["failed"].items()):
                failed.add_metric([reason], n)
            yield failed
        up = GaugeMetricFamily("relais_channel_up", "1 when the channel works", labels=["channel"])
        last = GaugeMetricFamily(
            "relais_channel_last_success_timestamp_seconds",
            "Unix time of the channel's last successful sync or poll",
            labels=["channel"],
        )
        for name, state in sorted(self.health.channels.items()):
            up.add_metric([name], 1.0 if self.health.channel_working(name) else 0.0)
            if state.last_ok is not None:
                last.add_metric([name], state.last_ok.timestamp())
        yield up
        yield last
        yield CounterMetricFamily(
            "relais_database_errors", "Database errors seen", self.health.database_errors
        )


class Metrics:
    """The registry of one running Relais (not the process-global one: tests run several)."""

    def __init__(self, health: Health) -> None:
        self.registry = CollectorRegistry()
        self.health = health
        self.handled = Counter(
            "relais_messages_handled",
            "Messages received from users and handled",
            ["channel"],
            registry=self.registry,
        )
        self.replies = Counter(
            "relais_replies_sent", "Replies sent to users", ["channel"], registry=self.registry
        )
        self.latency = Histogram(
            "relais_reply_seconds",
            "Time from a message to its replies",
            ["channel"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.snapshot = _Snapshot(health)
        self.registry.register(self.snapshot)

    def instrument(self, handler: Handler) -> Handler:
        """The chat handler, counting messages, replies and latency per channel."""

        async def handle(incoming: Incoming) -> list[Reply]:
            started = time.perf_counter()
            replies = await handler(incoming)
            channel = incoming.channel
            self.handled.labels(channel).inc()
            self.replies.labels(channel).inc(len(replies))
            self.latency.labels(channel).observe(time.perf_counter() - started)
            return replies

        return handle

    async def render(self, db: Database, now: datetime) -> bytes:
        await self.snapshot.refresh(db, now)
        return generate_latest(self.registry)


class OpsServer:
    """`/healthz` (200 or 503, the body says which part) and `/metrics`, on a local address."""

    def __init__(self, listen: str, db: Database, health: Health, metrics: Metrics) -> None:
        host, _, port = listen.rpartition(":")
        self.host, self.port = host or "127.0.0.1", int(port)
        self.db, self.health, self.metrics = db, health, metrics
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("health and metrics on http://%s:%d/", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        report = await self.health.check(self.db)
        return web.Response(text=report.text(), status=200 if report.ok else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        body = await self.metrics.render(self.db, self.health.clock.now())
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})
