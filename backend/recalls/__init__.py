"""Recalls (DESIGN.md §8). So far the record a failed sample proposes; the state machine,
scope, deadlines and progress come with the recall issue."""
