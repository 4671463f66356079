"""The sandbox provider's tables (Authlib's SQLAlchemy mixins): its clients, codes and tokens."""
from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from authlib.integrations.sqla_oauth2 import (
    OAuth2AuthorizationCodeMixin, OAuth2ClientMixin, OAuth2TokenMixin,
)

from ..extensions import db


class SandboxClient(db.Model, OAuth2ClientMixin):
    __tablename__ = "sandbox_clients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class SandboxCode(db.Model, OAuth2AuthorizationCodeMixin):
    __tablename__ = "sandbox_codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40))  # the workspace the code grants
    tenant: Mapped[str | None] = mapped_column(String(63), nullable=True)  # /sandbox/t/<tenant>/


class SandboxToken(db.Model, OAuth2TokenMixin):
    __tablename__ = "sandbox_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40))
    tenant: Mapped[str | None] = mapped_column(String(63), nullable=True)  # where it was issued
