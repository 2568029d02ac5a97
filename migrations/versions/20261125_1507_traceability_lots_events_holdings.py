"""traceability: products, lots, trace events and their lots, movement edges, holdings, violations; facility GLN

Revision ID: 9f30505fe1c1
Revises: 6d196d361c73
Create Date: 2026-11-25 15:07:47.982085+00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '9f30505fe1c1'
down_revision = '6d196d361c73'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('products',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('gtin', sa.String(length=14), nullable=True),
    sa.Column('owner_facility_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_facility_id'], ['facilities.id'], name=op.f('fk_products_owner_facility_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('gtin', name=op.f('uq_products_gtin'))
    )
    op.create_table('lots',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('lot_code', sa.String(length=80), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('facility_id', sa.Uuid(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('produced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_lots_facility_id_facilities')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_lots_product_id_products')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_lots_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lots')),
    sa.UniqueConstraint('facility_id', 'lot_code', name=op.f('uq_lots_facility_id_lot_code'))
    )
    op.create_index(op.f('ix_lots_facility_id'), 'lots', ['facility_id'], unique=False)
    op.create_index('ix_lots_product_code', 'lots', ['product_id', 'lot_code'], unique=False)
    op.create_table('trace_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('facility_id', sa.Uuid(), nullable=False),
    sa.Column('other_facility_id', sa.Uuid(), nullable=True),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=True),
    sa.Column('flags', postgresql.ARRAY(sa.String(length=32)), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('extensions', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.Column('recorded_by', sa.Uuid(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("type IN ('harvest', 'produce', 'ship', 'receive', 'transform', 'sell', 'destroy')", name=op.f('ck_trace_events_type')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_trace_events_facility_id_facilities')),
    sa.ForeignKeyConstraint(['other_facility_id'], ['facilities.id'], name=op.f('fk_trace_events_other_facility_id_facilities')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_trace_events_recorded_by_users')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_trace_events_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_trace_events_event_id'))
    )
    op.create_index('ix_trace_events_facility_time', 'trace_events', ['facility_id', 'occurred_at'], unique=False)
    op.create_index(op.f('ix_trace_events_other_facility_id'), 'trace_events', ['other_facility_id'], unique=False)
    op.create_index('ix_trace_events_region_time', 'trace_events', ['region_code', 'occurred_at'], unique=False)
    op.create_table('holdings',
    sa.Column('lot_id', sa.Uuid(), nullable=False),
    sa.Column('facility_id', sa.Uuid(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_holdings_facility_id_facilities')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_holdings_lot_id_lots')),
    sa.PrimaryKeyConstraint('lot_id', 'facility_id', name=op.f('pk_holdings'))
    )
    op.create_index(op.f('ix_holdings_facility_id'), 'holdings', ['facility_id'], unique=False)
    op.create_table('trace_edges',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('event_pk', sa.Uuid(), nullable=False),
    sa.Column('from_lot_id', sa.Uuid(), nullable=False),
    sa.Column('from_facility_id', sa.Uuid(), nullable=False),
    sa.Column('to_lot_id', sa.Uuid(), nullable=False),
    sa.Column('to_facility_id', sa.Uuid(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['event_pk'], ['trace_events.id'], name=op.f('fk_trace_edges_event_pk_trace_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_edges'))
    )
    op.create_index(op.f('ix_trace_edges_event_pk'), 'trace_edges', ['event_pk'], unique=False)
    op.create_index('ix_trace_edges_from', 'trace_edges', ['from_lot_id', 'from_facility_id'], unique=False)
    op.create_index('ix_trace_edges_to', 'trace_edges', ['to_lot_id', 'to_facility_id'], unique=False)
    op.create_table('trace_event_lots',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('event_pk', sa.Uuid(), nullable=False),
    sa.Column('lot_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.CheckConstraint("role IN ('subject', 'input', 'output')", name=op.f('ck_trace_event_lots_role')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_trace_event_lots_quantity_positive')),
    sa.ForeignKeyConstraint(['event_pk'], ['trace_events.id'], name=op.f('fk_trace_event_lots_event_pk_trace_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_trace_event_lots_lot_id_lots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_event_lots'))
    )
    op.create_index(op.f('ix_trace_event_lots_event_pk'), 'trace_event_lots', ['event_pk'], unique=False)
    op.create_index(op.f('ix_trace_event_lots_lot_id'), 'trace_event_lots', ['lot_id'], unique=False)
    op.create_table('trace_violations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('event_pk', sa.Uuid(), nullable=False),
    sa.Column('lot_id', sa.Uuid(), nullable=False),
    sa.Column('facility_id', sa.Uuid(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("type IN ('negative_holding', 'never_held', 'restricted_sales', 'unmatched_receipt')", name=op.f('ck_trace_violations_type')),
    sa.ForeignKeyConstraint(['event_pk'], ['trace_events.id'], name=op.f('fk_trace_violations_event_pk_trace_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_trace_violations_facility_id_facilities')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_trace_violations_lot_id_lots')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_trace_violations_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_violations')),
    sa.UniqueConstraint('type', 'event_pk', 'lot_id', name=op.f('uq_trace_violations_type_event_pk_lot_id'))
    )
    op.create_index('ix_trace_violations_region_detected', 'trace_violations', ['region_code', 'detected_at'], unique=False)
    op.add_column('facilities', sa.Column('gln', sa.String(length=13), nullable=True))
    op.create_unique_constraint(op.f('uq_facilities_gln'), 'facilities', ['gln'])


def downgrade():
    op.drop_constraint(op.f('uq_facilities_gln'), 'facilities', type_='unique')
    op.drop_column('facilities', 'gln')
    op.drop_index('ix_trace_violations_region_detected', table_name='trace_violations')
    op.drop_table('trace_violations')
    op.drop_index(op.f('ix_trace_event_lots_lot_id'), table_name='trace_event_lots')
    op.drop_index(op.f('ix_trace_event_lots_event_pk'), table_name='trace_event_lots')
    op.drop_table('trace_event_lots')
    op.drop_index('ix_trace_edges_to', table_name='trace_edges')
    op.drop_index('ix_trace_edges_from', table_name='trace_edges')
    op.drop_index(op.f('ix_trace_edges_event_pk'), table_name='trace_edges')
    op.drop_table('trace_edges')
    op.drop_index(op.f('ix_holdings_facility_id'), table_name='holdings')
    op.drop_table('holdings')
    op.drop_index('ix_trace_events_region_time', table_name='trace_events')
    op.drop_index(op.f('ix_trace_events_other_facility_id'), table_name='trace_events')
    op.drop_index('ix_trace_events_facility_time', table_name='trace_events')
    op.drop_table('trace_events')
    op.drop_index('ix_lots_product_code', table_name='lots')
    op.drop_index(op.f('ix_lots_facility_id'), table_name='lots')
    op.drop_table('lots')
    op.drop_table('products')
