"""Tables of work in the field: the agents' calls and messages to customers.

A contact attempt holds no number or text sent: the case, the agent, the channel, the
result the agent chose and when. The policy's frequency limit on contact attempts counts
them with the visits (fieldapp.policy), on the server and on the laptops alike.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldapp.core.timeutil import utcnow
from fieldapp.server.models import Base, User
from fieldapp.server.types import UTCDateTime


class ContactAttempt(Base):
    __tablename__ = "contact_attempts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the laptop's attempt id
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    outbox_item_id: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(10))   # call | sms
    result: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    agent: Mapped[User] = relationship(lazy="joined")
