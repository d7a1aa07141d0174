"""flask jobs worker | run NAME | tick | runs, and flask serve."""

import click
from flask import current_app
from flask.cli import with_appcontext

from shop.formatting import plural
from shop.jobs.registry import JOBS


@click.group("jobs")
def jobs_group():
    """The job queue: workers, and running a job by hand."""


@jobs_group.command("worker")
@click.option("--workers", default=2, show_default=True, help="Jobs run at the same time.")
@click.option(
    "--no-schedule", is_flag=True,
    help="Only run queued jobs; leave the periodic schedule to other workers.",
)  # fmt: skip
@with_appcontext
def worker(workers: int, no_schedule: bool):
    """Run queued jobs and, unless --no-schedule, the periodic schedule. Start as many as
    you like, on any host: each periodic job still runs once per period."""
    from shop.jobs.worker import consumer

    click.echo(
        f"job worker: {plural(workers, 'thread')}, schedule {'off' if no_schedule else 'on'}"
    )
    consumer(current_app, workers=workers, schedule=not no_schedule).run()


@jobs_group.command("run")
@click.argument("name", type=click.Choice(sorted(JOBS)))
@with_appcontext
def run(name: str):
    """Run one job now, in this process (what the schedule would queue)."""
    from shop.jobs.queue import run_job

    click.echo(run_job(name))


@jobs_group.command("tick")
@with_appcontext
def tick():
    """Queue the periodic jobs that are due now (what each worker does every minute)."""
    from shop.jobs.queue import tick as queue_due

    queued = queue_due()
    line = f"queued {plural(len(queued), 'job')}"
    click.echo(f"{line}: {', '.join(queued)}" if queued else line)


@jobs_group.command("runs")
@click.option("--limit", default=20, show_default=True)
@with_appcontext
def list_runs(limit: int):
    """The latest job runs, newest first."""
    import sqlalchemy as sa

    from shop.extensions import db
    from shop.jobs.models import JobRun

    rows = db.session.scalars(sa.select(JobRun).order_by(JobRun.id.desc()).limit(limit))
    for run in rows:
        took = f"{run.seconds:.1f} s" if run.seconds is not None else ""
        click.echo(
            f"{run.started_at:%Y-%m-%d %H:%M:%S} {run.name:22} {run.period:18} "
            f"{run.status:8} {took:>8}  {run.error or run.result or ''}"
        )


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def serve(host: str, port: int):
    """Serve the store and run its chores (a job worker beside the web server): the
    embedded default, what `make run` starts."""
    from shop.jobs.worker import serve as serve_with_worker

    serve_with_worker(current_app._get_current_object(), host=host, port=port)
