"""The form of a discount code."""

from datetime import timedelta

import sqlalchemy as sa
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Optional

from backoffice.forms import BackofficeForm, category_choices
from shop.catalogue.models import Product
from shop.clock import local_midnight, store_date
from shop.discounts.models import KINDS, PERCENT
from shop.discounts.services import DiscountForm as Entered
from shop.extensions import db
from shop.forms.fields import (
    DayField,
    MoneyField,
    PercentField,
    WholeNumberField,
    at_most,
    stripped,
    upper_code,
)


def _ids(values) -> list[int]:
    return [int(v) for v in values or [] if str(v).isdigit()]


class DiscountCodeForm(BackofficeForm):
    code = StringField(
        "Code (what customers type)",
        filters=[upper_code],
        validators=[DataRequired("Enter a code, like SPRING10."), at_most(40)],
    )
    description = StringField("Note (for staff)", filters=[stripped], validators=[at_most(200)])
    kind = SelectField("Gives", choices=list(KINDS.items()), default=PERCENT)
    percent = PercentField("Percentage off the goods (for a percentage)")
    amount = MoneyField("Amount off the goods (for an amount)")
    min_subtotal = MoneyField("Only when the goods come to at least (empty: any)")
    starts_on = DayField("First day (empty: from now)", validators=[Optional()])
    ends_on = DayField("Last day (empty: no end)", validators=[Optional()])
    max_uses = WholeNumberField("Uses in all (empty: no limit)", validators=[Optional()])
    max_uses_per_customer = WholeNumberField(
        "Uses per customer, by email (empty: no limit)", validators=[Optional()]
    )
    product_ids = SelectMultipleField("Only these products (none chosen: everything)", coerce=str)
    category_ids = SelectMultipleField("Or these categories, with those below them", coerce=str)
    is_active = BooleanField("Active (customers can use it)", default=True)

    # The service names the moments it keeps; their messages go beside the days typed.
    service_fields = {"starts_at": "starts_on", "ends_at": "ends_on"}

    def __init__(self, *args, discount=None, **kwargs):
        super().__init__(*args, obj=discount, **kwargs)
        products = db.session.execute(
            sa.select(Product.id, Product.name).order_by(Product.name)
        ).all()
        self.product_ids.choices = [(str(pid), name) for pid, name in products]
        self.category_ids.choices = [(str(c.value), c.label) for c in category_choices()]
        if discount is not None and not self.is_submitted():
            self._show(discount)

    def _show(self, discount) -> None:
        self.percent.data = discount.percent / 100 if discount.percent is not None else None
        self.amount.process_data(discount.amount)
        self.min_subtotal.process_data(discount.min_subtotal or None)
        self.starts_on.data = store_date(discount.starts_at) if discount.starts_at else None
        self.ends_on.data = discount.last_day
        self.product_ids.data = [str(p.id) for p in discount.products]
        self.category_ids.data = [str(c.id) for c in discount.categories]

    def entered(self) -> Entered:
        """What the owner typed, as the service takes it: the last day is whole (the code
        ends at the store's midnight after it)."""
        ends = self.ends_on.data
        return Entered(
            code=self.code.data,
            description=self.description.data or "",
            kind=self.kind.data,
            percent=self.percent.data * 100 if self.percent.data is not None else None,
            amount=self.amount.minor_units() or None,
            min_subtotal=self.min_subtotal.minor_units(),
            starts_at=local_midnight(self.starts_on.data) if self.starts_on.data else None,
            ends_at=local_midnight(ends + timedelta(days=1)) if ends else None,
            max_uses=self.max_uses.data,
            max_uses_per_customer=self.max_uses_per_customer.data,
            is_active=self.is_active.data,
            product_ids=_ids(self.product_ids.data),
            category_ids=_ids(self.category_ids.data),
        )
