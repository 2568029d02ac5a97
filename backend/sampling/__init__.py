"""Sampling and lab results (DESIGN.md §6): samples, limits, verdicts, re-tests, escalation."""
