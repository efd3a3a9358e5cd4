"""Writing the audit trail: events, refusals, and their links in the chain (reading: trail.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from models.audit import AuditChainHead, AuditEvent
from models.base import utcnow
from models.inserts import insert_or_ignore
from models.project import Project
from models.refusals import subject_of
from models.schemas.base import Actor
from models.services.trail import about


def record(
    s: Session, actor: Actor, action: str, project: Project | None = None, **detail: Any
) -> None:
    event = AuditEvent(
        team_id=actor.team_id,
        project_id=project.id if project is not None else None,
        project_key=project.key if project is not None else detail.pop("project_key", None),
        actor=actor.user_id,
        action=action,
        detail=_jsonable(detail),
        created_at=utcnow(),
    )
    s.add(event)
    s.info.setdefault(_PENDING, []).append(event)  # linked into the chain at commit


_PENDING = "baton_audit_unchained"


@sa_event.listens_for(Session, "before_commit")
def _chain_at_commit(s: Session) -> None:
    """Link this transaction's events into their workspaces' chains, in the order recorded.

    Everything else is flushed first, so the chain head is the last lock the transaction
    takes and holds only while it commits: it never waits for another lock while holding it
    (no deadlock), and two processes writing at once still form one chain."""
    if s.in_nested_transaction() or not s.info.get(_PENDING):
        return
    s.flush()
    events = [e for e in s.info.pop(_PENDING) if inspect(e).persistent]  # not rolled back
    for team_id in dict.fromkeys(e.team_id for e in events):
        head = _locked_head(s, team_id)
        last_hash, count = head.head_hash, head.events
        links = []
        mine = [e for e in events if e.team_id == team_id]
        for e in mine:
            digest = e.chain_hash(last_hash)
            count += 1
            links.append({"row": e.id, "prev_hash": last_hash, "hash": digest, "seq": count})
            for key, value in (("prev_hash", last_hash), ("hash", digest), ("seq", count)):
                set_committed_value(e, key, value)
            last_hash = digest
        # Core, not the ORM: audit rows are append-only to the ORM (models/audit.py), and
        # these rows were inserted by this very transaction. One executemany for all.
        s.execute(_LINK_EVENTS, links)
        head.head_hash, head.head_event_id, head.events = last_hash, mine[-1].id, count
        head.updated_at = mine[-1].created_at


def _locked_head(s: Session, team_id: str) -> AuditChainHead:
    """The workspace's chain head, locked until commit: the next writer waits here and then
    links to this transaction's last event. (SQLite: writers are serialised, bot/db.py.)"""
    params = {"team_id": team_id}
    if (head := s.scalars(_LOCKED_HEAD, params).one_or_none()) is not None:
        return head  # every transaction but a workspace's first: one statement, not two
    # A racing first writer's row: its insert waits, then does nothing.
    s.execute(insert_or_ignore(s, AuditChainHead, {"team_id": team_id, "events": 0}))
    return s.scalars(_LOCKED_HEAD, params).one()


# Built once: every audited transaction runs these (composing costs more than running).
_LINK_EVENTS = (
    update(AuditEvent.__table__)
    .where(AuditEvent.__table__.c.id == bindparam("row"))
    .values(prev_hash=bindparam("prev_hash"), hash=bindparam("hash"), seq=bindparam("seq"))
)
_LOCKED_HEAD = (
    select(AuditChainHead)
    .where(AuditChainHead.team_id == bindparam("team_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


def record_refusal(s: Session, actor: Actor, action: str, reason: str, **detail: Any) -> None:
    """Audit a refused request against the project it was about, where the hand-off, alert or
    key it names is one; called in its own transaction, as the refused one rolled back."""
    key = subject_of(detail).project_key  # None for text no key column could hold
    detail.pop("project_key", None)
    project = about(s, actor.team_id, detail, key)
    if project is None and key is not None:
        detail["project_key"] = key  # an unknown key, kept beside the event as typed
    record(s, actor, f"refused.{action}", project, reason=reason, **detail)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
