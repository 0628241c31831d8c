"""Command-line options of the REST driver and its entry point."""

from __future__ import annotations

import argparse
import asyncio
import os

from mes_simulator.scenario import ScenarioSettings

DEFAULT_PORTS = {"orders": 8001, "scheduler": 8002, "quality": 8003, "inventory": 8004}


def add_rest_args(p: argparse.ArgumentParser) -> None:
    """Where the services are and how fast plant time runs."""
    g = p.add_argument_group("driving the running services (the default)")
    g.add_argument(
        "--base-url",
        default=os.environ.get("MES_BASE_URL", "http://127.0.0.1"),
        help="host of all services on their default ports",
    )
    for name, port in DEFAULT_PORTS.items():
        g.add_argument(f"--{name}-url", default=None, help=f"default: <base-url>:{port}")
    g.add_argument(
        "--speed",
        type=float,
        default=float(os.environ.get("MES_CLOCK_SPEED", "1")),
        help="plant minutes per wall minute; must match the services' clock "
        "(MES_CLOCK_SPEED, set by `make up`)",
    )
    g.add_argument(
        "--epoch",
        default=os.environ.get("MES_CLOCK_EPOCH"),
        help="plant time (ISO 8601) of scenario minute 0 (MES_CLOCK_EPOCH)",
    )
    g.add_argument(
        "--drain-hours",
        type=float,
        default=48.0,
        help="plant hours to wait for open orders after the last arrival",
    )


def service_urls(args: argparse.Namespace) -> dict[str, str]:
    base = args.base_url.rstrip("/")
    return {
        name: (getattr(args, f"{name}_url") or f"{base}:{port}").rstrip("/")
        for name, port in DEFAULT_PORTS.items()
    }


def rest_main(args: argparse.Namespace, settings: ScenarioSettings) -> int:
    """Play the scenario against the services; prints a summary at the end or on Ctrl-C."""
    from mes_simulator.rest.driver import drive
    from mes_simulator.warp import WarpedClock

    clock = WarpedClock.from_settings(args.epoch, args.speed, shifts=settings.shifts)
    return asyncio.run(drive(settings, service_urls(args), clock, drain_hours=args.drain_hours))
