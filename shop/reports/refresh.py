"""The owner's "Refresh forecasts now": the refresh runs as the job forecasts.refresh in a
worker (it takes longer than a request may: some 40 s for ten thousand variants), and the
report page shows its latest run, the nightly one or one asked for.

The run is recorded (shop.jobs.runs) before it is queued, so the page can say "running
since" at once, and a second press while a run is going finds it and starts nothing.
"""

from datetime import timedelta

from shop.db import utcnow
from shop.errors import DomainError
from shop.jobs import enqueue, runs
from shop.jobs.models import JobRun

JOB = "forecasts.refresh"
# A run still "running" after this long died with its worker: a new one may start.
GIVEN_UP_AFTER = timedelta(minutes=30)


def ask_forecast_refresh() -> int:
    """Record a run of forecasts.refresh asked for now and queue it; the run's id.

    The claim commits on its own (it must be visible to the worker and to a second press),
    like every claim of shop.jobs.runs. DomainError when a run is already going or the
    queue does not answer (the run is then recorded failed with the reason).
    """
    if runs.is_running(JOB, within=GIVEN_UP_AFTER):
        raise DomainError("The forecasts are already being refreshed; this page shows when.")
    run_id = runs.claim(JOB, f"asked:{utcnow():%Y-%m-%dT%H:%M:%S}")
    if run_id is None:  # pressed twice within the same second
        raise DomainError("The forecasts are already being refreshed; this page shows when.")
    try:
        enqueue(JOB, run_id=run_id)
    except Exception as error:
        runs.finish(run_id, error=f"could not be queued: {type(error).__name__}")
        raise DomainError(
            "The refresh could not be queued (the job queue does not answer); "
            "the nightly refresh will run as usual."
        ) from error
    return run_id


def latest_forecast_run() -> JobRun | None:
    """The latest run of forecasts.refresh, nightly or asked for."""
    return runs.latest(JOB)
