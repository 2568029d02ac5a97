"""Administrative regions (GB/T 2260) and the scope rule every domain uses."""
from __future__ import annotations


def register(api) -> None:
    """This domain's blueprints, in the order the API document lists them; called by create_app."""
    from backend.regions.api import grid, regions

    for blueprint in (regions.blp, grid.blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
