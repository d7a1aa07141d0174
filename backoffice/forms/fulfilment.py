"""Forms of shipments: the list's filter, packing into parcels, confirming."""

from wtforms import BooleanField, FieldList, Form, FormField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from backoffice.forms import MAX_GRAMS, MAX_STOCK, BackofficeForm, status_filter_form
from shop.forms.fields import (
    HiddenIdField,
    IdSelectField,
    Required,
    WholeNumberField,
    at_most,
    between,
    stripped,
)
from shop.fulfilment import status as shipment_status
from shop.fulfilment.services import ParcelEntry

ShipmentFilterForm = status_filter_form(shipment_status.LABELS)


class ShipmentLineForm(Form):
    line_id = HiddenIdField()
    quantity = WholeNumberField(
        "Units in this shipment",
        validators=[Required("Enter how many units go, 0 or more."), between(0, MAX_STOCK)],
    )


class ParcelForm(Form):
    parcel_id = HiddenIdField()
    box = IdSelectField("Box")
    weight_g = WholeNumberField("Weight (g)", validators=[Optional(), between(1, MAX_GRAMS)])
    remove = BooleanField("Remove this parcel")


class PackingForm(BackofficeForm):
    """What goes in the shipment and in which boxes; the last parcel row adds one."""

    lines = FieldList(FormField(ShipmentLineForm))
    parcels = FieldList(FormField(ParcelForm))

    def quantities(self) -> dict[int, int]:
        return {e.line_id.data: e.quantity.data for e in self.lines if e.line_id.data is not None}

    def parcel_entries(self) -> list[ParcelEntry]:
        return [
            ParcelEntry(
                parcel_id=e.parcel_id.data,
                box_id=e.box.data,
                weight_g=e.weight_g.data,
                remove=bool(e.remove.data),
            )
            for e in self.parcels
        ]


def packing_form(shipment, boxes) -> PackingForm:
    """The packing form of a shipment: its lines, its parcels and an empty row for another."""
    data = {
        "lines": [{"line_id": line.id, "quantity": line.quantity} for line in shipment.lines],
        "parcels": [
            {"parcel_id": p.id, "box": p.box_id, "weight_g": p.weight_g} for p in shipment.parcels
        ]
        + [{"parcel_id": None, "box": None, "weight_g": None}],
    }
    form = PackingForm(data=data)  # a submitted form keeps what was typed
    choices = [SelectChoice("", "Own packaging / none")] + [
        SelectChoice(b.id, f"{b.name} ({b.length_mm}\u00d7{b.width_mm}\u00d7{b.height_mm} mm)")
        for b in boxes
    ]
    known = {b.id for b in boxes}
    choices += [
        SelectChoice(p.box_id, f"{p.box_name} (no longer used)")
        for p in shipment.parcels
        if p.box_id is not None and p.box_id not in known
    ]
    for entry in form.parcels:
        entry.box.choices = choices
    return form


class ConfirmShipmentForm(BackofficeForm):
    tracking_number = StringField("Tracking number", filters=[stripped], validators=[at_most(40)])
