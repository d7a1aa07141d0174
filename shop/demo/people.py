"""The demo's staff and customer accounts, their passwords and how to log in."""

from dataclasses import dataclass

from shop.accounts import roles, second_factor
from shop.accounts.services import create_user, find_user_by_email, save_address
from shop.links import public_url

STAFF_PASSWORD = "maple-pine-demo"
CUSTOMER_PASSWORD = "camping-2024!"
# (role, email, name, password)
ACCOUNTS = [
    (roles.OWNER, "owner@example.com", "Olivia Owner", STAFF_PASSWORD),
    (roles.BOOKKEEPER, "books@example.com", "Ben Bookkeeper", STAFF_PASSWORD),
    (roles.SALES, "sales@example.com", "Sam Sales", STAFF_PASSWORD),
    (roles.WAREHOUSE, "warehouse@example.com", "Wes Warehouse", STAFF_PASSWORD),
    (roles.CUSTOMER, "carla@example.com", "Carla Customer", CUSTOMER_PASSWORD),
]
CUSTOMER_ADDRESS = {
    "full_name": "Carla Customer",
    "company": "",
    "line1": "12 Queen St W",
    "line2": "Unit 4",
    "city": "Toronto",
    "province": "ON",
    "postal_code": "M5H 2N2",
    "country": "CA",
    "phone": "416-555-0101",
}


@dataclass
class Login:
    email: str
    password: str
    role: str
    created: bool
    totp_secret: str = ""  # the authenticator's key, for the roles that need one


def seed_accounts() -> list[Login]:
    logins = []
    for role, email, name, password in ACCOUNTS:
        user = find_user_by_email(email)
        created = user is None
        secret = ""
        if created:
            user = create_user(email=email, name=name, password=password, role=role)
            if role == roles.CUSTOMER:
                save_address(user=user, data=CUSTOMER_ADDRESS)
            if second_factor.required_for(user):
                # A new key each time, printed below: the demo is easy to enter, but a
                # demo put on the internet does not share a key with every other one.
                secret = second_factor.enrol_directly(user=user)
        elif second_factor.required_for(user):
            secret = "(unchanged)"
        logins.append(
            Login(email, password if created else "(unchanged)", user.role, created, secret)
        )
    return logins


def login_table(logins: list[Login]) -> str:
    """How to log in to the demo store, as a small text table."""
    rows = [("Email", "Password", "Role", "TOTP secret")]
    rows += [
        (lg.email, lg.password, roles.LABELS.get(lg.role, lg.role), lg.totp_secret) for lg in logins
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(
        "The owner and the bookkeeper sign in with a code too: add the TOTP secret to an "
        "authenticator app, or run `oathtool --totp -b SECRET`."
    )
    lines.append(f"Store:       {public_url('catalogue.home')}")
    lines.append(f"Back office: {public_url('backoffice.dashboard')} (log in with a staff account)")
    return "\n".join(lines)
