"""Reference implementations of optional storage protocols, over the core port alone.

:mod:`relationkit.storage.fallback` hands a question to these when the unit
of work does not implement the protocol itself.
"""
