"""privacy: public text reviewed before the board; a service item's default 「不公开」

Matters and replies say whether they are on the board yet (pending / published / withheld), with
the reviewer's wording kept apart from the original and the reason for keeping them off. A service
item carries whether its matters are public by default: assistance, health, petition and dispute
items start private. Existing matters of such items, and of the private categories, are taken off
the board (they were published by default, 医疗救助 included).

Revision ID: 0050_privacy_publication
Revises: 0040_registry_lifecycle
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0050_privacy_publication'
down_revision = "0040_registry_lifecycle"
branch_labels = None
depends_on = None

PRIVATE_WORDS = ("低保", "特困", "救助", "救济", "五保", "残疾", "医疗", "医保", "疾病", "大病",
                 "重病", "慢性病", "健康", "信访", "上访", "纠纷", "调解", "家暴", "孤儿", "优抚",
                 "殡葬", "丧葬")


def upgrade():
    for table in ("matters", "replies"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('publication', sa.String(length=10),
                                       server_default='published', nullable=False))
            if table == "matters":
                batch.add_column(sa.Column('public_title', sa.String(length=120), nullable=True))
                batch.add_column(sa.Column('public_description', sa.Text(), nullable=True))
            else:
                batch.add_column(sa.Column('public_wording', sa.Text(), nullable=True))
            batch.add_column(sa.Column('withheld_reason', sa.String(length=500), nullable=True))
    with op.batch_alter_table('service_items') as batch:
        batch.add_column(sa.Column('public_default', sa.Boolean(), server_default=sa.true(),
                                   nullable=False))
    items = sa.table('service_items', sa.column('name', sa.String),
                     sa.column('public_default', sa.Boolean))
    private = sa.or_(*[items.c.name.contains(word) for word in PRIVATE_WORDS])
    op.execute(items.update().where(private).values(public_default=False))
    matters = sa.table('matters', sa.column('township_id', sa.Uuid),
                       sa.column('service_item_id', sa.Uuid), sa.column('category', sa.String),
                       sa.column('is_public', sa.Boolean))
    op.execute(matters.update().where(matters.c.category.in_(("hardship", "dispute",
                                                               "petition")))
               .values(is_public=False))
    service_items = sa.table('service_items', sa.column('township_id', sa.Uuid),
                             sa.column('id', sa.Uuid), sa.column('public_default', sa.Boolean))
    op.execute(matters.update().where(
        matters.c.service_item_id.in_(
            sa.select(service_items.c.id).where(
                service_items.c.township_id == matters.c.township_id,
                service_items.c.public_default.is_(False))))
        .values(is_public=False))


def downgrade():
    with op.batch_alter_table('service_items') as batch:
        batch.drop_column('public_default')
    with op.batch_alter_table('replies') as batch:
        batch.drop_column('withheld_reason')
        batch.drop_column('public_wording')
        batch.drop_column('publication')
    with op.batch_alter_table('matters') as batch:
        batch.drop_column('withheld_reason')
        batch.drop_column('public_description')
        batch.drop_column('public_title')
        batch.drop_column('publication')
