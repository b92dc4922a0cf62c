"""The load test (``python -m bench.load``): see ``bench/load/__main__.py``."""
