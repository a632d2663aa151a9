"""The agent's finished practices of conversation scripts (practice mode), on the laptop.

A practice is recorded in the same transaction as its outbox item (which carries it to the
server), so the laptop knows at once, offline, that the agent has practised a script
version: the policy check before a visit reads it here. Nothing personal is in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from fieldapp.store.models import Base, UtcDateTime


class PracticeRun(Base):
    __tablename__ = "practice_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)   # the practice id (client-made)
    script_id: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    completed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


@dataclass(frozen=True)
class PracticeRow:
    id: str
    script_id: str
    version: int
    sha256: str
    completed_at: dt.datetime


def add(session: Session, practice_id: str, script_id: str, version: int, sha256: str,
        completed_at: dt.datetime) -> None:
    if session.get(PracticeRun, practice_id) is None:
        session.add(PracticeRun(id=practice_id, script_id=script_id, version=version, sha256=sha256,
                                completed_at=completed_at))
        session.flush()


def rows(session: Session) -> list[PracticeRow]:
    return [PracticeRow(r.id, r.script_id, r.version, r.sha256, r.completed_at)
            for r in session.scalars(select(PracticeRun).order_by(PracticeRun.completed_at))]
