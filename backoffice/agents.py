"""Commission agents: sales people and referral partners. Sales staff and the owner keep
the list; an order placed after a visit with ?ref=CODE earns the agent's rate on its goods."""

from flask import flash, redirect, render_template, url_for

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.agents import CommissionAgentForm
from backoffice.views import form_page, get_or_404, service_call
from shop.accounting import agents as services
from shop.accounting.models import CommissionAgent
from shop.accounts import roles

EDITORS = (roles.SALES,)


@bp.get("/commission-agents")
@allow(*EDITORS)
def commission_agents():
    return render_template("backoffice/commission_agents.html", agents=services.agents())


@bp.route("/commission-agents/new", methods=["GET", "POST"])
@bp.route("/commission-agents/<int:agent_id>", methods=["GET", "POST"])
@allow(*EDITORS)
def commission_agent_edit(agent_id: int | None = None):
    agent = get_or_404(CommissionAgent, agent_id) if agent_id is not None else None
    form = CommissionAgentForm(obj=agent)
    if form.validate_on_submit():
        data = form.data_for_service()
        with service_call(form) as call:
            if agent is None:
                data.pop("is_active")
                saved = services.create_agent(**data)
            else:
                saved = services.update_agent(agent=agent, **data)
        if call.ok:
            flash(f"{saved.name} saved: {saved.code} earns {saved.rate * 100:.2f}%.", "success")
            return redirect(url_for("backoffice.commission_agents"))
    return form_page(
        "backoffice/settings_form.html",
        form=form,
        heading=f"Edit {agent.name}" if agent else "New commission agent",
        submit="Save agent",
        back=url_for("backoffice.commission_agents"),
        help_text="The rate is a percentage of the goods (before shipping and tax), like 5. "
        "Orders already placed keep the rate they were placed with.",
        section=("Commission agents", url_for("backoffice.commission_agents")),
    )
