"""Who may sync (DESIGN.md §5): the offline bundle is an inspector's phone's; what it
contains is scoped by the inspections, facilities and regions policies."""
from __future__ import annotations

from backend.common.actor import Actor


def may_sync(actor: Actor) -> bool:
    return actor.role == "inspector"
