"""Locust: each simulated user makes ONE complete journey (bench/wizard_journey.py) on its own
instance with its own code, then stops; the last one to stop ends the run. bench.py starts it
headless and bounded, and checks every value in the database afterwards."""
from __future__ import annotations

import json
import os

from locust import HttpUser, events, task
from locust.exception import StopUser

import wizard_journey as journey

PLAN = json.loads(open(os.environ["BENCH_JOURNEYS"]).read())
_next = iter(PLAN)
outcome = {"finished": 0, "errors": []}


class Browser(HttpUser):
    @task
    def one_journey(self):
        item = next(_next, None)
        if item is None:
            raise StopUser()
        try:
            journey.run(self.client, item["iid"], item["code"], item["n"])
            outcome["finished"] += 1
        except Exception as exc:  # every failure is counted, none stops the others
            outcome["errors"].append(f"{item['iid']}: {exc}"[:500])
        if outcome["finished"] + len(outcome["errors"]) >= len(PLAN):
            self.environment.runner.quit()
        raise StopUser()


@events.quitting.add_listener
def _write(environment, **_kw):
    with open(os.environ["BENCH_RESULT"], "w") as f:
        json.dump(outcome, f)
