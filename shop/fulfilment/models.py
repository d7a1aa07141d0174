from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import Base, TimestampMixin, UTCDateTime, utcnow
from shop.orders.models import Order, OrderLine


class Shipment(TimestampMixin, Base):
    """Goods of one order leaving together; statuses are in fulfilment.status."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    shipping_service_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shipping_services.id"))
    service_name: Mapped[str] = mapped_column(sa.String(120))
    tracking_number: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cost_of_goods: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # at cost, when shipped
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    order: Mapped[Order] = relationship()
    lines: Mapped[list["ShipmentLine"]] = relationship(
        back_populates="shipment", order_by="ShipmentLine.id", cascade="all, delete-orphan"
    )
    parcels: Mapped[list["Parcel"]] = relationship(
        back_populates="shipment", order_by="Parcel.id", cascade="all, delete-orphan"
    )


class ShipmentLine(Base):
    __tablename__ = "shipment_lines"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(sa.ForeignKey("shipments.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_lines.id"), index=True)
    quantity: Mapped[int] = mapped_column()
    # What the units cost when they left, at moving average cost: `cost` is exactly what was
    # credited to inventory; unit_cost is cost / quantity, rounded (shop.inventory.valuation).
    unit_cost: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    cost: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")

    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()


class Parcel(Base):
    """A box as it leaves: which box, its size and what it weighs on the scale."""

    __tablename__ = "parcels"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(sa.ForeignKey("shipments.id"), index=True)
    box_id: Mapped[int | None] = mapped_column(sa.ForeignKey("boxes.id"))
    box_name: Mapped[str] = mapped_column(sa.String(60))
    length_mm: Mapped[int] = mapped_column()
    width_mm: Mapped[int] = mapped_column()
    height_mm: Mapped[int] = mapped_column()
    weight_g: Mapped[int] = mapped_column()

    shipment: Mapped[Shipment] = relationship(back_populates="parcels")


class DocumentBatch(Base):
    """Packing slips or labels of many shipments in one PDF, made by a job (too long for a
    request) and downloaded by whoever asked, or staff of the same role, by its token."""

    __tablename__ = "document_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)  # random: the link's key
    kind: Mapped[str] = mapped_column(sa.String(20))  # packing_slips or labels
    shipment_numbers: Mapped[str] = mapped_column(sa.Text)  # one a line, in the order chosen
    count: Mapped[int] = mapped_column(sa.Integer)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(20))  # the asker's role when asked
    status: Mapped[str] = mapped_column(sa.String(12))  # preparing, ready, failed
    size: Mapped[int | None] = mapped_column(sa.Integer)  # bytes of the PDF when ready
    error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DocumentBatchFile(Base):
    """A prepared batch's PDF (shop.fulfilment.batch_files), apart from the batch so that
    listing batches never reads the files."""

    __tablename__ = "document_batch_files"

    token: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
