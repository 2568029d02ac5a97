"""Events of the grid that other domains follow, inside the same transaction.

Facilities listen to `cells_changed` to re-derive their cell; tasks (later) listen to
`lead_changed` so open, unstarted tasks follow a cell's new lead. The grid does not
import those domains: they subscribe.
"""
from blinker import Namespace

_signals = Namespace()

# sender: None; kwargs: cell_ids (every cell created, redrawn or retired)
cells_changed = _signals.signal("cells-changed")
# sender: None; kwargs: cell_id, old_lead_id, new_lead_id, actor
lead_changed = _signals.signal("lead-changed")
# sender: None; kwargs: region_code, year; a receiver answers the visits per risk level of the
# inspection plan in force there that year, or None (inspections answer; balancing asks)
plan_frequencies = _signals.signal("plan-frequencies")
