"""Alembic environment of the client store, driven programmatically by `fieldapp.store.db`.

The caller hands over an open connection (`config.attributes["connection"]`); there is no
alembic.ini and no URL here, so the same code works in a checkout, a wheel and a bundle.
"""

from alembic import context

from fieldapp.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
