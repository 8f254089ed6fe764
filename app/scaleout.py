"""Scale-out on Citus (DESIGN §9): the statements that distribute the schema by township.

Tenant tables become distributed tables on `township_id`, co-located so joins inside one township
stay on one node; platform tables (townships, users, ...) become reference tables copied to every
node. The statements are derived from the models, so a new table is never forgotten.
"""

from __future__ import annotations

from app.extensions import db

DISTRIBUTION_COLUMN = "township_id"


def citus_statements() -> list[str]:
    reference, distributed = [], []
    for table in db.metadata.sorted_tables:
        if DISTRIBUTION_COLUMN in table.c and table.name != "townships":
            distributed.append(table.name)
        else:
            reference.append(table.name)
    statements = ["CREATE EXTENSION IF NOT EXISTS citus;"]
    statements += [f"SELECT create_reference_table('{name}');" for name in reference]
    first, *rest = distributed
    statements.append(f"SELECT create_distributed_table('{first}', '{DISTRIBUTION_COLUMN}');")
    statements += [
        f"SELECT create_distributed_table('{name}', '{DISTRIBUTION_COLUMN}', "
        f"colocate_with => '{first}');"
        for name in rest
    ]
    return statements
