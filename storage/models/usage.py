"""Usage figures (issue 18): counts about guidance per day, never about people."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

__all__ = ["ReferralCountRow", "UsageCountRow"]


class UsageCountRow(Base):
    """How often something happened at one dialog node on one day, in one team (issue 18:
    evidence). Figures about guidance, never about people: no practitioner, case, chat or
    session column, and nothing finer than a day and a team, so no row can be joined back to a
    conversation (a team's figures are shown under the small-number rule like every other)."""

    __tablename__ = "usage_counts"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    dialog_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    dialog_version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    node_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: visit | choice | exit | sos | page | emergency | time
    measure: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: the option (choice), the reason (exit), the role (page), the duration bucket (time)
    item: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: the team of the practitioner whose conversation it was; "" = unknown (counted before
    #: migration 0010, or no team)
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True, server_default="")
    count: Mapped[int] = mapped_column(Integer)


class ReferralCountRow(Base):
    """How many conversations reached a page of a human or an emergency screen, per team, day,
    dialog and entry point (`/crisis`, `/sos`, a button, a goto). The team, never a person."""

    __tablename__ = "referral_counts"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)  # "" = no team
    dialog_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "" = none running
    entry: Mapped[str] = mapped_column(String(16), primary_key=True)  # crisis|sos|button|goto
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # page | emergency
    count: Mapped[int] = mapped_column(Integer)
