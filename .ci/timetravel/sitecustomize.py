"""Moves this Python process's clock when FIELDAPP_TIME_TRAVEL is set (CI only).

`.ci/run` puts this folder on PYTHONPATH so every Python process it starts (pytest, and the
servers and clients the tests start as subprocesses) runs at the moved date, with the clock
ticking from there. The first process records the real time it started at
(FIELDAPP_TIME_TRAVEL_ANCHOR), so processes started later agree with it to the millisecond.
time-machine patches Python's time and datetime functions, not the monotonic clock, so timed
waits and sleeps behave normally.
"""

import os

_destination = os.environ.get("FIELDAPP_TIME_TRAVEL")
if _destination:
    import datetime
    import time

    import time_machine

    _anchor = float(os.environ.setdefault("FIELDAPP_TIME_TRAVEL_ANCHOR", repr(time.time())))
    _start = datetime.datetime.fromisoformat(_destination.replace("Z", "+00:00"))
    _start += datetime.timedelta(seconds=time.time() - _anchor)
    _traveller = time_machine.travel(_start, tick=True)
    _traveller.start()
