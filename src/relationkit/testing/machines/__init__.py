"""Hypothesis state machines that run random operation sequences against a backend.

- :mod:`~relationkit.testing.machines.equivalence`: the backend and memory,
  side by side, must give the same results, errors, events and views;
- :mod:`~relationkit.testing.machines.ledger`: the loyalty ledger against
  the plain model of :mod:`~relationkit.testing.machines.ledger_model`;
- :mod:`~relationkit.testing.machines.suite`: both as pytest tests of an
  adapter's suite class (``MachineSuite``).

Needs Hypothesis (``pip install hypothesis``).
"""
