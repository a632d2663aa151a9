"""The institution's settings: the creditor named on agreements and in the scripts, per
language. One row, set by an administrator (CLI `fieldapp server institution` or
PUT /api/v1/admin/institution), read by every signed-in user's laptop at sync."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import InstitutionInfo
from fieldapp.server import audit
from fieldapp.server.models import InstitutionSettings

ROW_ID = 1


def current(session: Session) -> InstitutionInfo | None:
    """The creditor's details, or None while no administrator has set them."""
    row = session.get(InstitutionSettings, ROW_ID)
    if row is None or not row.names:
        return None
    return InstitutionInfo(names=dict(row.names), addresses=dict(row.addresses or {}),
                           registration=row.registration or None, tile_url=row.tile_url or None,
                           updated_at=row.updated_at)


def name_in(session: Session, lang: str, fallback: str) -> str:
    """The creditor's name for people reading `lang` (notices, the customer's page): the
    administrator's name in that language, else in English, else `fallback` (the
    `institution_name` setting)."""
    row = session.get(InstitutionSettings, ROW_ID)
    names = dict(row.names or {}) if row is not None else {}
    return names.get(lang) or names.get("en") or fallback


def update(session: Session, info: InstitutionInfo, actor_id: str | None = None, *,
           merge: bool = False) -> InstitutionInfo:
    """Set the creditor's details (`merge`: only the languages and fields given change).
    Every laptop takes them at its next sync."""
    row = session.get(InstitutionSettings, ROW_ID)
    if row is None:
        row = InstitutionSettings(id=ROW_ID, names={}, addresses={})
        session.add(row)
    names = {**(row.names or {}), **info.names} if merge else dict(info.names)
    addresses = {**(row.addresses or {}), **info.addresses} if merge else dict(info.addresses)
    row.names = {k: v.strip() for k, v in names.items() if v.strip()}
    row.addresses = {k: v.strip() for k, v in addresses.items() if v.strip()}
    if not merge or "registration" in info.model_fields_set:
        row.registration = (info.registration or "").strip() or None
    if not merge or "tile_url" in info.model_fields_set:
        row.tile_url = info.tile_url or None
    row.updated_at = utcnow()
    row.updated_by = actor_id
    session.flush()
    audit.record(session, "institution.updated", "institution", str(ROW_ID), actor_id)
    result = current(session)
    assert result is not None
    return result
