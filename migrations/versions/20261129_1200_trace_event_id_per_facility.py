"""Trace event ids are unique per facility (the sender's namespace), not globally

One business could otherwise probe or block another's event ids (event_id_reused).

Revision ID: a3f9d2e71b08
Revises: 7c1e4a9b2d60
Create Date: 2026-11-29 12:00:00
"""
from alembic import op

revision = 'a3f9d2e71b08'
down_revision = '7c1e4a9b2d60'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_constraint(op.f('uq_trace_events_event_id'), 'trace_events', type_='unique')
    op.create_unique_constraint(op.f('uq_trace_events_facility_id_event_id'), 'trace_events',
                                ['facility_id', 'event_id'])


def downgrade():
    # Fails, as it should, if two facilities have since used the same event id.
    op.drop_constraint(op.f('uq_trace_events_facility_id_event_id'), 'trace_events', type_='unique')
    op.create_unique_constraint(op.f('uq_trace_events_event_id'), 'trace_events', ['event_id'])
