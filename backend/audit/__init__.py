"""Append-only, hash-chained audit log (DESIGN.md §9)."""
