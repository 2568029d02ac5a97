"""sampling: limits with history, samples, test results, re-test requests, credit events; recall proposals

Revision ID: d44f11ab52fe
Revises: c41e9d2a7b10
Create Date: 2026-11-25 15:17:13.422054+00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'd44f11ab52fe'
down_revision = 'c41e9d2a7b10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('limits',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('analyte', sa.String(length=64), nullable=False),
    sa.Column('food_category', sa.String(length=64), nullable=False),
    sa.Column('max_value', sa.Numeric(precision=20, scale=6), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('must_not_detect', sa.Boolean(), nullable=False),
    sa.Column('lod', sa.Numeric(precision=20, scale=6), nullable=True),
    sa.Column('standard', sa.String(length=120), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_limits'))
    )
    op.create_index('ix_limits_lookup', 'limits', ['analyte', 'food_category', 'valid_from'], unique=False)
    op.create_table('credit_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('facility_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_credit_events_facility_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_events')),
    sa.UniqueConstraint('kind', 'source_id', name=op.f('uq_credit_events_kind_source_id'))
    )
    op.create_index(op.f('ix_credit_events_facility_id'), 'credit_events', ['facility_id'], unique=False)
    op.create_table('samples',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('sample_no', sa.String(length=40), nullable=False),
    sa.Column('facility_id', sa.Uuid(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('cell_id', sa.Uuid(), nullable=True),
    sa.Column('task_id', sa.Uuid(), nullable=True),
    sa.Column('check_id', sa.Uuid(), nullable=True),
    sa.Column('lot_id', sa.Uuid(), nullable=True),
    sa.Column('lot_code', sa.String(length=80), nullable=True),
    sa.Column('producer_name', sa.String(length=200), nullable=True),
    sa.Column('producer_facility_id', sa.Uuid(), nullable=True),
    sa.Column('product_name', sa.String(length=200), nullable=False),
    sa.Column('food_category', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.String(length=40), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('rapid_results', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('sampled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('collected_by', sa.Uuid(), nullable=False),
    sa.Column('received_in_lab_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lab_name', sa.String(length=120), nullable=True),
    sa.Column('verdict_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verdict_by', sa.Uuid(), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('follow_up_task_id', sa.Uuid(), nullable=True),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.CheckConstraint("method IN ('rapid', 'lab')", name=op.f('ck_samples_method')),
    sa.CheckConstraint("status IN ('collected', 'in_lab', 'qualified', 'unqualified', 'retest_requested', 'retested')", name=op.f('ck_samples_status')),
    sa.ForeignKeyConstraint(['cell_id'], ['cells.id'], name=op.f('fk_samples_cell_id_cells')),
    sa.ForeignKeyConstraint(['check_id'], ['checks.id'], name=op.f('fk_samples_check_id_checks')),
    sa.ForeignKeyConstraint(['collected_by'], ['users.id'], name=op.f('fk_samples_collected_by_users')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_samples_facility_id_facilities')),
    sa.ForeignKeyConstraint(['follow_up_task_id'], ['inspection_tasks.id'], name=op.f('fk_samples_follow_up_task_id_inspection_tasks')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_samples_lot_id_lots')),
    sa.ForeignKeyConstraint(['producer_facility_id'], ['facilities.id'], name=op.f('fk_samples_producer_facility_id_facilities')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_samples_region_code_regions')),
    sa.ForeignKeyConstraint(['task_id'], ['inspection_tasks.id'], name=op.f('fk_samples_task_id_inspection_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_samples')),
    sa.UniqueConstraint('sample_no', name=op.f('uq_samples_sample_no'))
    )
    op.create_index(op.f('ix_samples_facility_id'), 'samples', ['facility_id'], unique=False)
    op.create_index(op.f('ix_samples_lot_id'), 'samples', ['lot_id'], unique=False)
    op.create_index('ix_samples_region_sampled', 'samples', ['region_code', 'sampled_at'], unique=False)
    op.create_table('recalls',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=True),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('sample_id', sa.Uuid(), nullable=True),
    sa.Column('producer_facility_id', sa.Uuid(), nullable=True),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('proposed', 'initiated', 'in_progress', 'completed', 'closed', 'rejected', 'cancelled')", name=op.f('ck_recalls_status')),
    sa.CheckConstraint("trigger IN ('sample', 'complaint', 'manual')", name=op.f('ck_recalls_trigger')),
    sa.CheckConstraint('level IS NULL OR level IN (1, 2, 3)', name=op.f('ck_recalls_level')),
    sa.ForeignKeyConstraint(['producer_facility_id'], ['facilities.id'], name=op.f('fk_recalls_producer_facility_id_facilities')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_recalls_region_code_regions')),
    sa.ForeignKeyConstraint(['sample_id'], ['samples.id'], name=op.f('fk_recalls_sample_id_samples')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recalls')),
    sa.UniqueConstraint('sample_id', name=op.f('uq_recalls_sample_id'))
    )
    op.create_table('retest_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('sample_id', sa.Uuid(), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('lab_name', sa.String(length=120), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('requested_by', sa.Uuid(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('requested', 'accepted', 'refused')", name=op.f('ck_retest_requests_status')),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_retest_requests_requested_by_users')),
    sa.ForeignKeyConstraint(['sample_id'], ['samples.id'], name=op.f('fk_retest_requests_sample_id_samples')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retest_requests')),
    sa.UniqueConstraint('sample_id', name=op.f('uq_retest_requests_sample_id'))
    )
    op.create_table('test_results',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('sample_id', sa.Uuid(), nullable=False),
    sa.Column('analyte', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('reported_value', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.Column('reported_unit', sa.String(length=16), nullable=False),
    sa.Column('lod', sa.Numeric(precision=20, scale=6), nullable=True),
    sa.Column('method', sa.String(length=120), nullable=False),
    sa.Column('lab_name', sa.String(length=120), nullable=False),
    sa.Column('limit_id', sa.Uuid(), nullable=False),
    sa.Column('verdict', sa.String(length=8), nullable=False),
    sa.Column('entered_by', sa.Uuid(), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('superseded_by', sa.Uuid(), nullable=True),
    sa.Column('amend_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("verdict IN ('pass', 'fail')", name=op.f('ck_test_results_verdict')),
    sa.CheckConstraint('value >= 0', name=op.f('ck_test_results_value_not_negative')),
    sa.ForeignKeyConstraint(['entered_by'], ['users.id'], name=op.f('fk_test_results_entered_by_users')),
    sa.ForeignKeyConstraint(['limit_id'], ['limits.id'], name=op.f('fk_test_results_limit_id_limits')),
    sa.ForeignKeyConstraint(['sample_id'], ['samples.id'], name=op.f('fk_test_results_sample_id_samples')),
    sa.ForeignKeyConstraint(['superseded_by'], ['test_results.id'], name=op.f('fk_test_results_superseded_by_test_results')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_results'))
    )
    op.create_index(op.f('ix_test_results_sample_id'), 'test_results', ['sample_id'], unique=False)
    op.create_table('recall_lots',
    sa.Column('recall_id', sa.Uuid(), nullable=False),
    sa.Column('lot_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_recall_lots_lot_id_lots')),
    sa.ForeignKeyConstraint(['recall_id'], ['recalls.id'], name=op.f('fk_recall_lots_recall_id_recalls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('recall_id', 'lot_id', name=op.f('pk_recall_lots'))
    )


def downgrade():
    op.drop_table('recall_lots')
    op.drop_index(op.f('ix_test_results_sample_id'), table_name='test_results')
    op.drop_table('test_results')
    op.drop_table('retest_requests')
    op.drop_table('recalls')
    op.drop_index('ix_samples_region_sampled', table_name='samples')
    op.drop_index(op.f('ix_samples_lot_id'), table_name='samples')
    op.drop_index(op.f('ix_samples_facility_id'), table_name='samples')
    op.drop_table('samples')
    op.drop_index(op.f('ix_credit_events_facility_id'), table_name='credit_events')
    op.drop_table('credit_events')
    op.drop_index('ix_limits_lookup', table_name='limits')
    op.drop_table('limits')
