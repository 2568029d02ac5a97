"""recalls: number, kind, deadlines, scope facilities, actions; outbox and notifications; task escalation

Revision ID: 99c9e2cdee8f
Revises: d44f11ab52fe
Create Date: 2026-11-25 15:33:17.051330+00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '99c9e2cdee8f'
down_revision = 'd44f11ab52fe'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('available_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    op.create_index('ix_outbox_pending', 'outbox', ['available_at'], unique=False, postgresql_where=sa.text('processed_at IS NULL'))
    op.create_table('notifications',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('outbox_id', sa.BigInteger(), nullable=True),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_notifications_outbox_id_outbox')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    op.create_index('ix_notifications_user_unread', 'notifications', ['user_id', 'read_at', 'created_at'], unique=False)
    op.create_index('uq_notifications_outbox_user', 'notifications', ['outbox_id', 'user_id'], unique=True)
    op.create_table('recall_actions',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('recall_id', sa.Uuid(), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=False),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recall_id'], ['recalls.id'], name=op.f('fk_recall_actions_recall_id_recalls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recall_actions'))
    )
    op.create_index(op.f('ix_recall_actions_recall_id'), 'recall_actions', ['recall_id'], unique=False)
    op.create_table('recall_facilities',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('recall_id', sa.Uuid(), nullable=False),
    sa.Column('facility_id', sa.Uuid(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('distributed', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('recovered', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('destroyed', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('task_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'verified', 'waived')", name=op.f('ck_recall_facilities_status')),
    sa.CheckConstraint('recovered + destroyed <= distributed', name=op.f('ck_recall_facilities_within_distributed')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_recall_facilities_facility_id_facilities')),
    sa.ForeignKeyConstraint(['recall_id'], ['recalls.id'], name=op.f('fk_recall_facilities_recall_id_recalls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['inspection_tasks.id'], name=op.f('fk_recall_facilities_task_id_inspection_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recall_facilities')),
    sa.UniqueConstraint('recall_id', 'facility_id', name=op.f('uq_recall_facilities_recall_id_facility_id'))
    )
    op.create_index(op.f('ix_recall_facilities_facility_id'), 'recall_facilities', ['facility_id'], unique=False)
    op.add_column('inspection_tasks', sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('recalls', sa.Column('number', sa.String(length=32), nullable=True))
    op.add_column('recalls', sa.Column('kind', sa.String(length=16), nullable=True))
    op.add_column('recalls', sa.Column('hazard', sa.Text(), nullable=True))
    op.add_column('recalls', sa.Column('notice', sa.Text(), nullable=True))
    op.add_column('recalls', sa.Column('initiated_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('recalls', sa.Column('start_deadline', sa.DateTime(timezone=True), nullable=True))
    op.add_column('recalls', sa.Column('complete_deadline', sa.DateTime(timezone=True), nullable=True))
    op.add_column('recalls', sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('recalls', sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('recalls', sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('recalls', sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                                       nullable=False))  # filled for existing proposals
    op.alter_column('recalls', 'updated_at', server_default=None)
    op.create_unique_constraint(op.f('uq_recalls_number'), 'recalls', ['number'])


def downgrade():
    op.drop_constraint(op.f('uq_recalls_number'), 'recalls', type_='unique')
    op.drop_column('recalls', 'updated_at')
    op.drop_column('recalls', 'escalated_at')
    op.drop_column('recalls', 'closed_at')
    op.drop_column('recalls', 'completed_at')
    op.drop_column('recalls', 'complete_deadline')
    op.drop_column('recalls', 'start_deadline')
    op.drop_column('recalls', 'initiated_at')
    op.drop_column('recalls', 'notice')
    op.drop_column('recalls', 'hazard')
    op.drop_column('recalls', 'kind')
    op.drop_column('recalls', 'number')
    op.drop_column('inspection_tasks', 'escalated_at')
    op.drop_index(op.f('ix_recall_facilities_facility_id'), table_name='recall_facilities')
    op.drop_table('recall_facilities')
    op.drop_index(op.f('ix_recall_actions_recall_id'), table_name='recall_actions')
    op.drop_table('recall_actions')
    op.drop_index('uq_notifications_outbox_user', table_name='notifications')
    op.drop_index('ix_notifications_user_unread', table_name='notifications')
    op.drop_table('notifications')
    op.drop_index('ix_outbox_pending', table_name='outbox', postgresql_where=sa.text('processed_at IS NULL'))
    op.drop_table('outbox')
