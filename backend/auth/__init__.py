"""Accounts, log-in, tokens and the guard every API module stands behind."""
from __future__ import annotations


def register(api) -> None:
    """This domain's blueprints, in the order the API document lists them; called by create_app."""
    from backend.auth.api import auth_blp, users_blp

    for blueprint in (auth_blp, users_blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
