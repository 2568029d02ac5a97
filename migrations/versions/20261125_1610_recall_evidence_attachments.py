"""attachments may belong to a recall's scope row (evidence of removal and destruction)

Revision ID: 5b2f0c7d9e31
Revises: 99c9e2cdee8f
Create Date: 2026-11-25 16:10:00+00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '5b2f0c7d9e31'
down_revision = '99c9e2cdee8f'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_constraint(op.f('ck_attachments_owner_type'), 'attachments', type_='check')
    op.create_check_constraint('owner_type', 'attachments', "owner_type IN ('check', 'recall_facility')")


def downgrade():
    op.drop_constraint(op.f('ck_attachments_owner_type'), 'attachments', type_='check')
    op.create_check_constraint('owner_type', 'attachments', "owner_type IN ('check')")
