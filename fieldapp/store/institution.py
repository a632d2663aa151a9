"""The creditor's details as the server last sent them (`InstitutionInfo`): one row,
replaced at each sync that brings a change, read offline when a visit starts. They are
the institution's public details, not personal data, so they are kept in clear."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Integer, Text, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from fieldapp.protocol.v1 import InstitutionInfo
from fieldapp.store.models import Base, UtcDateTime

ROW_ID = 1


class InstitutionRow(Base):
    __tablename__ = "institution"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[str] = mapped_column(Text)  # InstitutionInfo JSON
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


def load(session: Session) -> InstitutionInfo | None:
    row = session.get(InstitutionRow, ROW_ID)
    return None if row is None else InstitutionInfo.model_validate_json(row.data)


def save(session: Session, info: InstitutionInfo | None, now: dt.datetime) -> bool:
    """Keep `info` (None: the server has none set, forget ours); True when it changed."""
    row = session.get(InstitutionRow, ROW_ID)
    if info is None:
        if row is None:
            return False
        session.execute(delete(InstitutionRow))
        return True
    data = info.model_dump_json()
    if row is not None and row.data == data:
        return False
    if row is None:
        session.add(InstitutionRow(id=ROW_ID, data=data, received_at=now))
    else:
        row.data, row.received_at = data, now
    return True
