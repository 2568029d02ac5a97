"""grid cells, assignments with history, facilities

Revision ID: a4d6010e1316
Revises: f336a555f2eb
Create Date: 2026-11-25 12:34:24.249194+00:00

"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry

# revision identifiers, used by Alembic.
revision = 'a4d6010e1316'
down_revision = 'f336a555f2eb'
branch_labels = None
depends_on = None


# Two lead periods of one cell never overlap: "at most one current lead" holds in the
# database itself, whatever the application does and however requests interleave.
ONE_LEAD_AT_A_TIME = """
ALTER TABLE assignments ADD CONSTRAINT ex_assignments_one_lead_at_a_time
    EXCLUDE USING gist (cell_id WITH =, tstzrange(valid_from, valid_to) WITH &&)
    WHERE (role = 'lead')
"""


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_geospatial_table('cells',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('boundary', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('active', 'retired')", name=op.f('ck_cells_status')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_cells_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cells')),
    sa.UniqueConstraint('code', name=op.f('uq_cells_code'))
    )
    op.create_geospatial_index('idx_cells_boundary', 'cells', ['boundary'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_cells_region_status', 'cells', ['region_code', 'status'], unique=False)
    op.create_geospatial_table('facilities',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('licence_no', sa.String(length=32), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('cell_id', sa.Uuid(), nullable=True),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('risk_level', sa.String(length=1), nullable=False),
    sa.Column('credit_grade', sa.String(length=8), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sales_area', sa.ARRAY(sa.String(length=12)), nullable=False),
    sa.Column('operator_name', sa.String(length=100), nullable=True),
    sa.Column('operator_phone', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("(kind = 'stall') = (parent_id IS NOT NULL)", name=op.f('ck_facilities_stall_has_market')),
    sa.CheckConstraint("kind IN ('workshop', 'farmers_market', 'wholesale_market', 'stall', 'producer', 'retailer', 'restaurant', 'farm', 'cold_store')", name=op.f('ck_facilities_kind')),
    sa.CheckConstraint("risk_level IN ('A', 'B', 'C', 'D')", name=op.f('ck_facilities_risk_level')),
    sa.CheckConstraint("status IN ('active', 'suspended', 'closed')", name=op.f('ck_facilities_status')),
    sa.ForeignKeyConstraint(['cell_id'], ['cells.id'], name=op.f('fk_facilities_cell_id_cells')),
    sa.ForeignKeyConstraint(['parent_id'], ['facilities.id'], name=op.f('fk_facilities_parent_id_facilities')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_facilities_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facilities')),
    sa.UniqueConstraint('licence_no', name=op.f('uq_facilities_licence_no')),
    sa.UniqueConstraint('uscc', name=op.f('uq_facilities_uscc'))
    )
    op.create_geospatial_index('idx_facilities_location', 'facilities', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_facilities_cell_id'), 'facilities', ['cell_id'], unique=False)
    op.create_index('ix_facilities_location_geography', 'facilities', [sa.literal_column('geography(location)')], unique=False, postgresql_using='gist')
    op.create_index(op.f('ix_facilities_parent_id'), 'facilities', ['parent_id'], unique=False)
    op.create_index('ix_facilities_region_kind', 'facilities', ['region_code', 'kind'], unique=False)
    op.create_table('assignments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('cell_id', sa.Uuid(), nullable=False),
    sa.Column('inspector_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assigned_by', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('ended_by', sa.Uuid(), nullable=True),
    sa.Column('end_reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint("role IN ('lead', 'member')", name=op.f('ck_assignments_role')),
    sa.CheckConstraint('valid_to IS NULL OR valid_to >= valid_from', name=op.f('ck_assignments_period')),
    sa.ForeignKeyConstraint(['assigned_by'], ['users.id'], name=op.f('fk_assignments_assigned_by_users')),
    sa.ForeignKeyConstraint(['cell_id'], ['cells.id'], name=op.f('fk_assignments_cell_id_cells')),
    sa.ForeignKeyConstraint(['ended_by'], ['users.id'], name=op.f('fk_assignments_ended_by_users')),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_assignments_inspector_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    op.create_index('ix_assignments_cell_period', 'assignments', ['cell_id', 'valid_from'], unique=False)
    op.create_index('ix_assignments_inspector_current', 'assignments', ['inspector_id'], unique=False, postgresql_where=sa.text('valid_to IS NULL'))
    op.create_index('uq_assignments_current_member', 'assignments', ['cell_id', 'inspector_id'], unique=True, postgresql_where=sa.text('valid_to IS NULL'))
    op.add_column('users', sa.Column('facility_id', sa.Uuid(), nullable=True))
    op.create_foreign_key(op.f('fk_users_facility_id_facilities'), 'users', 'facilities', ['facility_id'], ['id'])
    op.execute(ONE_LEAD_AT_A_TIME)


def downgrade():
    op.drop_constraint(op.f('fk_users_facility_id_facilities'), 'users', type_='foreignkey')
    op.drop_column('users', 'facility_id')
    op.drop_index('uq_assignments_current_member', table_name='assignments', postgresql_where=sa.text('valid_to IS NULL'))
    op.drop_index('ix_assignments_inspector_current', table_name='assignments', postgresql_where=sa.text('valid_to IS NULL'))
    op.drop_index('ix_assignments_cell_period', table_name='assignments')
    op.drop_table('assignments')
    op.drop_index('ix_facilities_region_kind', table_name='facilities')
    op.drop_index(op.f('ix_facilities_parent_id'), table_name='facilities')
    op.drop_geospatial_index('ix_facilities_location_geography', table_name='facilities', postgresql_using='gist', column_name='location')
    op.drop_index(op.f('ix_facilities_cell_id'), table_name='facilities')
    op.drop_geospatial_index('idx_facilities_location', table_name='facilities', postgresql_using='gist', column_name='location')
    op.drop_geospatial_table('facilities')
    op.drop_index('ix_cells_region_status', table_name='cells')
    op.drop_geospatial_index('idx_cells_boundary', table_name='cells', postgresql_using='gist', column_name='boundary')
    op.drop_geospatial_table('cells')

