"""sample timelines (to the lab, the report, the re-test decision) and re-test results

Revision ID: 7d41c2a9b8e5
Revises: b8d4e6f20c17
Create Date: 2026-11-29 12:00:00+00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '7d41c2a9b8e5'
down_revision = 'b8d4e6f20c17'
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    for name in ('lab_due_at', 'report_due_at', 'delivery_escalated_at', 'report_escalated_at'):
        op.add_column('samples', sa.Column(name, TZ, nullable=True))
    op.add_column('test_results', sa.Column('retest', sa.Boolean(), server_default=sa.false(), nullable=False))
    for name in ('decide_by', 'decided_at', 'escalated_at', 'verdict_at'):
        op.add_column('retest_requests', sa.Column(name, TZ, nullable=True))
    op.add_column('retest_requests', sa.Column('verdict', sa.String(length=12), nullable=True))
    op.create_check_constraint('verdict', 'retest_requests', "verdict IN ('qualified', 'unqualified')")


def downgrade():
    op.drop_constraint(op.f('ck_retest_requests_verdict'), 'retest_requests', type_='check')
    for name in ('verdict', 'verdict_at', 'escalated_at', 'decided_at', 'decide_by'):
        op.drop_column('retest_requests', name)
    op.drop_column('test_results', 'retest')
    for name in ('report_escalated_at', 'delivery_escalated_at', 'report_due_at', 'lab_due_at'):
        op.drop_column('samples', name)
