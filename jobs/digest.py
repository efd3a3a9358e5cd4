"""Digests now, into every home channel with live projects, in every workspace.

Not on the scheduler's tick (scheduled digests are jobs/digests_due.py): `baton digest` runs
it, for all home channels or for the targets it was asked for. What a digest holds and where
"new" starts is models/services/digest_post.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from jobs.context import JobContext
from models.services.digest_post import DigestTarget, digest_targets, post_digest


def run(ctx: JobContext, now: datetime) -> int:
    """A digest for every home channel with live projects; returns how many were queued."""
    with ctx.session() as s:
        targets = digest_targets(s)
    return len(post_each(ctx, targets, now))


def post_each(ctx: JobContext, targets: Sequence[DigestTarget], now: datetime) -> list[int]:
    """One transaction per digest, so a large install never holds one long transaction.
    Returns the queued outbox row ids."""
    queued = []
    for target in targets:
        with ctx.session() as s:
            queued.append(post_digest(s, target, now, ctx.policy))
    return queued
