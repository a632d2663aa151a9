"""Photo evidence on the laptop: a photo added for a case is made safe (fieldapp.documents.
photos: metadata stripped except what the case's policy keeps, scaled down), stored as an
encrypted content-addressed attachment, and taken along by the next visit recorded for
the case, which carries it to the server like a signature. Mixed into `AgentService`.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fieldapp.core.errors import BadInput, NotFound
from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import MAX_PHOTOS, PhotoRef, VisitRecord
from fieldapp.store import field as field_repo
from fieldapp.store.models import Attachment, Case


class PhotoEvidence:
    """Needs `store`, `get_case`, `server_now` and `tr` (AgentService)."""

    def photo_rules(self, case_id: str) -> Any:
        """The case's policy on photos (fieldapp.policy.model.Photos)."""
        from fieldapp.policy import load_policy

        return load_policy(self.get_case(case_id).policy_id).photos  # type: ignore[attr-defined]

    def add_photo(self, case_id: str, data: bytes, kind: str = "other") -> PhotoRef:
        from fieldapp.documents.photos import prepare_photo

        tr = self.tr  # type: ignore[attr-defined]
        if kind not in ("house_number", "door_notice", "other"):
            raise BadInput(tr("unknown kind of photo {kind}", kind=kind), field="kind")
        record = self.get_case(case_id)  # type: ignore[attr-defined]
        rules = self.photo_rules(case_id)
        if not rules.allowed:
            raise BadInput(tr("The case's policy allows no photos."), field="photo")
        photo = prepare_photo(data, max_side=rules.max_side_px, keep_time=rules.keep_time,
                              keep_position=rules.keep_position, zone=ZoneInfo(record.customer.timezone))
        now = self.server_now()  # type: ignore[attr-defined]
        store = self.store  # type: ignore[attr-defined]
        with store.write() as s:
            case = s.get(Case, case_id)
            if case is None:
                raise NotFound(tr("Case {id} is not on this device", id=case_id))
            if len(field_repo.pending_photos(s, case_id)) >= MAX_PHOTOS:
                raise BadInput(tr("A visit takes at most {count} photos.", count=MAX_PHOTOS), field="photo")
            if s.get(field_repo.CasePhoto, photo.sha256) is None:
                store.files.write(photo.sha256, photo.jpeg)
                if s.get(Attachment, photo.sha256) is None:
                    s.add(Attachment(sha256=photo.sha256, size=len(photo.jpeg), created_at=utcnow()))
                s.add(field_repo.CasePhoto(sha256=photo.sha256, case_id=case_id, kind=kind, captured_at=now,
                                           taken_at=photo.taken_at, lat=photo.lat, lon=photo.lon))
        store.checkpoint()
        return PhotoRef(sha256=photo.sha256, kind=kind, captured_at=now, taken_at=photo.taken_at,  # type: ignore[arg-type]
                        lat=photo.lat, lon=photo.lon)

    def pending_photos(self, case_id: str) -> list[PhotoRef]:
        """Photos taken for the case's next visit, in the order they were added."""
        with self.store.read() as s:  # type: ignore[attr-defined]
            return [_ref(p) for p in field_repo.pending_photos(s, case_id)]

    def remove_photo(self, sha256: str) -> bool:
        """Drop a photo no visit has taken yet (its file goes too)."""
        store = self.store  # type: ignore[attr-defined]
        with store.write() as s:
            row = s.get(field_repo.CasePhoto, sha256)
            if row is None or row.visit_id is not None:
                return False
            s.delete(row)
            attachment = s.get(Attachment, sha256)
            if attachment is not None:
                s.delete(attachment)
        store.delete_files([sha256])
        return True

    def _take_photos(self, s, visit: VisitRecord, attachments: dict[str, bytes]) -> VisitRecord:  # type: ignore[no-untyped-def]
        """The visit with the case's pending photos (their files added to `attachments`),
        marked as taken, in the caller's transaction.

        A visit with a signed report takes exactly the photos it lists (the report shows
        them; their files came with the visit or are read by `_check_refs`): a photo added
        after the report was made stays pending for the case's next visit. A visit without
        a report takes every pending photo."""
        pending = field_repo.pending_photos(s, visit.case_id)
        if visit.report_sha256 is not None:
            listed = {ref.sha256 for ref in visit.photos}
            for p in pending:
                if p.sha256 in listed:
                    p.visit_id = visit.visit_id
            return visit
        if not pending:
            return visit
        refs = list(visit.photos) + [_ref(p) for p in pending if p.sha256 not in {r.sha256 for r in visit.photos}]
        for p in pending:
            attachments[p.sha256] = self.store.files.read(p.sha256)  # type: ignore[attr-defined]
            p.visit_id = visit.visit_id
        return visit.model_copy(update={"photos": refs[:MAX_PHOTOS]})


def _ref(p: Any) -> PhotoRef:
    return PhotoRef(sha256=p.sha256, kind=p.kind, captured_at=p.captured_at, taken_at=p.taken_at,
                    lat=p.lat, lon=p.lon)
