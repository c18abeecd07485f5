"""JSON columns through ops' engines (msgspec both ways): values round-trip, text is stored as UTF-8, and a row the
standard library's encoder wrote before (NaN, \\u escapes) still reads."""

from __future__ import annotations

import math
from pathlib import Path

from sqlalchemy import JSON, Column, Integer, MetaData, Table, insert, select, text

from ops.db import make_engine

metadata = MetaData()
docs = Table("docs", metadata, Column("id", Integer, primary_key=True), Column("doc", JSON))


async def test_json_columns_round_trip_and_read_old_rows(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'json.sqlite3'}", pool=False)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            value = {"name": "Conceição", "skills": {"bo_care": 1}, "tags": ["a", "b"], "score": 2.5, "none": None}
            await conn.execute(insert(docs), [{"id": 1, "doc": value}, {"id": 2, "doc": {"x": math.nan}}])
            # As json.dumps wrote it before: ASCII escapes and a bare NaN.
            await conn.execute(
                text("""INSERT INTO docs (id, doc) VALUES (3, '{"name": "Concei\\u00e7\\u00e3o", "x": NaN}')""")
            )
        async with engine.connect() as conn:
            rows = dict((await conn.execute(select(docs.c.id, docs.c.doc))).tuples().all())
            stored = (await conn.execute(text("SELECT doc FROM docs WHERE id = 1"))).scalar_one()
        assert rows[1] == value
        assert "Conceição" in stored, "stored as UTF-8 text"
        assert rows[2] == {"x": None}, "a non-finite number is stored as null (PostgreSQL refuses NaN in JSON)"
        assert rows[3]["name"] == "Conceição" and math.isnan(rows[3]["x"]), "an old row reads as it was written"
    finally:
        await engine.dispose()
