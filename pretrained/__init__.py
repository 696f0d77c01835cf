"""Shipped weights and precomputed outputs (package data: core.store reads them; layout in README.md)."""
