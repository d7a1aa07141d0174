"""The owner's "Refresh forecasts now": the refresh runs as the job forecasts.refresh in a
worker (it takes longer than a request may: some 40 s for ten thousand variants), and the
report page shows its latest run, the nightly one or one asked for.

The run is recorded (shop.jobs.runs) before it is queued, so the page can say "running
since" at once, and a second press while a run is going finds it and starts nothing.
"""

from shop.errors import DomainError
from shop.jobs import ask, runs
from shop.jobs.models import JobRun

JOB = "forecasts.refresh"


def ask_forecast_refresh() -> int:
    """Record a run of forecasts.refresh asked for now and queue it (shop.jobs.ask); the
    run's id. DomainError when a run is already going or the queue does not answer (the
    run is then recorded failed with the reason)."""
    try:
        run_id = ask(JOB)
    except DomainError as error:
        raise DomainError(
            "The refresh could not be queued (the job queue does not answer); "
            "the nightly refresh will run as usual."
        ) from error
    if run_id is None:
        raise DomainError("The forecasts are already being refreshed; this page shows when.")
    return run_id


def latest_forecast_run() -> JobRun | None:
    """The latest run of forecasts.refresh, nightly or asked for."""
    return runs.latest(JOB)
