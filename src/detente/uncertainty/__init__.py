"""Uncertainty at scale: distributions, simulated histories of the talks (docs/model.md, "Summit versus working level")."""
