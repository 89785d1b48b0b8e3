"""The data model (see DESIGN.md). Codes are stable English strings; labels live in `taxonomy`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Neighbourhood(Timestamped, Base):
    __tablename__ = "neighbourhood"
    __table_args__ = (UniqueConstraint("name", "municipality"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    municipality: Mapped[str] = mapped_column(String(120), index=True)
    homes: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Category(Timestamped, Base):
    """An area (no parent, has a colour) or a specific need (points to its area)."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    colour: Mapped[str | None] = mapped_column(String(7))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Channel(Timestamped, Base):
    __tablename__ = "channel"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


# Household codes compare byte by byte on every database, so that a prefix is a range of the
# unique index (the type-ahead); SQLite's default collation already is, PostgreSQL's follows
# the locale the server was installed with unless the column says "C".
HOUSEHOLD_CODE_TYPE = String(40).with_variant(postgresql.VARCHAR(40, collation="C"), "postgresql")


class Household(Timestamped, Base):
    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(HOUSEHOLD_CODE_TYPE, unique=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhood.id"), index=True)
    members: Mapped[int] = mapped_column(Integer, default=1)
    has_elderly: Mapped[bool] = mapped_column(Boolean, default=False)
    has_minors: Mapped[bool] = mapped_column(Boolean, default=False)
    has_disability: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # When its personal data were erased (on request, or by the retention job): counts stay.
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class HouseholdContact(Timestamped, Base):
    """Personal data: readable only by the community manager and admin, never exported."""

    __tablename__ = "household_contact"

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), primary_key=True)
    full_name: Mapped[str | None] = mapped_column(String(160))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(160))


class Interview(Timestamped, Base):
    __tablename__ = "interview"
    __table_args__ = (
        Index("ix_interview_held_on", "held_on"),
        # The administrator's list of deleted interviews: the few rows, never the table.
        Index(
            "ix_interview_deleted",
            "deleted_at",
            sqlite_where=text("deleted_at IS NOT NULL"),
            postgresql_where=text("deleted_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    held_on: Mapped[dt.date] = mapped_column(Date)
    channel_code: Mapped[str] = mapped_column(ForeignKey("channel.code"))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    notes: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)


class Need(Timestamped, Base):
    __tablename__ = "need"
    __table_args__ = (
        CheckConstraint("severity IN ('low','medium','high','urgent')", name="need_severity"),
        CheckConstraint(
            "status IN ('open','in_progress','resolved','unresolved')", name="need_status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interview.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    severity: Mapped[str] = mapped_column(String(16), default="medium")
    status: Mapped[str] = mapped_column(String(16), default="open")
    notes: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Closed by the community manager without a referral (or after the referrals ended):
    # 'resolved' (risolto internamente) or 'unresolved' (non risolto, with a reason).
    closed_as: Mapped[str | None] = mapped_column(String(16))
    closed_reason: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Partner(Timestamped, Base):
    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(160))
    phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(200))
    municipality: Mapped[str | None] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_on: Mapped[dt.date | None] = mapped_column(Date)
    last_verified_on: Mapped[dt.date | None] = mapped_column(Date)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class PartnerCategory(Base):
    __tablename__ = "partner_category"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PartnerArea(Timestamped, Base):
    """Where a partner works: one neighbourhood, or a whole municipality."""

    __tablename__ = "partner_area"
    __table_args__ = (
        CheckConstraint(
            "(neighbourhood_id IS NULL) <> (municipality IS NULL)", name="partner_area_one_place"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    neighbourhood_id: Mapped[int | None] = mapped_column(ForeignKey("neighbourhood.id"))
    municipality: Mapped[str | None] = mapped_column(String(120))


class Contact(Timestamped, Base):
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    role: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(160))
    preferred_channel: Mapped[str | None] = mapped_column(String(32))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)


class Referral(Timestamped, Base):
    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint(
            "status IN ('sent','accepted','refused','closed','cancelled')", name="referral_status"
        ),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('positive','negative')", name="referral_outcome"
        ),
        # A need's referrals, and "is it already waiting at this partner?" from the index alone
        # (with only the partner's index SQLite walked every referral of the partner).
        Index("ix_referral_need_partner", "need_id", "partner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    channel_code: Mapped[str | None] = mapped_column(ForeignKey("channel.code"))
    note: Mapped[str | None] = mapped_column(Text)
    sent_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    consent_given: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_on: Mapped[dt.date | None] = mapped_column(Date)
    consent_override_note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="sent")
    outcome: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(40))
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)


class ReferralEvent(Base):
    __tablename__ = "referral_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    # The day it happened (the partner's answer may be recorded days later); `at` is when it
    # was recorded. Lead times read the days, never the moment of the save.
    happened_on: Mapped[dt.date] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Timestamped, Base):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("role IN ('direzione','operatore','admin')", name="user_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # A pending password reset: the SHA-256 of its one-time code (shown once to the admin).
    reset_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    reset_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class UserSession(Base):
    """Server-side session: only hashes of the cookie token and of the one-time login ticket."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticket_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticket_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    client: Mapped[str | None] = mapped_column(String(120))  # "Chrome su Windows"


class AuditEntry(Base):
    """Append-only: no code path updates or deletes it. Never holds the sensitive values."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        # The access log's filters, newest first: by record ("chi ha visto questo nucleo?"),
        # by user, by action.
        Index("ix_audit_entry_record", "entity", "entity_id", "id"),
        Index("ix_audit_entry_user", "user_id", "id"),
        Index("ix_audit_entry_action", "action", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    role: Mapped[str | None] = mapped_column(String(16))  # the actor's role at the time
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str | None] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(BigInteger)
    summary: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Setting(Timestamped, Base):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class DataVersion(Timestamped, Base):
    """One row, bumped in the same transaction as every write: part of every cache key."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


# --- Read model, kept current inside every write transaction (rete/readmodel.py). Derived rows:
# no created_at of their own.


class NeedFact(Base):
    """One row per live need, denormalised for the Cruscotto's distinct counts."""

    __tablename__ = "need_fact"
    __table_args__ = (
        # Covering indexes: the distinct counts of the Cruscotto read them and never the table.
        Index(
            "ix_need_fact_month_interview",
            "month",
            "interview_id",
            "household_id",
            "neighbourhood_id",
            "area_id",
            "category_id",
            "channel_code",
        ),
        Index("ix_need_fact_area_month", "area_id", "month", "household_id", "interview_id"),
        Index("ix_need_fact_interview", "interview_id"),
        # The interviews list, newest first, filtered on the same columns.
        Index(
            "ix_need_fact_held_on",
            "held_on",
            "interview_id",
            "household_id",
            "neighbourhood_id",
            "area_id",
            "channel_code",
            "status",
        ),
        # The early warnings: urgent and high-severity needs by month, place and area.
        Index(
            "ix_need_fact_severe",
            "month",
            "neighbourhood_id",
            "area_id",
            "household_id",
            sqlite_where=text("severity IN ('urgent', 'high')"),
            postgresql_where=text("severity IN ('urgent', 'high')"),
        ),
        # Distinct households of a long period: read in household order, no temporary B-tree.
        # SQLite's planner never picks it on its own (queries name it with INDEXED BY).
        Index(
            "ix_need_fact_household",
            "household_id",
            "month",
            "neighbourhood_id",
            "area_id",
            "category_id",
            "channel_code",
        ),
    )

    need_id: Mapped[int] = mapped_column(ForeignKey("need.id"), primary_key=True)
    interview_id: Mapped[int] = mapped_column(Integer)
    household_id: Mapped[int] = mapped_column(Integer)
    held_on: Mapped[dt.date] = mapped_column(Date)
    month: Mapped[int] = mapped_column(Integer)  # yyyymm of held_on
    neighbourhood_id: Mapped[int] = mapped_column(Integer)
    municipality: Mapped[str] = mapped_column(String(120))
    area_id: Mapped[int] = mapped_column(Integer)
    category_id: Mapped[int] = mapped_column(Integer)
    channel_code: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))


class NeedMonthly(Base):
    """Monthly roll-up of live needs, moved by +1/-1 on every write, never rebuilt on a save."""

    __tablename__ = "need_monthly"

    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    needs: Mapped[int] = mapped_column(Integer, default=0)


class ReferralFact(Base):
    """One row per referral of a live interview, with the filters' columns beside it."""

    __tablename__ = "referral_fact"
    __table_args__ = (
        # Covering: the referral KPIs and the outcomes by partner read only this index.
        Index(
            "ix_referral_fact_month_partner",
            "sent_month",
            "partner_id",
            "status",
            "outcome",
            "due_on",
            "days_to_accept",
            "accepted_on",
            "neighbourhood_id",
            "area_id",
            "category_id",
            "channel_code",
        ),
        Index("ix_referral_fact_need", "need_id"),
        # "Da seguire": the referrals still open (sent or taken in charge), by due date.
        Index(
            "ix_referral_fact_open",
            "due_on",
            "status",
            "referral_id",
            "partner_id",
            "neighbourhood_id",
            "area_id",
            sqlite_where=text("status IN ('sent', 'accepted')"),
            postgresql_where=text("status IN ('sent', 'accepted')"),
        ),
        # The referral proposal: how each partner answered this specific need before.
        Index(
            "ix_referral_fact_category_partner",
            "category_id",
            "partner_id",
            "status",
            "days_to_accept",
        ),
        # "In ritardo": the few referrals still waiting, by due date. Partial, so that no
        # other query on status is drawn to it; a query must say status = 'sent' as a literal.
        Index(
            "ix_referral_fact_waiting",
            "due_on",
            "sent_month",
            "partner_id",
            "neighbourhood_id",
            "area_id",
            "category_id",
            "channel_code",
            sqlite_where=text("status = 'sent'"),
            postgresql_where=text("status = 'sent'"),
        ),
    )

    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), primary_key=True)
    need_id: Mapped[int] = mapped_column(Integer)
    partner_id: Mapped[int] = mapped_column(Integer)
    sent_on: Mapped[dt.date] = mapped_column(Date)
    sent_month: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[dt.date] = mapped_column(Date)
    neighbourhood_id: Mapped[int] = mapped_column(Integer)
    municipality: Mapped[str] = mapped_column(String(120))
    area_id: Mapped[int] = mapped_column(Integer)
    category_id: Mapped[int] = mapped_column(Integer)
    channel_code: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    days_to_accept: Mapped[int | None] = mapped_column(Integer)


class ReferralMonthly(Base):
    """Referrals per sent month x neighbourhood x specific need x channel x partner, one count
    per outcome in columns; moved by +1/-1 like need_monthly. A status change moves a referral
    from one column to another."""

    __tablename__ = "referral_monthly"
    __table_args__ = ({"sqlite_with_rowid": False},)  # the primary key is the table: range scans

    sent_month: Mapped[int] = mapped_column(Integer, primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)  # now accepted or closed
    positive: Mapped[int] = mapped_column(Integer, default=0)  # closed, positive outcome
    negative: Mapped[int] = mapped_column(Integer, default=0)  # closed, negative outcome
    refused: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)


class ReferralDays(Base):
    """How many referrals taken in charge took each number of days, per sent month x
    neighbourhood x specific need x channel: the histogram the median is read from.

    Days first in the key: the histogram's GROUP BY then follows the key, with no sorting."""

    __tablename__ = "referral_days"
    __table_args__ = ({"sqlite_with_rowid": False},)

    days_to_accept: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_month: Mapped[int] = mapped_column(Integer, primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    referrals: Mapped[int] = mapped_column(Integer, default=0)
