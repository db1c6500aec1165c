"""Uncertainty at scale: distributions, simulated histories of the talks (MODEL.md section 11)."""
