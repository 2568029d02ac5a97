"""Facility events other domains follow, inside the same transaction.

`facilities_moved` fires after facilities changed cell (a new location, or cells redrawn
around them); inspection tasks subscribe so that open work moves with the facility.
"""
from blinker import Namespace

_signals = Namespace()

# sender: None; kwargs: facility_ids (the facilities whose cell_id changed, already flushed)
facilities_moved = _signals.signal("facilities-moved")
