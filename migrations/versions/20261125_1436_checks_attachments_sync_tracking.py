"""checks, rectification orders, attachments; change tracking and tombstones for sync

Revision ID: 6d196d361c73
Revises: 53029b7325f3
Create Date: 2026-11-25 14:36:31.450869+00:00

"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '6d196d361c73'
down_revision = '53029b7325f3'
branch_labels = None
depends_on = None

MIRRORED = ("assignments", "cells", "checklist_templates", "facilities", "inspection_tasks")


class Xid8(sa.types.UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **_):
        return "xid8"


# changed_xid follows every UPDATE, bulk statements included; the INSERT default sets it first.
TOUCH = """
CREATE FUNCTION foodgrid_touch_changed_xid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_xid := pg_current_xact_id();
    RETURN NEW;
END $$;
"""

# Rows leaving someone's view leave a tombstone for their next sync (backend/sync).
TOMBSTONES = """
CREATE FUNCTION foodgrid_tombstone_facility() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sync_tombstones (entity_type, entity_id, cell_id) VALUES ('facility', OLD.id, OLD.cell_id);
    RETURN NULL;
END $$;
CREATE TRIGGER tombstone_moved_facility AFTER UPDATE OF cell_id ON facilities FOR EACH ROW
    WHEN (OLD.cell_id IS NOT NULL AND OLD.cell_id IS DISTINCT FROM NEW.cell_id)
    EXECUTE FUNCTION foodgrid_tombstone_facility();

CREATE FUNCTION foodgrid_tombstone_task() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sync_tombstones (entity_type, entity_id, user_id) VALUES ('task', OLD.id, OLD.assignee_id);
    RETURN NULL;
END $$;
CREATE TRIGGER tombstone_reassigned_task AFTER UPDATE OF assignee_id ON inspection_tasks FOR EACH ROW
    WHEN (OLD.assignee_id IS NOT NULL AND OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)
    EXECUTE FUNCTION foodgrid_tombstone_task();

CREATE FUNCTION foodgrid_tombstone_cell() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sync_tombstones (entity_type, entity_id, user_id) VALUES ('cell', OLD.cell_id, OLD.inspector_id);
    RETURN NULL;
END $$;
CREATE TRIGGER tombstone_unassigned_cell AFTER UPDATE OF valid_to ON assignments FOR EACH ROW
    WHEN (OLD.valid_to IS NULL AND NEW.valid_to IS NOT NULL)
    EXECUTE FUNCTION foodgrid_tombstone_cell();
"""


def upgrade():
    op.create_table('sync_tombstones',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('entity_type', sa.String(length=16), nullable=False),
    sa.Column('entity_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('cell_id', sa.Uuid(), nullable=True),
    sa.Column('changed_xid', Xid8(), server_default=sa.text('pg_current_xact_id()'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_tombstones'))
    )
    op.create_index('ix_sync_tombstones_changed_xid', 'sync_tombstones', ['changed_xid'], unique=False)
    op.create_geospatial_table('attachments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_type', sa.String(length=24), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('uploaded_by', sa.Uuid(), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('exif_location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("owner_type IN ('check')", name=op.f('ck_attachments_owner_type')),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_attachments_size_positive')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_attachments_region_code_regions')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_attachments_uploaded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    op.create_index('ix_attachments_owner', 'attachments', ['owner_type', 'owner_id'], unique=False)
    op.create_index(op.f('ix_attachments_sha256'), 'attachments', ['sha256'], unique=False)
    op.create_geospatial_table('checks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('inspector_id', sa.Uuid(), nullable=False),
    sa.Column('facility_id', sa.Uuid(), nullable=False),
    sa.Column('task_id', sa.Uuid(), nullable=True),
    sa.Column('template_id', sa.Uuid(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('cell_id', sa.Uuid(), nullable=True),
    sa.Column('results', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('key_failures', sa.Integer(), nullable=False),
    sa.Column('general_failures', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('location_accuracy_m', sa.Float(), nullable=True),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('flags', postgresql.ARRAY(sa.String(length=32)), nullable=False),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.CheckConstraint("outcome IN ('compliant', 'basically_compliant', 'non_compliant')", name=op.f('ck_checks_outcome')),
    sa.ForeignKeyConstraint(['cell_id'], ['cells.id'], name=op.f('fk_checks_cell_id_cells')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_checks_facility_id_facilities')),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_checks_inspector_id_users')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_checks_region_code_regions')),
    sa.ForeignKeyConstraint(['task_id'], ['inspection_tasks.id'], name=op.f('fk_checks_task_id_inspection_tasks')),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_checks_template_id_checklist_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checks'))
    )
    op.create_index('ix_checks_facility_finished', 'checks', ['facility_id', 'finished_at'], unique=False)
    op.create_index(op.f('ix_checks_inspector_id'), 'checks', ['inspector_id'], unique=False)
    op.create_index('ix_checks_region_received', 'checks', ['region_code', 'received_at'], unique=False)
    op.create_index(op.f('ix_checks_task_id'), 'checks', ['task_id'], unique=False)
    op.create_table('rectification_orders',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('check_id', sa.Uuid(), nullable=False),
    sa.Column('facility_id', sa.Uuid(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('failed_items', postgresql.ARRAY(sa.String(length=20)), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('follow_up_task_id', sa.Uuid(), nullable=False),
    sa.Column('closing_check_id', sa.Uuid(), nullable=True),
    sa.Column('issued_by', sa.Uuid(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'rectified', 'not_rectified')", name=op.f('ck_rectification_orders_status')),
    sa.ForeignKeyConstraint(['check_id'], ['checks.id'], name=op.f('fk_rectification_orders_check_id_checks')),
    sa.ForeignKeyConstraint(['closing_check_id'], ['checks.id'], name=op.f('fk_rectification_orders_closing_check_id_checks')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_rectification_orders_facility_id_facilities')),
    sa.ForeignKeyConstraint(['follow_up_task_id'], ['inspection_tasks.id'], name=op.f('fk_rectification_orders_follow_up_task_id_inspection_tasks')),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_rectification_orders_issued_by_users')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_rectification_orders_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_orders')),
    sa.UniqueConstraint('check_id', name=op.f('uq_rectification_orders_check_id')),
    sa.UniqueConstraint('follow_up_task_id', name=op.f('uq_rectification_orders_follow_up_task_id'))
    )
    op.create_index(op.f('ix_rectification_orders_facility_id'), 'rectification_orders', ['facility_id'], unique=False)
    op.create_index('ix_rectification_orders_region_status', 'rectification_orders', ['region_code', 'status', 'deadline'], unique=False)
    op.add_column('assignments', sa.Column('changed_xid', Xid8(), server_default=sa.text('pg_current_xact_id()'), nullable=False))
    op.create_index(op.f('ix_assignments_changed_xid'), 'assignments', ['changed_xid'], unique=False)
    op.add_column('cells', sa.Column('changed_xid', Xid8(), server_default=sa.text('pg_current_xact_id()'), nullable=False))
    op.create_index(op.f('ix_cells_changed_xid'), 'cells', ['changed_xid'], unique=False)
    op.add_column('checklist_templates', sa.Column('changed_xid', Xid8(), server_default=sa.text('pg_current_xact_id()'), nullable=False))
    op.create_index(op.f('ix_checklist_templates_changed_xid'), 'checklist_templates', ['changed_xid'], unique=False)
    op.add_column('facilities', sa.Column('changed_xid', Xid8(), server_default=sa.text('pg_current_xact_id()'), nullable=False))
    op.create_index(op.f('ix_facilities_changed_xid'), 'facilities', ['changed_xid'], unique=False)
    op.add_column('inspection_tasks', sa.Column('changed_xid', Xid8(), server_default=sa.text('pg_current_xact_id()'), nullable=False))
    op.create_index(op.f('ix_inspection_tasks_changed_xid'), 'inspection_tasks', ['changed_xid'], unique=False)
    op.execute(TOUCH)
    for table in MIRRORED:
        op.execute(f"CREATE TRIGGER touch_changed_xid BEFORE UPDATE ON {table} FOR EACH ROW "
                   "EXECUTE FUNCTION foodgrid_touch_changed_xid()")
    op.execute(TOMBSTONES)


def downgrade():
    op.execute("DROP TRIGGER tombstone_moved_facility ON facilities")
    op.execute("DROP TRIGGER tombstone_reassigned_task ON inspection_tasks")
    op.execute("DROP TRIGGER tombstone_unassigned_cell ON assignments")
    for table in MIRRORED:
        op.execute(f"DROP TRIGGER touch_changed_xid ON {table}")
    for function in ("touch_changed_xid", "tombstone_facility", "tombstone_task", "tombstone_cell"):
        op.execute(f"DROP FUNCTION foodgrid_{function}()")
    op.drop_index(op.f('ix_inspection_tasks_changed_xid'), table_name='inspection_tasks')
    op.drop_column('inspection_tasks', 'changed_xid')
    op.drop_index(op.f('ix_facilities_changed_xid'), table_name='facilities')
    op.drop_column('facilities', 'changed_xid')
    op.drop_index(op.f('ix_checklist_templates_changed_xid'), table_name='checklist_templates')
    op.drop_column('checklist_templates', 'changed_xid')
    op.drop_index(op.f('ix_cells_changed_xid'), table_name='cells')
    op.drop_column('cells', 'changed_xid')
    op.drop_index(op.f('ix_assignments_changed_xid'), table_name='assignments')
    op.drop_column('assignments', 'changed_xid')
    op.drop_index('ix_rectification_orders_region_status', table_name='rectification_orders')
    op.drop_index(op.f('ix_rectification_orders_facility_id'), table_name='rectification_orders')
    op.drop_table('rectification_orders')
    op.drop_index(op.f('ix_checks_task_id'), table_name='checks')
    op.drop_index('ix_checks_region_received', table_name='checks')
    op.drop_index(op.f('ix_checks_inspector_id'), table_name='checks')
    op.drop_index('ix_checks_facility_finished', table_name='checks')
    op.drop_geospatial_table('checks')
    op.drop_index(op.f('ix_attachments_sha256'), table_name='attachments')
    op.drop_index('ix_attachments_owner', table_name='attachments')
    op.drop_geospatial_table('attachments')
    op.drop_index('ix_sync_tombstones_changed_xid', table_name='sync_tombstones')
    op.drop_table('sync_tombstones')
