"""The database schema: SQLAlchemy 2 `Mapped[]` models, one module per concern (`people`:
people, cases, notes, contacts; `inbox`: sessions and received updates; `publishing`;
`checkins`: schedules, occurrences, outbox; `audit`: audit log and key rotation), all on one
`Base.metadata` (what Alembic autogenerate compares). Import the rows from here.

Columns ending in `_enc` hold AES-GCM ciphertext (`storage.crypto`), bound to
`table|column|row id`; rows holding ciphertext therefore get their id before insertion
(a random 32-hex string, see `new_id`). Datetimes are aware UTC (`UTCDateTime`).
Repositories use Core statements on these classes and return frozen dataclasses.

Changing a model means writing a migration in `storage/migrations/versions/`.
"""

from __future__ import annotations

from storage.models.audit import AuditEntryRow, AuditHead, KeyRotationStateRow
from storage.models.base import Base, new_id
from storage.models.checkins import CheckinOccurrenceRow, CheckinScheduleRow, OutboxRow
from storage.models.cluster import ProcessLeaseRow, WebhookClaimRow
from storage.models.exit import ExitAnswerRow
from storage.models.feedback import FeedbackRow
from storage.models.inbox import DialogSessionRow, InboundUpdateRow, ProcessedUpdateRow
from storage.models.lifecycle import (
    CaseReleaseRow,
    HandoverStepRow,
    HandoverTickRow,
    SharingRecordRow,
)
from storage.models.people import (
    CaseMemberRow,
    CaseRow,
    ChannelIdentityRow,
    ContactRow,
    InviteAttemptRow,
    InviteRow,
    NoteRow,
    OnCallRow,
    PractitionerRoleRow,
    PractitionerRow,
    TeamRow,
)
from storage.models.publishing import (
    DialogDraftRow,
    DialogDraftUploadRow,
    DialogReviewViewRow,
    DialogVersionRow,
)
from storage.models.review import CaseDecisionRow, CaseReviewRow
from storage.models.studio import StudioLinkRow, StudioSessionRow
from storage.models.usage import ReferralCountRow, UsageCountRow

__all__ = [
    "AuditEntryRow",
    "AuditHead",
    "Base",
    "CaseDecisionRow",
    "CaseMemberRow",
    "CaseReleaseRow",
    "CaseReviewRow",
    "CaseRow",
    "ChannelIdentityRow",
    "CheckinOccurrenceRow",
    "CheckinScheduleRow",
    "ContactRow",
    "DialogDraftRow",
    "DialogDraftUploadRow",
    "DialogReviewViewRow",
    "DialogSessionRow",
    "DialogVersionRow",
    "ExitAnswerRow",
    "FeedbackRow",
    "HandoverStepRow",
    "HandoverTickRow",
    "InboundUpdateRow",
    "InviteAttemptRow",
    "InviteRow",
    "KeyRotationStateRow",
    "NoteRow",
    "OnCallRow",
    "OutboxRow",
    "PractitionerRoleRow",
    "PractitionerRow",
    "ProcessLeaseRow",
    "ProcessedUpdateRow",
    "ReferralCountRow",
    "SharingRecordRow",
    "StudioLinkRow",
    "StudioSessionRow",
    "TeamRow",
    "UsageCountRow",
    "WebhookClaimRow",
    "new_id",
]
