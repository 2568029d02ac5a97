"""checklist templates: versioned, immutable once published

Revision ID: 386f884c85d5
Revises: a4d6010e1316
Create Date: 2026-11-25 14:02:22.957457+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '386f884c85d5'
down_revision = 'a4d6010e1316'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checklist_templates',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('facility_kinds', sa.ARRAY(sa.String(length=24)), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'published')", name=op.f('ck_checklist_templates_status')),
    sa.CheckConstraint('threshold > 0', name=op.f('ck_checklist_templates_threshold_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_templates')),
    sa.UniqueConstraint('code', 'version', name=op.f('uq_checklist_templates_code_version'))
    )
    op.create_table('checklist_items',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('template_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('text_zh', sa.String(length=500), nullable=False),
    sa.Column('text_en', sa.String(length=500), nullable=False),
    sa.Column('key_item', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_checklist_items_template_id_checklist_templates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_items')),
    sa.UniqueConstraint('template_id', 'code', name=op.f('uq_checklist_items_template_id_code'))
    )
    op.create_index(op.f('ix_checklist_items_template_id'), 'checklist_items', ['template_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_checklist_items_template_id'), table_name='checklist_items')
    op.drop_table('checklist_items')
    op.drop_table('checklist_templates')
