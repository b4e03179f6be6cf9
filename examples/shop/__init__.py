"""A web shop's integration with relationkit, driven by ``examples/shop_webhooks.py``.

- :mod:`shop.integration`: the shop's own code, the part to copy: the
  loyalty program, the checkout endpoint that holds points and the
  webhook handler.
- :mod:`shop.day`: a day of deliveries from the shop's platform and its
  payment provider, in arrival order, each step checking what it did.
- :mod:`shop.checks`: the small record of expected against actual results.
"""
