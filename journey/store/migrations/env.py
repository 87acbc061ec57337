"""alembic environment for journey's store. Run through `journey.store.migrate`, which passes
an open connection; `alembic -c ...` with `sqlalchemy.url` set also works for developers."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection, create_engine
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

import journey.store.engine  # noqa: F401  (imports every table module)

config = context.config
target_metadata = SQLModel.metadata


def _render_item(kind: str, item: Any, _autogen_context: Any) -> str | Literal[False]:
    """Render sqlmodel's column types as plain SQLAlchemy ones: migrations import no sqlmodel."""
    if kind == "type" and isinstance(item, AutoString):
        return f"sa.String({item.length})" if item.length else "sa.String()"
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as conn:
        _run(conn)
