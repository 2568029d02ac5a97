"""The transactional outbox and in-app notifications (DESIGN.md §1, §8): events written in
the same transaction as the change that causes them, delivered by `flask worker`."""
from __future__ import annotations


def register(api) -> None:
    """This domain's blueprints, in the order the API document lists them; called by create_app."""
    from backend.notifications.api import blp

    api.register_blueprint(blp, url_prefix="/api/v1")
