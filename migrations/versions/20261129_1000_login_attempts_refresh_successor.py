"""login attempts counted per username (known or not), atomically; refresh tokens keep
their successor sealed for the reuse window

Revision ID: 7c1e4a9b2d60
Revises: 5b2f0c7d9e31
Create Date: 2026-11-29 10:00:00+00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7c1e4a9b2d60'
down_revision = '5b2f0c7d9e31'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_attempts',
        sa.Column('username', sa.Text(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('username', name=op.f('pk_login_attempts')),
    )
    # Carry current lockouts over, so an upgrade does not unlock anyone (a locked account's
    # attempts are past any LOGIN_MAX_FAILURES).
    op.execute("INSERT INTO login_attempts (username, attempts, locked_until, updated_at) "
               "SELECT username, CASE WHEN locked_until > now() THEN 1000000 ELSE failed_logins END, "
               "locked_until, now() FROM users "
               "WHERE failed_logins > 0 OR locked_until > now()")
    op.drop_column('users', 'failed_logins')
    op.drop_column('users', 'locked_until')
    op.add_column('refresh_tokens', sa.Column('successor_sealed', sa.LargeBinary(), nullable=True))


def downgrade():
    op.drop_column('refresh_tokens', 'successor_sealed')
    op.add_column('users', sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
    op.alter_column('users', 'failed_logins', server_default=None)
    op.execute("UPDATE users SET locked_until = a.locked_until FROM login_attempts a "
               "WHERE a.username = users.username")
    op.drop_table('login_attempts')
