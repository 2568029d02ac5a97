"""inspection plans and tasks (routine visits by risk level)

Revision ID: 53029b7325f3
Revises: 386f884c85d5
Create Date: 2026-11-25 14:10:34.974040+00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '53029b7325f3'
down_revision = '386f884c85d5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inspection_plans',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('visits_per_level', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('tasks_created', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_inspection_plans_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_plans')),
    sa.UniqueConstraint('region_code', 'year', name=op.f('uq_inspection_plans_region_code_year'))
    )
    op.create_table('inspection_tasks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('facility_id', sa.Uuid(), nullable=False),
    sa.Column('cell_id', sa.Uuid(), nullable=True),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('assignee_id', sa.Uuid(), nullable=True),
    sa.Column('plan_id', sa.Uuid(), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('routine', 'follow_up', 'sampling', 'recall_verification', 'complaint')", name=op.f('ck_inspection_tasks_kind')),
    sa.CheckConstraint("status IN ('open', 'in_progress', 'done', 'cancelled')", name=op.f('ck_inspection_tasks_status')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_inspection_tasks_assignee_id_users')),
    sa.ForeignKeyConstraint(['cell_id'], ['cells.id'], name=op.f('fk_inspection_tasks_cell_id_cells')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_inspection_tasks_facility_id_facilities')),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_inspection_tasks_plan_id_inspection_plans')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_inspection_tasks_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_tasks')),
    sa.UniqueConstraint('plan_id', 'facility_id', 'sequence', name=op.f('uq_inspection_tasks_plan_id_facility_id_sequence'))
    )
    op.create_index('ix_inspection_tasks_assignee_status', 'inspection_tasks', ['assignee_id', 'status', 'due_at'], unique=False)
    op.create_index('ix_inspection_tasks_cell_status', 'inspection_tasks', ['cell_id', 'status'], unique=False)
    op.create_index(op.f('ix_inspection_tasks_facility_id'), 'inspection_tasks', ['facility_id'], unique=False)
    op.create_index('ix_inspection_tasks_region_due', 'inspection_tasks', ['region_code', 'due_at'], unique=False)


def downgrade():
    op.drop_index('ix_inspection_tasks_region_due', table_name='inspection_tasks')
    op.drop_index(op.f('ix_inspection_tasks_facility_id'), table_name='inspection_tasks')
    op.drop_index('ix_inspection_tasks_cell_status', table_name='inspection_tasks')
    op.drop_index('ix_inspection_tasks_assignee_status', table_name='inspection_tasks')
    op.drop_table('inspection_tasks')
    op.drop_table('inspection_plans')
