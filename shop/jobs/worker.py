"""Running the queue: a huey consumer (`flask jobs worker`), and `flask serve`, the
embedded default's one command: the web store with a consumer beside it."""

import logging
import os
import subprocess
import sys
import threading

from flask import Flask
from huey.consumer import Consumer

log = logging.getLogger("shop.jobs")

# The embedded queue is a SQLite file: an idle consumer looks at it every second at most
# (huey's default backs off to 10 s), so mail leaves about a second after the commit.
MAX_POLL_SECONDS = 1.0
RESTART_PAUSE = 5  # seconds before `flask serve` starts a consumer that stopped


def consumer(app: Flask, *, workers: int, schedule: bool) -> Consumer:
    # huey writes three lines a task at INFO; the store's own line per job says enough.
    logging.getLogger("huey").setLevel(logging.WARNING)
    huey = app.extensions["jobs"].huey
    return Consumer(
        huey,
        workers=workers,
        worker_type="thread",
        periodic=schedule,
        max_delay=MAX_POLL_SECONDS,
        check_worker_health=True,
        # SIGTERM (systemd, Docker, `flask serve` stopping its worker) lets the jobs
        # running finish; huey's default takes SIGINT for that and SIGTERM as "now".
        graceful_signal="TERM",
    )


def serve(app: Flask, *, host: str, port: int) -> None:
    """The web store on host:port (werkzeug, threaded) and a job consumer in a child
    process, started again if it stops, and stopped with the server."""
    from werkzeug.serving import run_simple

    keeper = WorkerKeeper()
    keeper.start()
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        keeper.stop()


class WorkerKeeper:
    """Keeps one `flask jobs worker` child running beside the web server."""

    def __init__(self):
        self._child: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._keep, name="worker-keeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _keep(self) -> None:
        while not self._stopping.is_set():
            command = [sys.executable, "-m", "flask", "--app", "shop", "jobs", "worker"]
            # A session of its own: Ctrl-C in the terminal stops the web server, which
            # then stops the worker gracefully (SIGTERM) rather than mid-job.
            self._child = subprocess.Popen(command, env=os.environ.copy(), start_new_session=True)
            log.info("job worker started (pid %s)", self._child.pid)
            code = self._child.wait()
            if self._stopping.wait(RESTART_PAUSE):
                return
            log.warning("job worker stopped (exit %s); starting it again", code)

    def stop(self) -> None:
        self._stopping.set()
        child = self._child
        if child is None or child.poll() is not None:
            return
        child.terminate()  # SIGTERM: the consumer finishes the jobs it is running, then exits
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
