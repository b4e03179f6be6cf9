"""The pure domain: attrs models and rules, no I/O, no storage, no clock reads."""
