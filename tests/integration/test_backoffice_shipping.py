"""The owner edits carriers, services, zones, rate tables and boxes; checkout quotes from them."""

import re

import pytest
import sqlalchemy as sa

from shop.accounts import roles
from shop.extensions import db
from shop.shipping.models import (
    Box,
    Carrier,
    ShippingRate,
    ShippingService,
    ShippingZone,
    ZoneRegion,
)
from tests.conftest import log_in
from tests.factories import ProductFactory, VariantFactory
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of
from tests.integration.checkout_helpers import fill_address, seed_reference_data

OTTAWA = {"city": "Ottawa", "province": "ON", "postal_code": "K1A 0B1"}


@pytest.fixture
def mug(app):
    """A small, light item: $25, 400 g, 300 x 200 x 50 mm."""
    classes = seed_reference_data()
    return VariantFactory(
        product=ProductFactory(name="Enamel Mug"), sku="MUG-1", price=2500,
        tax_class=classes["standard"], stock=20,
    )  # fmt: skip


@pytest.fixture
def owner(app, client, staff):
    log_in(client, staff[roles.OWNER].email)
    return client


def service(code: str) -> ShippingService:
    return db.session.scalar(sa.select(ShippingService).where(ShippingService.code == code))


def zone(code: str) -> ShippingZone:
    return db.session.scalar(sa.select(ShippingZone).where(ShippingZone.code == code))


def quoted(app, variant, **address) -> dict[int, str]:
    """What the delivery page asks for each service (by id), shipping all together."""
    customer = app.test_client()
    customer.post("/cart/add", data={"variant_id": str(variant.id), "quantity": "1"})
    page = fill_address(customer, **address).get_data(as_text=True)
    table = re.search(r'<table class="rates[^"]*">(.*?)</table>', page, re.S).group(1)
    prices = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody>") :], re.S):
        service_id = int(re.search(r'name="service" value="(\d+)"', row).group(1))
        cell = re.search(r'data-policy="ship_complete"[^>]*>(.*?)(<div|</td>)', row, re.S).group(1)
        prices[service_id] = cell.strip()
    return prices


def rates(zone_id: int) -> list[tuple[int, int, int]]:
    return [
        tuple(r)
        for r in db.session.execute(
            sa.select(ShippingRate.service_id, ShippingRate.max_weight_g, ShippingRate.price)
            .where(ShippingRate.zone_id == zone_id)
            .order_by(ShippingRate.service_id, ShippingRate.max_weight_g)
        )
    ]


def band_data(zone_id: int, max_weight_g: int, **prices) -> dict:
    """The band form as the page fills it, with some prices changed (price_<service id>)."""
    data = {"max_weight_g": str(max_weight_g)}
    for service_id, _, price in (r for r in rates(zone_id) if r[1] == max_weight_g):
        data[f"price_{service_id}"] = f"{price / 100:.2f}"
    for name in db.session.scalars(sa.select(ShippingService.id)):
        data.setdefault(f"price_{name}", "")
    data.update(prices)
    return data


def regular_band(zone_code: str, price_text: str) -> int:
    """The weight band of a zone whose Regular Parcel price is the one quoted."""
    cents = int(price_text.replace("$", "").replace(".", ""))
    regular = service("regular")
    [weight] = [w for s, w, p in rates(zone(zone_code).id) if s == regular.id and p == cents]
    return weight


# --- rate tables -----------------------------------------------------------------


def test_editing_a_rate_changes_the_price_quoted_at_checkout(app, owner, mug):
    regular, gta = service("regular"), zone("gta")
    before = quoted(app, mug)[regular.id]
    weight = regular_band("gta", before)
    page = text_of(owner.get(f"/admin/shipping/zones/{gta.id}/bands/{weight}"))
    assert f'name="price_{regular.id}" type="text" value="{before[1:]}"' in page
    response = owner.post(
        f"/admin/shipping/zones/{gta.id}/bands/{weight}",
        data=band_data(gta.id, weight, **{f"price_{regular.id}": "12.34"}),
        follow_redirects=True,
    )
    page = text_of(response)
    assert f"Prices of parcels up to {weight:,} g in \u201cGreater Toronto\u201d saved." in flashes(
        page
    )
    assert "$12.34" in page
    assert quoted(app, mug)[regular.id] == "$12.34"
    assert (regular.id, weight, 1234) in rates(gta.id)


@pytest.mark.parametrize(
    "price,message",
    [
        ("abc", "Enter an amount in dollars and cents, like 24.99."),
        ("-1", "Enter an amount in dollars and cents, like 24.99."),
        ("1.999", "Enter an amount in dollars and cents, like 24.99."),
    ],
)
def test_a_bad_price_is_refused_beside_its_field_and_nothing_changes(owner, mug, price, message):
    regular, gta = service("regular"), zone("gta")
    before = rates(gta.id)
    response = owner.post(
        f"/admin/shipping/zones/{gta.id}/bands/500",
        data=band_data(gta.id, 500, **{f"price_{regular.id}": price}),
    )
    assert response.status_code == 422
    assert errors_beside(text_of(response), f"price_{regular.id}") == [message]
    assert rates(gta.id) == before


def test_bands_are_added_moved_and_deleted(app, owner, mug):
    gta, regular, priority = zone("gta"), service("regular"), service("priority")
    before = rates(gta.id)
    response = owner.post(
        f"/admin/shipping/zones/{gta.id}/bands/new",
        data=band_data(gta.id, 45000, **{f"price_{regular.id}": "80", f"price_{priority.id}": ""}),
    )
    assert response.status_code == 302
    assert (regular.id, 45000, 8000) in rates(gta.id)
    assert [r for r in rates(gta.id) if r[1] == 45000] == [(regular.id, 45000, 8000)]

    # The same weight again is refused beside the weight.
    response = owner.post(
        f"/admin/shipping/zones/{gta.id}/bands/new",
        data=band_data(gta.id, 45000, **{f"price_{regular.id}": "90"}),
    )
    assert response.status_code == 422
    assert errors_beside(text_of(response), "max_weight_g") == [
        "This zone already has a band up to 45,000 g; edit that one instead."
    ]
    # A band with no price at all is refused.
    response = owner.post(
        f"/admin/shipping/zones/{gta.id}/bands/new", data=band_data(gta.id, 46000)
    )
    assert response.status_code == 422
    assert "Enter a price for at least one service." in flashes(text_of(response))

    # Moving the band to a new weight limit keeps its prices.
    owner.post(
        f"/admin/shipping/zones/{gta.id}/bands/45000",
        data={**band_data(gta.id, 45000), "max_weight_g": "40000"},
    )
    assert [r for r in rates(gta.id) if r[1] in (40000, 45000)] == [(regular.id, 40000, 8000)]

    response = owner.post(f"/admin/shipping/zones/{gta.id}/bands/40000/delete")
    assert "Band up to 40,000 g removed from \u201cGreater Toronto\u201d." in flashes(
        text_of(owner.get(response.headers["Location"]))
    )
    assert rates(gta.id) == before
    assert owner.get(f"/admin/shipping/zones/{gta.id}/bands/40000").status_code == 404


def test_deleting_a_band_leaves_heavier_parcels_to_the_next_band(app, owner, mug):
    regular, gta = service("regular"), zone("gta")
    weight = regular_band("gta", quoted(app, mug)[regular.id])
    heavier = min(w for s, w, _ in rates(gta.id) if s == regular.id and w > weight)
    next_price = next(p for s, w, p in rates(gta.id) if s == regular.id and w == heavier)
    owner.post(f"/admin/shipping/zones/{gta.id}/bands/{weight}/delete")
    assert quoted(app, mug)[regular.id] == f"${next_price / 100:.2f}"


# --- services and carriers --------------------------------------------------------


def service_data(s: ShippingService, **changes) -> dict:
    data = {
        "name": s.name,
        "transit_days": str(s.transit_days),
        "position": str(s.position),
        "is_active": "y" if s.is_active else "",
        "free_over": "" if s.free_over is None else f"{s.free_over / 100:.2f}",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if not (k == "is_active" and not v)}


def test_a_free_shipping_threshold_makes_regular_parcel_free(app, owner, mug):
    regular = service("regular")
    assert regular.free_over == 15000 and quoted(app, mug)[regular.id] != "Free"
    response = owner.post(
        f"/admin/shipping/services/{regular.id}", data=service_data(regular, free_over="25.00")
    )
    assert response.status_code == 302
    db.session.refresh(regular)
    assert regular.free_over == 2500
    assert quoted(app, mug)[regular.id] == "Free"
    page = text_of(owner.get("/admin/shipping"))
    assert "On goods of $25.00 or more" in page

    owner.post(f"/admin/shipping/services/{regular.id}", data=service_data(regular, free_over=""))
    db.session.refresh(regular)
    assert regular.free_over is None
    assert quoted(app, mug)[regular.id].startswith("$")


def test_a_service_taken_off_and_renamed(app, owner, mug):
    priority, regular = service("priority"), service("regular")
    owner.post(
        f"/admin/shipping/services/{priority.id}",
        data=service_data(priority, is_active="", name="Priority Next Day"),
    )
    db.session.refresh(priority)
    assert priority.name == "Priority Next Day" and not priority.is_active
    assert priority.id not in quoted(app, mug)
    owner.post(
        f"/admin/shipping/services/{priority.id}", data=service_data(priority, is_active="y")
    )
    page = text_of(fill_address_page(app, mug))
    assert "Canada Post Priority Next Day" in page
    assert regular.id in quoted(app, mug)


def fill_address_page(app, variant):
    customer = app.test_client()
    customer.post("/cart/add", data={"variant_id": str(variant.id), "quantity": "1"})
    return fill_address(customer)


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("transit_days", "abc", "Enter a whole number, like 5."),
        ("transit_days", "-1", "Enter a whole number from 0 to 90."),
        ("free_over", "-1", "Enter an amount in dollars and cents, like 24.99."),
        ("free_over", "abc", "Enter an amount in dollars and cents, like 24.99."),
        ("name", "", "Enter a name."),
    ],
)
def test_bad_service_input_is_refused_and_nothing_changes(owner, mug, field, value, message):
    regular = service("regular")
    response = owner.post(
        f"/admin/shipping/services/{regular.id}", data=service_data(regular, **{field: value})
    )
    assert response.status_code == 422
    assert errors_beside(text_of(response), field) == [message]
    db.session.refresh(regular)
    assert (regular.name, regular.transit_days, regular.free_over) == ("Regular Parcel", 7, 15000)


def test_the_dimensional_weight_divisor_changes_the_billable_weight(app, owner, mug):
    regular = service("regular")
    carrier = db.session.scalar(sa.select(Carrier))
    before = quoted(app, mug)[regular.id]
    response = owner.post(
        f"/admin/shipping/carriers/{carrier.id}",
        data={"name": "Canada Post", "dim_divisor": "1000"},
    )
    assert response.status_code == 302
    db.session.refresh(carrier)
    assert carrier.dim_divisor == 1000
    after = quoted(app, mug)[regular.id]
    assert float(after[1:]) > float(before[1:])  # the same box now bills six times heavier

    response = owner.post(
        f"/admin/shipping/carriers/{carrier.id}", data={"name": "Canada Post", "dim_divisor": "0"}
    )
    assert response.status_code == 422
    assert errors_beside(text_of(response), "dim_divisor") == [
        "Enter a whole number from 1 to 1,000,000."
    ]
    db.session.refresh(carrier)
    assert carrier.dim_divisor == 1000


# --- zones and their destinations ---------------------------------------------------


def test_a_new_zone_with_a_postal_prefix_is_quoted(app, owner, mug):
    regular, expedited = service("regular"), service("expedited")
    rest_of_ontario = quoted(app, mug, **OTTAWA)
    assert rest_of_ontario[regular.id] != "$5.55"

    response = owner.post("/admin/shipping/zones/new", data={"name": "Ottawa"})
    ottawa = db.session.scalar(sa.select(ShippingZone).where(ShippingZone.name == "Ottawa"))
    assert response.headers["Location"] == f"/admin/shipping/zones/{ottawa.id}"
    response = owner.post(
        f"/admin/shipping/zones/{ottawa.id}/regions",
        data={"country": "ca", "province": "on", "postal_prefix": "k1a"},
        follow_redirects=True,
    )
    assert "ON (postal codes starting K1A) now ships as \u201cOttawa\u201d." in flashes(
        text_of(response)
    )
    [region] = db.session.scalars(sa.select(ZoneRegion).where(ZoneRegion.zone_id == ottawa.id))
    assert (region.country, region.province, region.postal_prefix) == ("CA", "ON", "K1A")
    # No rates yet: nothing is offered there.
    page = fill_address(_cart_client(app, mug), **OTTAWA).get_data(as_text=True)
    assert "We do not ship to that address yet." in page

    owner.post(
        f"/admin/shipping/zones/{ottawa.id}/bands/new",
        data=band_data(ottawa.id, 30000, **{f"price_{regular.id}": "5.55"}),
    )
    ottawa_quotes = quoted(app, mug, **OTTAWA)
    assert ottawa_quotes == {regular.id: "$5.55"}
    assert expedited.id not in ottawa_quotes
    # Elsewhere in Ontario nothing changed.
    assert quoted(app, mug, city="Kingston", province="ON", postal_code="K7L 3N6") == (
        rest_of_ontario
    )

    region_id = region.id
    owner.post(f"/admin/shipping/zones/{ottawa.id}/regions/{region_id}/delete")
    assert db.session.get(ZoneRegion, region_id) is None
    assert quoted(app, mug, **OTTAWA) == rest_of_ontario


def _cart_client(app, variant):
    customer = app.test_client()
    customer.post("/cart/add", data={"variant_id": str(variant.id), "quantity": "1"})
    return customer


@pytest.mark.parametrize(
    "data,field,message",
    [
        (
            {"province": "ON", "postal_prefix": "M"},
            "postal_prefix",
            "ON M (CA) is already in the zone \u201cGreater Toronto\u201d; remove it there first.",
        ),
        (
            {"province": "ON", "postal_prefix": ""},
            "province",
            "All of ON (CA) is already in the zone \u201cRest of Ontario\u201d; "
            "remove it there first.",
        ),
        (
            {"province": "ON", "postal_prefix": "K1-A"},
            "postal_prefix",
            "Enter the start of a postal code: up to 6 letters and digits, like K1A.",
        ),
        ({"province": "", "postal_prefix": "K1A"}, "province", "Enter a province code, like ON."),
        ({"country": "CAN", "province": "ON"}, "country", "Use at most 2 characters."),
    ],
)
def test_a_duplicate_or_bad_region_is_refused_beside_its_field(owner, mug, data, field, message):
    quebec = zone("quebec")
    count = db.session.scalar(sa.select(sa.func.count(ZoneRegion.id)))
    response = owner.post(
        f"/admin/shipping/zones/{quebec.id}/regions", data={"country": "CA", **data}
    )
    assert response.status_code == 422
    assert errors_beside(text_of(response), field) == [message]
    assert db.session.scalar(sa.select(sa.func.count(ZoneRegion.id))) == count


def test_a_region_of_another_zone_is_not_removed(owner, mug):
    gta, quebec = zone("gta"), zone("quebec")
    region = gta.regions[0]
    assert (
        owner.post(f"/admin/shipping/zones/{quebec.id}/regions/{region.id}/delete").status_code
        == 404
    )
    assert db.session.get(ZoneRegion, region.id) is not None


def test_a_zone_is_renamed_and_needs_a_name(owner, mug):
    gta = zone("gta")
    owner.post(f"/admin/shipping/zones/{gta.id}/edit", data={"name": "Toronto area"})
    db.session.refresh(gta)
    assert gta.name == "Toronto area" and gta.code == "gta"
    response = owner.post(f"/admin/shipping/zones/{gta.id}/edit", data={"name": "  "})
    assert response.status_code == 422
    assert errors_beside(text_of(response), "name") == ["Enter a name."]


# --- boxes -----------------------------------------------------------------------

MUG_BOX = {
    "name": "Mug box",
    "length_mm": "320",
    "width_mm": "210",
    "height_mm": "60",
    "weight_g": "30",
    "max_weight_g": "2000",
    "is_active": "y",
}


def test_a_new_box_packs_tighter_and_lowers_the_quote_until_it_is_retired(app, owner, mug):
    regular = service("regular")
    before = quoted(app, mug)[regular.id]
    response = owner.post("/admin/shipping/boxes/new", data=MUG_BOX, follow_redirects=True)
    page = text_of(response)
    assert "Box \u201cMug box\u201d saved." in flashes(page)
    assert "320 \u00d7 210 \u00d7 60" in page
    box = db.session.scalar(sa.select(Box).where(Box.name == "Mug box"))
    assert (box.length_mm, box.width_mm, box.height_mm, box.weight_g, box.max_weight_g) == (
        320, 210, 60, 30, 2000,
    )  # fmt: skip
    # 320 x 210 x 60 mm bills 672 g (the 1 kg band) instead of the medium box's 2,188 g.
    one_kg = next(p for s, w, p in rates(zone("gta").id) if s == regular.id and w == 1000)
    assert quoted(app, mug)[regular.id] == f"${one_kg / 100:.2f}" != before

    owner.post(f"/admin/shipping/boxes/{box.id}", data={**MUG_BOX, "is_active": ""})
    db.session.refresh(box)
    assert not box.is_active
    assert quoted(app, mug)[regular.id] == before


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"name": "Small box"}, "name", "There is already a box with this name."),
        ({"name": "small BOX"}, "name", "There is already a box with this name."),
        ({"length_mm": "0"}, "length_mm", "Enter a whole number from 1 to 100,000."),
        ({"height_mm": "abc"}, "height_mm", "Enter a whole number, like 5."),
        ({"weight_g": ""}, "weight_g", "Enter the box's own weight."),
        (
            {"max_weight_g": "30"},
            "max_weight_g",
            "The most a box may weigh must be more than the empty box.",
        ),
    ],
)
def test_bad_box_input_is_refused_and_nothing_changes(owner, mug, changes, field, message):
    count = db.session.scalar(sa.select(sa.func.count(Box.id)))
    response = owner.post("/admin/shipping/boxes/new", data={**MUG_BOX, **changes})
    assert response.status_code == 422
    assert errors_beside(text_of(response), field) == [message]
    assert db.session.scalar(sa.select(sa.func.count(Box.id))) == count


def test_a_box_is_edited(owner, mug):
    box = db.session.scalar(sa.select(Box).where(Box.name == "Small box"))
    page = text_of(owner.get(f"/admin/shipping/boxes/{box.id}"))
    assert 'value="Small box"' in page and 'value="250"' in page
    owner.post(
        f"/admin/shipping/boxes/{box.id}",
        data={**MUG_BOX, "name": "Small box", "length_mm": "260", "weight_g": "160"},
    )
    db.session.refresh(box)
    assert (box.name, box.length_mm, box.weight_g, box.is_active) == ("Small box", 260, 160, True)


def test_the_shipping_page_lists_everything(owner, mug):
    page = text_of(owner.get("/admin/shipping"))
    expected = [
        "Canada Post",
        "6,000 cm\u00b3/kg",
        "Regular Parcel",
        "On goods of $150.00 or more",
        "Greater Toronto",
        "ON M\u2026",
        "Medium box",
        "350 \u00d7 250 \u00d7 150",
    ]
    for text in expected:
        assert text in page, text
    gta = zone("gta")
    page = text_of(owner.get(f"/admin/shipping/zones/{gta.id}"))
    assert "500 g" in page and "30,000 g" in page
