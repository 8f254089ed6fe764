"""URL parameters of the registry pages: a grid and an import batch in each township."""

from __future__ import annotations

import uuid

from app.extensions import db
from app.households.models import Grid, ImportBatch

PARAMS = {
    "grid_id": lambda town: town.objects.grid.id,
    "batch_id": lambda town: town.objects.import_batch.id,
}


def extend(town) -> None:
    t = town.township
    grid = Grid(id=uuid.uuid4(), township_id=t.id, village_id=town.objects.village.id,
                name="一网格")
    batch = ImportBatch(id=uuid.uuid4(), township_id=t.id, filename="农户.xlsx",
                        suffix=".xlsx", state="refused", bad_rows=[[2, "王", "户主姓名没有填写"]])
    db.session.add_all([grid, batch])
    town.objects.grid = grid
    town.objects.import_batch = batch
    db.session.flush()
