"""Seed and demo data: the standard catalogue loader with its tables, and the demo accounts.

Loaded by the management commands `load_catalogue` and `load_demo` (`make run`) and by tests.
The domain apps never import this package: it depends on them, not the other way round.
"""
