"""Running steps at the same moment: real threads, each with its own app context and
database connection (as gunicorn workers have), released together by a barrier."""

import threading
from dataclasses import dataclass, field

from shop.errors import DomainError
from shop.extensions import db


@dataclass
class Outcome:
    """What the racing steps came to: done (their names), refused (the messages a person
    would read), failed (anything else: a deadlock, a 500)."""

    done: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def at_once(app, *steps, commit: bool = True) -> Outcome:
    """Run each step (a callable; its __name__ names it) in its own thread, all at once.

    Each commits when it returns (unless commit=False: the step commits itself)
    and rolls back when it raises.
    """
    db.session.commit()  # the test's own read must not hold SQLite's write lock
    barrier = threading.Barrier(len(steps))
    outcome = Outcome()

    def run(step):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                step()
                if commit:
                    db.session.commit()
                outcome.done.append(step.__name__)
            except DomainError as err:
                db.session.rollback()
                outcome.refused.append(err.message)
            except Exception as err:
                db.session.rollback()
                outcome.failed.append(f"{step.__name__}: {err!r}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcome
