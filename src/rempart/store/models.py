"""Tables of the store (SQLAlchemy 2 declarative). Schema changes go through Alembic
(``migrations/versions``); never edit a released migration, add a new one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class AuditRow(Base):
    __tablename__ = "audits"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    targets: Mapped[list[str]] = mapped_column(JSON)
    ports: Mapped[str] = mapped_column(Text)
    authorized: Mapped[bool] = mapped_column(Boolean, default=False)
    rempart_version: Mapped[str] = mapped_column(String(32), default="")
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)

    assets: Mapped[list[AssetRow]] = relationship(
        back_populates="audit", cascade="all, delete-orphan", order_by="AssetRow.id"
    )
    findings: Mapped[list[FindingRow]] = relationship(
        back_populates="audit", cascade="all, delete-orphan", order_by="FindingRow.id"
    )
    hosts: Mapped[list[HostFactsRow]] = relationship(
        back_populates="audit", cascade="all, delete-orphan", order_by="HostFactsRow.id"
    )


class AssetRow(Base):
    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    audit_id: Mapped[str] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(64))
    hostname: Mapped[str | None] = mapped_column(String(255), nullable=True)
    kind: Mapped[str | None] = mapped_column(String(32), nullable=True)

    audit: Mapped[AuditRow] = relationship(back_populates="assets")
    services: Mapped[list[ServiceRow]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="ServiceRow.id"
    )


class ServiceRow(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    port: Mapped[int] = mapped_column(Integer)
    transport: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(32))
    product: Mapped[str | None] = mapped_column(String(255), nullable=True)
    version: Mapped[str | None] = mapped_column(String(128), nullable=True)
    cpe: Mapped[str | None] = mapped_column(String(255), nullable=True)
    banner: Mapped[str | None] = mapped_column(Text, nullable=True)
    observations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    asset: Mapped[AssetRow] = relationship(back_populates="services")


class FindingRow(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    audit_id: Mapped[str] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    check_id: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    transport: Mapped[str | None] = mapped_column(String(8), nullable=True)
    evidence: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    cves: Mapped[list[str]] = mapped_column(JSON, default=list)

    audit: Mapped[AuditRow] = relationship(back_populates="findings")


class HostFactsRow(Base):
    """One computer's facts (``HostFacts.to_json()``), as collected for an audit."""

    __tablename__ = "host_facts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    audit_id: Mapped[str] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    hostname: Mapped[str | None] = mapped_column(String(255), nullable=True)
    platform: Mapped[str] = mapped_column(String(16))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)

    audit: Mapped[AuditRow] = relationship(back_populates="hosts")
