from app.extensions import db
from app.scaleout import citus_statements


def test_citus_statements_distribute_every_tenant_table_and_copy_the_rest(app):
    statements = "\n".join(citus_statements())
    for table in db.metadata.sorted_tables:
        if "township_id" in table.c and table.name != "townships":
            assert f"create_distributed_table('{table.name}', 'township_id'" in statements
        else:
            assert f"create_reference_table('{table.name}')" in statements
    assert statements.count("colocate_with") == statements.count("create_distributed_table") - 1
