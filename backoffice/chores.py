"""Chores: what the job worker did and when (each scheduled job's latest run, the latest
runs of all), and running one now. The queue and its schedule are in shop.jobs."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for

from backoffice.access import allow
from backoffice.blueprint import bp
from shop import jobs
from shop.errors import DomainError
from shop.extensions import db
from shop.forms import EmptyForm
from shop.jobs import runs
from shop.jobs.models import JobRun
from shop.jobs.registry import TITLES
from shop.jobs.schedule import SCHEDULE, describe

RECENT_RUNS = 50
# Jobs that are no chore: they need what they work on (a batch's id), so Run now has
# nothing to run them with (make_batch() without its batch was a TypeError).
NOT_CHORES = {"documents.batch"}
CHORES = [name for name in TITLES if name not in NOT_CHORES]


@bp.get("/chores")
@allow()  # the owner only
def chores():
    rows = [
        {
            "name": name,
            "title": TITLES[name],
            "when": describe(SCHEDULE[name]) if name in SCHEDULE else "when asked",
            "latest": runs.latest(name),
        }
        for name in CHORES
    ]
    recent = db.session.scalars(sa.select(JobRun).order_by(JobRun.id.desc()).limit(RECENT_RUNS))
    return render_template(
        "backoffice/chores.html", rows=rows, recent=list(recent), run_form=EmptyForm()
    )


@bp.post("/chores/<name>/run")
@allow()
def chore_run(name: str):
    if name not in CHORES:
        flash("There is no such chore.", "error")
    elif not EmptyForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
    else:
        _ask(name)
    return redirect(url_for("backoffice.chores"))


def _ask(name: str) -> None:
    try:
        run_id = jobs.ask(name)
    except DomainError as err:  # the queue did not answer; the run says so
        flash(err.message, "error")
        return
    if run_id is None:
        flash(f"“{TITLES[name]}” is already running; its result will show here.", "info")
    else:
        flash(f"“{TITLES[name]}” is queued; its result shows below when it is done.", "success")
