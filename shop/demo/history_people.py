"""The history's customers: registered ones and guests, made as they first order, and
the returning ones.
"""

import bisect
import itertools
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from shop.accounts import roles
from shop.accounts.models import Address, User
from shop.demo.history_plan import ACCOUNTS_USED, RETURNING_SHARE, next_id
from shop.extensions import db

# province, weight, [(city, postal prefixes)], phone area code
PROVINCES = [
    ("ON", 38.0, [("Toronto", "M4 M5 M6"), ("Mississauga", "L5"), ("Brampton", "L6"),
                  ("Hamilton", "L8"), ("Ottawa", "K1 K2"), ("London", "N6"),
                  ("Kitchener", "N2"), ("Kingston", "K7"), ("Barrie", "L4"),
                  ("Sudbury", "P3"), ("Thunder Bay", "P7"), ("Peterborough", "K9")], "416"),
    ("QC", 18.0, [("Montréal", "H2 H3 H4"), ("Québec", "G1"), ("Laval", "H7"),
                  ("Gatineau", "J8"), ("Sherbrooke", "J1")], "514"),
    ("BC", 14.0, [("Vancouver", "V5 V6"), ("Victoria", "V8"), ("Surrey", "V3"),
                  ("Kelowna", "V1"), ("Burnaby", "V5")], "604"),
    ("AB", 12.5, [("Calgary", "T2 T3"), ("Edmonton", "T5 T6"), ("Red Deer", "T4"),
                  ("Lethbridge", "T1"), ("Canmore", "T1")], "403"),
    ("MB", 3.5, [("Winnipeg", "R2 R3"), ("Brandon", "R7")], "204"),
    ("SK", 3.0, [("Saskatoon", "S7"), ("Regina", "S4")], "306"),
    ("NS", 3.2, [("Halifax", "B3"), ("Sydney", "B1")], "902"),
    ("NB", 2.3, [("Moncton", "E1"), ("Fredericton", "E3"), ("Saint John", "E2")], "506"),
    ("NL", 1.4, [("St. John's", "A1")], "709"),
    ("PE", 0.5, [("Charlottetown", "C1")], "902"),
    ("YT", 0.15, [("Whitehorse", "Y1")], "867"),
    ("NT", 0.1, [("Yellowknife", "X1")], "867"),
    ("NU", 0.05, [("Iqaluit", "X0")], "867"),
]  # fmt: skip
FIRST_NAMES = [
    "Olivia", "Liam", "Emma", "Noah", "Charlotte", "William", "Amelia", "Benjamin", "Sophie",
    "Lucas", "Chloé", "Gabriel", "Léa", "Félix", "Maya", "Ethan", "Ava", "Jacob", "Zoé",
    "Samuel", "Isabelle", "Nathan", "Priya", "Arjun", "Mei", "Wei", "Aisha", "Omar", "Fatima",
    "Hiroshi", "Yuki", "Ananya", "Rohan", "Sofia", "Mateo", "Camila", "Daniel", "Grace",
    "Owen", "Hannah", "Jack", "Ella", "Thomas", "Alice", "Louis", "Juliette", "Raphaël",
    "Nora", "Connor", "Claire", "Simon", "Mathilde", "Harpreet", "Jasmine", "Kwame", "Ines",
]  # fmt: skip
LAST_NAMES = [
    "Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie", "Fortin",
    "Smith", "Brown", "Wilson", "MacDonald", "Campbell", "Anderson", "Taylor", "Thompson",
    "Martin", "Lee", "Li", "Wang", "Chen", "Nguyen", "Singh", "Patel", "Sharma", "Kim",
    "Park", "Ahmed", "Khan", "Ali", "Garcia", "Rodriguez", "Silva", "Murphy", "O'Brien",
    "Kelly", "Fraser", "Stewart", "Robertson", "Clarke", "Young", "King", "White", "Walker",
    "Bélanger", "Pelletier", "Leblanc", "Cormier", "Boudreau", "Okafor", "Mensah", "Haddad",
]  # fmt: skip
STREETS = [
    "Queen St W", "King St E", "Main St", "Maple Ave", "Elm St", "Oak Cres", "Lakeshore Rd",
    "Church St", "Park Ave", "Victoria St", "Wellington St", "Birch Dr", "Cedar Lane",
    "rue Saint-Denis", "boul. René-Lévesque", "rue Sherbrooke", "Jasper Ave", "Whyte Ave",
    "Granville St", "Commercial Dr", "Portage Ave", "Spring Garden Rd", "Water St",
    "Dundas St", "Bloor St W", "Yonge St", "College St", "Broadway", "1st Ave", "Hillside Dr",
]  # fmt: skip


@dataclass
class Customer:
    user_id: int | None
    email: str
    name: str
    address: dict


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


class People:
    """Registered customers and guests, made as they first order; returning ones come back."""

    def __init__(self, rng, writer, *, customers: int, expected_new: float, password_hash: str):
        self.rng = rng
        self.writer = writer
        self.password_hash = password_hash
        self.to_register = customers
        # New customers who register (the rest check out as guests); some accounts never order.
        self.registered_share = min(0.9, ACCOUNTS_USED * customers / max(expected_new, 1))
        self.seen: list[Customer] = []  # one entry per order: loyal customers come back more
        self.existing = _existing_customers()
        self.next_user_id = next_id(User)
        self.serial = itertools.count(1)
        self.provinces = [p for p, *_ in PROVINCES]
        self.province_weights = list(itertools.accumulate(w for _, w, *_ in PROVINCES))
        self.by_province = {p: (cities, area) for p, _, cities, area in PROVINCES}
        self.result_users = 0
        self.result_guests = 0

    def pick(self, moment: datetime) -> Customer:
        rng = self.rng
        if self.seen and rng.random() < RETURNING_SHARE:
            customer = rng.choice(self.seen)
        elif self.existing:
            customer = self.existing.pop(0)
            self.writer.backdate_user(customer.user_id, moment - timedelta(days=rng.randint(1, 60)))
        elif self.to_register and rng.random() < self.registered_share:
            customer = self._register(moment - timedelta(minutes=rng.randint(2, 60 * 24 * 30)))
        else:
            customer = self._new_person(None)
            self.result_guests += 1
        self.seen.append(customer)
        return customer

    def register_the_rest(self, start: datetime, end: datetime) -> None:
        """Accounts that never ordered: signed up for the newsletter, or not yet decided."""
        span = (end - start).total_seconds()
        while self.to_register:
            self._register(start + timedelta(seconds=self.rng.random() * span))

    def _register(self, created: datetime) -> Customer:
        customer = self._new_person(self.next_user_id)
        self.next_user_id += 1
        self.to_register -= 1
        self.result_users += 1
        self.writer.add("users", {
            "id": customer.user_id, "email": customer.email, "name": customer.name,
            "password_hash": self.password_hash, "role": roles.CUSTOMER, "is_enabled": True,
            "session_token": secrets.token_urlsafe(32), "last_login_at": None,
            "created_at": created,
        })  # fmt: skip
        self.writer.add("addresses", {
            "user_id": customer.user_id, **customer.address, "is_default": True,
            "created_at": created,
        })  # fmt: skip
        return customer

    def _new_person(self, user_id: int | None) -> Customer:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{_ascii(first)}.{_ascii(last)}.{next(self.serial)}@example.com"
        name = f"{first} {last}"
        return Customer(user_id, email, name, self._address(name))

    def _address(self, name: str) -> dict:
        rng = self.rng
        index = bisect.bisect_right(self.province_weights, rng.random() * self.province_weights[-1])
        province = self.provinces[min(index, len(self.provinces) - 1)]
        cities, area = self.by_province[province]
        city, prefixes = rng.choice(cities)
        prefix = rng.choice(prefixes.split())
        if len(prefix) == 1:
            prefix += str(rng.randint(1, 9))
        postal = f"{prefix}{rng.choice('ABCEGHJKLMNPRSTVWXYZ')} {rng.randint(1, 9)}" + (
            f"{rng.choice('ABCEGHJKLMNPRSTVWXYZ')}{rng.randint(0, 9)}"
        )
        line2 = f"Apt {rng.randint(1, 2400)}" if rng.random() < 0.25 else None
        return {
            "full_name": name, "company": None,
            "line1": f"{rng.randint(1, 4999)} {rng.choice(STREETS)}", "line2": line2,
            "city": city, "province": province, "postal_code": postal, "country": "CA",
            "phone": f"{area}-555-{rng.randint(0, 9999):04d}",
        }  # fmt: skip


def _existing_customers() -> list[Customer]:
    """Customer accounts already in the store (the demo's own): they get a history too."""
    users = db.session.scalars(
        sa.select(User).where(User.role == roles.CUSTOMER).order_by(User.id)
    ).all()
    found = []
    for user in users:
        address = db.session.scalar(
            sa.select(Address).where(Address.user_id == user.id).order_by(Address.id).limit(1)
        )
        if address is None:
            continue
        fields = ("full_name", "company", "line1", "line2", "city", "province", "postal_code",
                  "country", "phone")  # fmt: skip
        found.append(Customer(user.id, user.email, user.name,
                              {f: getattr(address, f) for f in fields}))  # fmt: skip
    return found
