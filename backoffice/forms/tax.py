"""Forms of tax: classes and their rates."""

import sqlalchemy as sa
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from backoffice.forms import BackofficeForm, country_field, name_field, province_field
from shop.extensions import db
from shop.forms.fields import IdSelectField, PercentField, Required
from shop.tax.models import TaxClass
from shop.tax.services import COMPONENTS


class TaxClassForm(BackofficeForm):
    name = name_field(80)


class TaxRateForm(BackofficeForm):
    country = country_field()
    province = province_field()
    tax_class_id = IdSelectField("Tax class", message="Choose a tax class from the list.")
    component = SelectField(
        "Component",
        choices=[SelectChoice(c, c) for c in COMPONENTS],
        invalid_choice_message="Choose a tax component from the list.",
    )
    rate = PercentField("Rate (%)", validators=[Required("Enter the rate, like 9.975.")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tax_classes = db.session.scalars(sa.select(TaxClass).order_by(TaxClass.name))
        self.tax_class_id.choices = [SelectChoice(t.id, t.name) for t in tax_classes]

    def data_for_service(self) -> dict:
        return {
            "country": self.country.data,
            "province": self.province.data,
            "tax_class_id": self.tax_class_id.data,
            "component": self.component.data,
            "rate": self.rate.data,
        }
