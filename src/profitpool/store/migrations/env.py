"""Alembic environment: runs on the connection profitpool hands it (store/database.py)."""

from alembic import context

from profitpool.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
