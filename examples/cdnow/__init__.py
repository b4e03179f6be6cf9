"""The parts of the CDNOW demo (``examples/cdnow_demo.py``), one concept per module.

- :mod:`cdnow.common`: what every part shares: the currency, the end of the
  data, the phase timer and how the report prints.
- :mod:`cdnow.replay`: opening the kit and replaying the purchases.
- :mod:`cdnow.lapse`: moving long-silent customers to ``at_risk`` and ``churned``.
- :mod:`cdnow.store_report`: what the kit holds: counts, spenders, replays,
  a refund and a timeline.
- :mod:`cdnow.segments`: the RFM segment table.
- :mod:`cdnow.lifetime`: the purchase summary, the BG/NBD and Gamma-Gamma
  models, the accounts most likely to be lost, lifetime values and the
  model checks (needs ``relationkit[clv]``; the plot ``relationkit[plot]``).
- :mod:`cdnow.loyalty_report`: the points program, the year end and the
  ledger check.
"""
