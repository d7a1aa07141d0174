"""Forms of shipping: carriers, services, zones and their rate tables, boxes."""

from wtforms import BooleanField, StringField

from backoffice.forms import (
    MAX_GRAMS,
    MAX_MM,
    BackofficeForm,
    country_field,
    name_field,
    province_field,
)
from shop.forms.fields import MoneyField, Required, WholeNumberField, at_most, between, upper_code

MAX_DIM_DIVISOR = 1_000_000
MAX_TRANSIT_DAYS = 90


class CarrierForm(BackofficeForm):
    name = name_field(80)
    dim_divisor = WholeNumberField(
        "Dimensional-weight divisor (cm\u00b3 per kg)",
        validators=[Required("Enter the divisor, like 6000."), between(1, MAX_DIM_DIVISOR)],
    )


class ShippingServiceForm(BackofficeForm):
    name = name_field(80)
    transit_days = WholeNumberField(
        "Transit (business days)",
        validators=[Required("Enter the days in transit."), between(0, MAX_TRANSIT_DAYS)],
    )
    position = WholeNumberField("Position in the list", default=0, validators=[between(0, 10_000)])
    is_active = BooleanField("Offered at checkout", default=True)
    free_over = MoneyField("Free when the goods come to at least ($; empty: never free)")

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data,
            "transit_days": self.transit_days.data,
            "position": self.position.data or 0,
            "is_active": self.is_active.data,
            "free_over": None if self.free_over.data is None else self.free_over.minor_units(),
        }


class ZoneForm(BackofficeForm):
    name = name_field(80)


class RegionForm(BackofficeForm):
    country = country_field()
    province = province_field()
    postal_prefix = StringField(
        "Postal codes starting with (empty: the whole province)",
        filters=[upper_code],
        validators=[at_most(6)],
    )


class BandForm(BackofficeForm):
    """A weight band of a zone's rate table; band_form() adds a price field per service."""

    max_weight_g = WholeNumberField(
        "Parcels up to (g)",
        validators=[Required("Enter the heaviest parcel, in grams."), between(1, MAX_GRAMS)],
    )

    def prices(self) -> dict[int, int | None]:
        """Price in cents per service id; None where the service does not carry this band."""
        return {
            int(field.name.removeprefix("price_")): (
                None if field.data is None else field.minor_units()
            )
            for field in self
            if field.name.startswith("price_")
        }


def band_form(services, **kwargs) -> BandForm:
    """A band form with one price per shipping service (empty: not carried at this weight)."""

    class ServiceBandForm(BandForm):
        """The band form with a price field per shipping service, added below."""

    for service in services:
        setattr(ServiceBandForm, f"price_{service.id}", MoneyField(f"{service.full_name} ($)"))
    return ServiceBandForm(**kwargs)


class BoxForm(BackofficeForm):
    name = name_field(60)
    length_mm = WholeNumberField(
        "Inner length (mm)", validators=[Required("Enter the length."), between(1, MAX_MM)]
    )
    width_mm = WholeNumberField(
        "Inner width (mm)", validators=[Required("Enter the width."), between(1, MAX_MM)]
    )
    height_mm = WholeNumberField(
        "Inner height (mm)", validators=[Required("Enter the height."), between(1, MAX_MM)]
    )
    weight_g = WholeNumberField(
        "Weight of the empty box (g)",
        validators=[Required("Enter the box's own weight."), between(0, MAX_GRAMS)],
    )
    max_weight_g = WholeNumberField(
        "Most it may weigh packed (g)",
        validators=[Required("Enter the most the box may weigh."), between(1, MAX_GRAMS)],
    )
    is_active = BooleanField("Used for packing", default=True)
