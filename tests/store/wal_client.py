"""A laptop that records visits through the service, then dies in the middle of a write.

    python wal_client.py STORE VISITS

Passphrase mode (FIELDAPP_STORE_PASSPHRASE). Prints `recorded ID` per visit, then begins a
write transaction (a draft being saved), prints `pending` and waits to be killed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from store_records import case_record, upsert, visit  # noqa: E402

from fieldapp.store import cases as case_repo  # noqa: E402
from fieldapp.store import drafts as draft_repo  # noqa: E402
from fieldapp.sync.service import AgentService  # noqa: E402


def main() -> int:
    store, visits = sys.argv[1], int(sys.argv[2])
    svc = AgentService(store_path=store, passphrase=os.environ["FIELDAPP_STORE_PASSPHRASE"])
    records = [case_record(i) for i in range(1, visits + 1)]
    with svc.store.write() as s:
        case_repo.apply_changes(s, svc.store.cipher, [upsert(i, r) for i, r in enumerate(records, 1)])
    for record in records:
        print("recorded", svc.record_visit(visit(record.id, notes="x" * 600)), flush=True)
    with svc.store.write() as s:
        draft_repo.save_draft(s, svc.store.cipher, records[0].id, {"step": "plan"}, records[0].updated_at)
        s.flush()
        print("pending", flush=True)
        time.sleep(600)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
