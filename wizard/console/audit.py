"""The console's audit log: one row per action (who, when, what, on which object), written in the
action's own transaction where there is one, never changed afterwards (models.AuditEntry)."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .auth import current_operator
from .models import AuditEntry


def record(action: str, object_type: str = "", object_id: str = "", *, email: str | None = None,
           role: str | None = None, **detail) -> AuditEntry:
    """Called by every console view that changes something, after the change succeeded. `detail`
    never holds a secret (views pass ids, names and counts only)."""
    op = current_operator()
    entry = AuditEntry(operator_email=email or (op.email if op else "?"), role=role or (op.role if op else "?"),
                       action=action, object_type=object_type, object_id=str(object_id or ""),
                       detail={k: v for k, v in detail.items() if v is not None})
    db.session.add(entry)
    db.session.commit()
    return entry


def entries(*, before: int | None = None, size: int = 50, operator: str | None = None, action: str | None = None,
            object_id: str | None = None) -> tuple[list[AuditEntry], int | None]:
    """Newest first, keyset-paged by id (one statement); filters match exactly."""
    stmt = select(AuditEntry)
    if operator:
        stmt = stmt.where(AuditEntry.operator_email == operator.strip().lower())
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == object_id.strip())
    if before:
        stmt = stmt.where(AuditEntry.id < before)
    rows = db.session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(size + 1)).all()
    return list(rows[:size]), (rows[size - 1].id if len(rows) > size else None)
