"""Every signal of the application, declared in this one module (Indico keeps one registry too).

A domain sends its events here, and a domain that follows another's events does so with a
plain function; `create_app` connects those functions by name (`_connect_signals` in
backend/__init__.py), so nothing starts listening because a module happened to be imported.
Receivers run inside the sender's transaction. The grid does not import the domains that
follow it, and facilities do not import inspections: they are connected.
"""
from blinker import Namespace

_signals = Namespace()

# regions (the grid) ------------------------------------------------------------------
# sender: None; kwargs: cell_ids (every cell created, redrawn or retired).
# Followed by facilities.service.refresh_facility_cells (facilities re-derive their cell).
cells_changed = _signals.signal("cells-changed")
# sender: None; kwargs: cell_id, old_lead_id, new_lead_id, actor.
# Followed by inspections.tasks.follow_new_lead (open, unstarted tasks follow the new lead).
lead_changed = _signals.signal("lead-changed")
# sender: None; kwargs: region_code, year; a receiver answers the visits per risk level of the
# inspection plan in force there that year, or None (balancing asks;
# inspections.tasks.frequencies_of_plan answers).
plan_frequencies = _signals.signal("plan-frequencies")

# facilities ----------------------------------------------------------------------------
# sender: None; kwargs: facility_ids (the facilities whose cell_id changed, already flushed).
# Followed by inspections.tasks.follow_moved_facilities (open work moves with the facility).
facilities_moved = _signals.signal("facilities-moved")
