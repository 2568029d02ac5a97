"""Administrative regions (GB/T 2260) and the scope rule every domain uses."""
from __future__ import annotations


def register(api) -> None:
    """This domain's blueprints, in the order the API document lists them; called by create_app."""
    from backend.regions.api import blp
    from backend.regions.grid_api import blp as grid_blp

    for blueprint in (blp, grid_blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
