"""Chores: what the job worker did and when (each scheduled job's latest run, the latest
runs of all), and running one now. The queue and its schedule are in shop.jobs."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for

from backoffice import bp
from backoffice.access import allow
from backoffice.forms import EmptyForm
from shop import jobs
from shop.extensions import db
from shop.jobs import runs
from shop.jobs.models import JobRun
from shop.jobs.registry import JOBS, TITLES
from shop.jobs.schedule import SCHEDULE, describe

RECENT_RUNS = 50


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
        for name in JOBS
    ]
    recent = db.session.scalars(sa.select(JobRun).order_by(JobRun.id.desc()).limit(RECENT_RUNS))
    return render_template(
        "backoffice/chores.html", rows=rows, recent=list(recent), run_form=EmptyForm()
    )


@bp.post("/chores/<name>/run")
@allow()
def chore_run(name: str):
    if name not in JOBS:
        flash("There is no such chore.", "error")
    elif not EmptyForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
    elif jobs.ask(name) is None:
        flash(f"“{TITLES[name]}” is already running; its result will show here.", "info")
    else:
        flash(f"“{TITLES[name]}” is queued; its result shows below when it is done.", "success")
    return redirect(url_for("backoffice.chores"))
