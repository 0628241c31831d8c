"""`python -m mes_scheduler [--role …]`: the scheduler service (API, relay, planner)."""

from mes_events.service import serve
from mes_scheduler.config import Settings
from mes_scheduler.entrypoints.api.app import create_app

if __name__ == "__main__":
    serve(create_app, Settings())
