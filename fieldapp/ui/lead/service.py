"""What the lead screens need from `fieldapp.sync.lead_service.LeadService` (a Protocol,
so the screens depend on the shape; every method blocks and runs through the task runner)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Protocol, Sequence, runtime_checkable

from fieldapp.ui.service import ProgressCallback


@runtime_checkable
class LeadServiceLike(Protocol):
    def sync(self, progress: ProgressCallback | None = None) -> Any: ...

    def queue(self, flt: Any = None, **criteria: Any) -> Sequence[Any]: ...

    def agents(self) -> list[str]: ...

    def evidence(self, visit_id: str) -> Any: ...

    def decide(self, visit_id: str, decision: str, comment: str = "") -> str: ...

    def figures(self, date_from: dt.date, date_to: dt.date, tz: str = "UTC") -> Any: ...

    def cached_figures(self) -> Any: ...

    def export_figures_csv(self, figures: Any, path: Path | str) -> Path: ...

    def logout(self) -> Any: ...

    # Optional: `practice()`, who in the team has practised which script version (network).
