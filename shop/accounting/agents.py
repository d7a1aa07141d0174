"""Commission agents: sales people and referral partners, and the orders they bring.

A visitor who arrives with ?ref=CODE keeps the code in their session; the order
they place takes the agent and a copy of the agent's rate, and the commission is
posted when the order is paid (services.post_commission).
"""

import re
from decimal import Decimal

import sqlalchemy as sa
from flask import has_request_context, session

from shop.accounting.errors import ChartError
from shop.accounting.models import CommissionAgent
from shop.extensions import db

SESSION_KEY = "referral_code"
CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,29}")
RATE_STEP = Decimal("0.0001")  # the column keeps four places of the fraction: 12.34 %
MAX_RATE = Decimal("0.5")


def normalise_code(code: str | None) -> str | None:
    """The code as stored (capitals), or None when it could not be one."""
    text = (code or "").strip().upper()
    return text if CODE.fullmatch(text) else None


def agent_for_code(code: str | None) -> CommissionAgent | None:
    """The active agent with this code (any letter case), or None."""
    code = normalise_code(code)
    if code is None:
        return None
    return db.session.scalar(
        sa.select(CommissionAgent).where(
            CommissionAgent.code == code, CommissionAgent.is_active.is_(True)
        )
    )


def referred_agent() -> CommissionAgent | None:
    """The agent whose ?ref= link brought the visitor of this request, if still active."""
    if not has_request_context():
        return None
    return agent_for_code(session.get(SESSION_KEY))


def remember_referral(code: str | None) -> CommissionAgent | None:
    """Keep an active agent's code in the session; an unknown code changes nothing."""
    agent = agent_for_code(code)
    if agent is not None:
        session[SESSION_KEY] = agent.code
    return agent


def agents() -> list[CommissionAgent]:
    query = sa.select(CommissionAgent).order_by(
        CommissionAgent.is_active.desc(), CommissionAgent.name
    )
    return list(db.session.scalars(query))


def _checked(*, agent: CommissionAgent | None, code: str, rate: Decimal) -> str:
    normal = normalise_code(code)
    if normal is None:
        raise ChartError(
            "Use 1 to 30 letters, digits, dashes or underscores, like JANE10.", field="code"
        )
    taken = db.session.scalar(sa.select(CommissionAgent).where(CommissionAgent.code == normal))
    if taken is not None and taken is not agent:
        raise ChartError(f"The code {normal} is already {taken.name}'s.", field="code")
    if not Decimal(0) <= rate <= MAX_RATE:
        raise ChartError("Enter a rate from 0 to 50%.", field="rate")
    if rate != rate.quantize(RATE_STEP):
        raise ChartError("Use at most 2 decimal places, like 7.5.", field="rate")
    return normal


def create_agent(*, name: str, email: str | None, code: str, rate: Decimal) -> CommissionAgent:
    agent = CommissionAgent(
        name=name.strip(), email=(email or "").strip() or None,
        code=_checked(agent=None, code=code, rate=rate), rate=rate, is_active=True,
    )  # fmt: skip
    db.session.add(agent)
    db.session.flush()
    return agent


def update_agent(
    *, agent: CommissionAgent, name: str, email: str | None, code: str, rate: Decimal,
    is_active: bool,
) -> CommissionAgent:  # fmt: skip
    """Orders already placed keep the rate they were placed with."""
    agent.code = _checked(agent=agent, code=code, rate=rate)
    agent.name = name.strip()
    agent.email = (email or "").strip() or None
    agent.rate = rate
    agent.is_active = is_active
    db.session.flush()
    return agent
