"""Benchmarks: `python -m bench` runs this client, aiormq and a wire ceiling against the broker.

See bench/__main__.py for the runner and docs/benchmarks.md for the latest results.
"""
