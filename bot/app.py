"""The application object: `relais = await Relais.open(config, clock)`.

`Relais` holds the database, the keys and the clock, and exposes every use case the chat
layer and the command line call (see docs/design.md, "Use cases the chat layer calls"):

- identity: identify, redeem_invite, mark_unreachable, set_language,
  set_time_zone, set_quiet_hours
- device trust (Matrix): record_device, trust_identity
- cases and notes: list_cases, log_note, list_notes, amend_note
- contacts: contacts_for
- sessions: save_session, end_session, expire_sessions, first_time (a chat turn reads its
  conversation in `begin_turn`)
- inbox (channels): store_updates, pending_updates, forget_updates
- operator (command line): create_invite, revoke, list_practitioners, ensure_team,
  create_case, add_member, remove_member, set_owner, close_case, all_cases, export_case,
  erase_case, import_contacts, apply_retention, audit_export, audit_verify, rotate_keys
- operations: team_status (/status)
- the monthly review (bot/review/): ensure_review_checkins, set_review_day, review_days,
  record_decision, list_decisions, settle_decision, review_pack, operator_review_pack
- release and handover: set_release, handover, tick_handover (issue 16)
- information sharing: set_sharing, sharing, export_case_for (issue 16)
- Relais Studio (bot/studio/usecases.py): studio_link, studio_login, studio_visitor,
  studio_logout, studio_overview, studio_dialog, studio_drafts (one audited read per page),
  studio_strings, studio_strings_imported (translators)
- pocket cards: card_contacts (/card), card_directory (relais dialogs card)
- the structured exit (bot.exit): exit_progress, save_exit_answer, exit_report,
  operator_exit_report
"""

from __future__ import annotations

import logging
from types import TracebackType

from bot.cards.usecases import CardUseCases
from bot.chat.catalog import use_content
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.exit.usecases import ExitUseCases
from bot.keystore import load_audit_secret, load_keyring
from bot.review.decisions import DecisionUseCases
from bot.review.pack import ReviewPackUseCases
from bot.review.schedule import ReviewScheduleUseCases
from bot.studio.usecases import StudioUseCases
from bot.usecases.admin import AdminUseCases
from bot.usecases.case_team import CaseTeamUseCases
from bot.usecases.chat_turns import ChatTurnUseCases
from bot.usecases.cluster import ClusterUseCases
from bot.usecases.contacts import ContactUseCases
from bot.usecases.dataprotection import DataProtectionUseCases
from bot.usecases.device_trust import DeviceTrustUseCases
from bot.usecases.evaluation import EvaluationUseCases
from bot.usecases.feedback import FeedbackUseCases
from bot.usecases.handover import HandoverUseCases
from bot.usecases.identity import IdentityUseCases
from bot.usecases.inbox import InboxUseCases
from bot.usecases.maintenance import MaintenanceUseCases
from bot.usecases.notes import NoteUseCases
from bot.usecases.operations import OperationsUseCases
from bot.usecases.sessions import SessionUseCases
from bot.usecases.sharing import SharingUseCases
from bot.usecases.usage import UsageUseCases
from storage import migrate
from storage.audit import AuditLog
from storage.audit_anchor import AnchorSink
from storage.database import Database
from storage.db import create_engine

__all__ = ["Relais"]

log = logging.getLogger(__name__)


class Relais(
    ChatTurnUseCases,
    IdentityUseCases,
    DeviceTrustUseCases,
    NoteUseCases,
    CaseTeamUseCases,
    ContactUseCases,
    SessionUseCases,
    InboxUseCases,
    AdminUseCases,
    DataProtectionUseCases,
    MaintenanceUseCases,
    OperationsUseCases,
    ClusterUseCases,
    UsageUseCases,
    FeedbackUseCases,
    EvaluationUseCases,
    ReviewScheduleUseCases,
    DecisionUseCases,
    ReviewPackUseCases,
    HandoverUseCases,
    SharingUseCases,
    StudioUseCases,
    CardUseCases,
    ExitUseCases,
):
    """The running application: database + keys + clock + use cases."""

    not_use_cases = frozenset({"open", "close"})

    def __init__(self, config: Config, clock: Clock, db: Database) -> None:
        self.config = config
        self.clock = clock
        self.db = db
        use_content(config.content_path)  # what reminders and notices composed off a turn read

    @classmethod
    async def open(
        cls, config: Config, clock: Clock | None = None, *, migrate_schema: bool = False
    ) -> Relais:
        """Connect, load the keys and check the schema.

        Raises SchemaOutOfDate (naming `relais db upgrade`) unless the database is at the
        newest migration; `migrate_schema=True` upgrades it first (demo, tests).
        """
        keys, source = load_keyring(config)
        audit = AuditLog(load_audit_secret(config))
        url = config.database_url()
        if migrate_schema:
            await migrate.upgrade(url)
        engine = create_engine(
            url, echo=config.storage.echo, synchronous=config.storage.sqlite_synchronous
        )
        try:
            await migrate.check_schema(engine)
        except BaseException:
            await engine.dispose()
            raise
        log.info(
            "database ready (%s), encryption key %s from %s",
            engine.dialect.name,
            keys.active_id,
            source.kind,
        )
        anchor = AnchorSink(
            config.audit.anchor_file,
            use_syslog=config.audit.anchor_syslog,
            every=config.audit.anchor_every,
        )
        return cls(config, clock or SystemClock(), Database(engine, keys, audit, anchor))

    async def close(self) -> None:
        try:
            await self.db.anchor_head(self.clock.now())
        except Exception:  # closing goes on: the anchor is a second record, not the first
            log.exception("could not anchor the audit head at shutdown")
        await self.db.close()

    async def __aenter__(self) -> Relais:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
