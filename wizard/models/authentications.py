"""Connected accounts of end users. Credentials are encrypted (wizard.crypto) before they get here."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._base import UTCDateTime, new_id, utcnow


class Authentication(db.Model):
    __tablename__ = "authentications"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("external_users.id", ondelete="CASCADE"), index=True)
    service: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    auth_type: Mapped[str] = mapped_column(String(20))  # oauth2 | api_key | basic
    credentials: Mapped[str] = mapped_column(Text)  # Fernet token of a JSON object
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(30), default="ok")  # ok | needs_reconnect
    # Hash of the account's id at the service (from the test call), so that reconnecting cannot
    # quietly put another account behind the same authentication.
    account_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Imported by the ISV with `hidden: true` (createUserAuthentication): usable as an auth value,
    # but not offered in the wizard's account pickers.
    hidden: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # Who the account is at the service (docs/services.md, "Account identity"): its id there and
    # the name it goes by, read by the service's `identity` when it was connected. Connecting the
    # same identity again updates this authentication instead of adding another.
    identity_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    identity_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The account's connection parameters ({tenant: ...}), from which its URLs are built.
    params: Mapped[dict | None] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
