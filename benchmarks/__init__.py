"""Throughput and latency harnesses, run with ``python -m benchmarks.<name>``."""
