"""Benchmarks of DRE. The load harness's public surface is re-exported here.

Layering: ``config`` (plain data) → ``schedule``, ``catalogue``, ``flows`` (pure) →
``recorder``, ``report`` → ``http_client`` (trio sockets) → ``runner`` → ``maxrate`` → ``load`` (CLI, progress,
plot). Other benchmarks import from here: ``from bench import LoadConfig, run_load``.
"""
from bench.config import Arrival, Flow, LoadConfig, Step, constant, ramp
from bench.maxrate import SearchConfig, SearchResult, find_max_rate
from bench.report import LoadReport
from bench.runner import run_load

__all__ = [
    "Arrival", "Flow", "LoadConfig", "LoadReport", "SearchConfig", "SearchResult", "Step", "constant",
    "find_max_rate", "ramp", "run_load",
]
