"""The server's SQLite engine: every transaction begins with BEGIN IMMEDIATE, issued by the
engine, never implicitly by the driver; reads outside a transaction (an idle pull) begin
none, and leave the pooled connection as they found it."""

from __future__ import annotations

from sqlalchemy import event, text

from fieldapp.server.db import make_engine, reads_outside_transaction, session_factory


def test_reads_outside_a_transaction_leave_the_pooled_connection_as_it_was(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'server.db'}")
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    sessions = session_factory(engine)
    try:
        with sessions() as s:
            s.execute(text("CREATE TABLE t (x INTEGER)"))
            s.commit()
        for _ in range(2):  # the second time on the connection the first one gave back
            statements.clear()
            with sessions() as s:
                reads_outside_transaction(s)
                assert s.execute(text("SELECT count(*) FROM t")).scalar() == 0
                assert not s.connection().connection.dbapi_connection.in_transaction
                s.commit()
            assert statements == ["SELECT count(*) FROM t"]  # no BEGIN, no reset PRAGMA
            statements.clear()
            with sessions() as s:
                dbapi = s.connection().connection.dbapi_connection
                assert dbapi.isolation_level is None  # the driver begins nothing by itself
                s.execute(text("INSERT INTO t VALUES (1)"))
                s.rollback()
            assert statements[0] == "BEGIN IMMEDIATE"
        with sessions() as s:
            assert s.execute(text("SELECT count(*) FROM t")).scalar() == 0  # rolled back
    finally:
        engine.dispose()
