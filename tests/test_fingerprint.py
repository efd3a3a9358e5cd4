"""Database.fingerprint, the cheap 'nothing changed' check of the fuzz tests: any insert,
update (of any column, to any value) or delete changes it; reading changes nothing."""

from __future__ import annotations

from sqlalchemy import select, update

from models import Project
from tests.conftest import Database
from tests.models.conftest import seed_project


def test_a_fingerprint_changes_with_every_kind_of_write_and_only_then(db: Database) -> None:
    empty = db.fingerprint()
    assert empty == db.fingerprint() and set(empty) >= {"projects", "api_tokens"}
    seed_project(db)
    seeded = db.fingerprint()
    assert seeded != empty and seeded == db.fingerprint()
    assert "api_tokens" not in db.fingerprint(without=("api_tokens",))
    with db.session() as s:
        name = s.scalars(select(Project.name)).one()
        s.execute(update(Project).values(name=name + " "))  # one character of one column
    renamed = db.fingerprint()
    assert renamed != seeded and renamed["projects"] != seeded["projects"]
    assert {t: v for t, v in renamed.items() if t != "projects"} == {
        t: v for t, v in seeded.items() if t != "projects"
    }
    with db.session() as s:
        s.execute(update(Project).values(name=name))  # back as it was: the same fingerprint
    assert db.fingerprint() == seeded
    db.clear()  # every row deleted
    assert db.fingerprint() == empty
