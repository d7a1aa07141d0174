"""Jobs: the store's chores and long work, run by a queue (huey) outside the requests.

queue.py  the huey instance, enqueue / enqueue_after_commit, running a job, health
registry.py  every job by name      schedule.py  when the periodic ones run
chores.py  what the periodic jobs do  runs.py  the record of runs (once per period)
worker.py  the consumer, and `flask serve` (the web store and a consumer beside it)
"""

from shop.jobs.queue import ask, enqueue, enqueue_after_commit, health

__all__ = ["ask", "enqueue", "enqueue_after_commit", "health"]
