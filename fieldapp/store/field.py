"""In the field, on the laptop: calls and messages to customers, and the map's tiles.

A contact attempt (a call or a message through the laptop's phone handler, with the
result the agent chose) is kept here in the same transaction as its outbox item, so the
policy check before a visit counts it at once, offline, before the server has it. It holds
no personal data: the case id, the time, the channel and the result.

Map tiles are the institution's tile server's PNG images of the cases' area, fetched at
sync and read by the map when the laptop is offline. They hold no personal data either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Float, Integer, LargeBinary, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from fieldapp.store.models import Base, UtcDateTime


class ContactAttempt(Base):
    __tablename__ = "contact_attempts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the attempt id (= outbox item id)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(10))   # call | sms
    result: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class CasePhoto(Base):
    """A photo taken for a case's visit: its bytes are an encrypted attachment file (by
    SHA-256); `visit_id` is set when the recorded visit takes it along."""

    __tablename__ = "case_photos"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    captured_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    taken_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    visit_id: Mapped[str | None] = mapped_column(String(64))


class MapTile(Base):
    __tablename__ = "map_tiles"

    z: Mapped[int] = mapped_column(Integer, primary_key=True)
    x: Mapped[int] = mapped_column(Integer, primary_key=True)
    y: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))  # SHA-256 of the tile URL template it came from
    png: Mapped[bytes] = mapped_column(LargeBinary)
    fetched_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


@dataclass(frozen=True)
class AttemptRow:
    id: str
    case_id: str
    channel: str
    result: str
    at: dt.datetime


def add_attempt(session: Session, attempt_id: str, case_id: str, channel: str, result: str,
                at: dt.datetime) -> None:
    if session.get(ContactAttempt, attempt_id) is None:
        session.add(ContactAttempt(id=attempt_id, case_id=case_id, channel=channel, result=result, at=at))
        session.flush()


def attempts(session: Session, case_id: str) -> list[AttemptRow]:
    """The case's attempts recorded on this laptop, oldest first."""
    rows = session.scalars(select(ContactAttempt).where(ContactAttempt.case_id == case_id)
                           .order_by(ContactAttempt.at))
    return [AttemptRow(r.id, r.case_id, r.channel, r.result, r.at) for r in rows]


def forget_case(session: Session, case_id: str) -> list[str]:
    """Forget the case's attempts and photos; returns the photos no visit took (their files
    are the caller's to delete)."""
    session.execute(delete(ContactAttempt).where(ContactAttempt.case_id == case_id))
    pending = list(session.scalars(select(CasePhoto.sha256).where(CasePhoto.case_id == case_id,
                                                                  CasePhoto.visit_id.is_(None))))
    session.execute(delete(CasePhoto).where(CasePhoto.case_id == case_id))
    return pending


def pending_photos(session: Session, case_id: str) -> list[CasePhoto]:
    """The case's photos no recorded visit has taken yet, in the order they were added."""
    return list(session.scalars(select(CasePhoto).where(CasePhoto.case_id == case_id, CasePhoto.visit_id.is_(None))
                                .order_by(CasePhoto.captured_at)))


def put_tile(session: Session, z: int, x: int, y: int, source: str, png: bytes, at: dt.datetime) -> None:
    row = session.get(MapTile, (z, x, y))
    if row is None:
        session.add(MapTile(z=z, x=x, y=y, source=source, png=png, fetched_at=at))
    else:
        row.source, row.png, row.fetched_at = source, png, at
    session.flush()


def tile(session: Session, z: int, x: int, y: int, source: str) -> bytes | None:
    row = session.get(MapTile, (z, x, y))
    return row.png if row is not None and row.source == source else None


def tile_keys(session: Session, source: str) -> set[tuple[int, int, int]]:
    return {(z, x, y) for z, x, y in session.execute(
        select(MapTile.z, MapTile.x, MapTile.y).where(MapTile.source == source))}
