"""Load test of issue #6 (``python -m bench.load``): see ``bench/load/__main__.py``."""
