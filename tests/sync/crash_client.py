"""A client process for the kill test: record a few visits, then sync, printing progress.

    python crash_client.py STORE URL USER CASES_FILE VISITS

The store is opened in passphrase mode (FIELDAPP_STORE_PASSPHRASE), the password comes
from FIELDAPP_PASSWORD. Every step prints a line, so the test can kill the process at
a chosen point of the work.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from visitdata import agreement_visit, visit_record  # noqa: E402

from fieldapp.sync.service import AgentService  # noqa: E402


def main() -> int:
    store, url, user, cases_file, visits = sys.argv[1:6]
    case_ids = Path(cases_file).read_text().split()
    svc = AgentService(store_path=store, passphrase=os.environ["FIELDAPP_STORE_PASSPHRASE"],
                       page_size=20, push_batch=4)
    print("opened", flush=True)
    if svc.resume() is None:
        svc.login(url, user, os.environ["FIELDAPP_PASSWORD"])
        print("logged in", flush=True)
    here = sorted(set(case_ids) & {row.id for row in svc.list_cases()})  # pulled already
    for n in range(int(visits) if here else 0):
        case_id = random.choice(here)
        if n % 3 == 0:
            visit, files = agreement_visit(case_id)
            svc.record_visit(visit, files)
        else:
            svc.record_visit(visit_record(case_id))
        print("recorded", n, flush=True)
    summary = svc.sync(lambda phase, done, total: print(phase, done, total, flush=True))
    print("summary", summary.pulled_upserts, summary.pushed_accepted, summary.pushed_duplicate,
          summary.pushed_rejected, flush=True)
    svc.close()
    return 1 if summary.rejected else 0


if __name__ == "__main__":
    raise SystemExit(main())
