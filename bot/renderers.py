"""Notification class → what delivering it asks of Slack, rendered from current state.

One registry, keyed by the classes of models/notifications.py: `@renders(Kind)` on a function
`(delivery, note) -> Plan`. Hand-off cards are posted once and then edited in place: their
posts keep a message ref, and an update edits every ref older than the hand-off's version.
tests/bot/test_notifications.py checks every Slack notification has exactly one renderer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from bot.blocks import absences as absence_blocks
from bot.blocks import alerts as alert_blocks
from bot.blocks import handoff as handoff_blocks
from bot.blocks import mlflow as mlflow_blocks
from bot.blocks import roster as roster_blocks
from bot.blocks.digest import digest_message
from bot.blocks.home import CARDS_SHOWN, PROJECTS_SHOWN, RESUBMITS_SHOWN, home_view
from bot.blocks.reminders import escalation_message, reminder_message, snoozed_reminder_message
from bot.plans import Plan, Post, Publish, Update
from models.base import utcnow
from models.enums import OutboxStatus
from models.handoff import Handoff
from models.notifications import (
    AlertEscalated,
    AlertOpened,
    AlertResolved,
    AlertUpdated,
    ChangesRequested,
    DigestPost,
    HandoffClosed,
    HandoffReceived,
    HandoffRequested,
    HandoffResubmitted,
    HandoffUpdated,
    HomeRefresh,
    MlflowAliasFailed,
    MlflowAliasSet,
    MlflowAliasUnsigned,
    Notification,
    OverseerNamed,
    ProjectAdvanced,
    ReminderSnoozed,
    RoleAssigned,
    RosterCheck,
    SignoffEscalation,
    SignoffReminder,
    SignoffRequested,
    StandInEnded,
    WelcomeBack,
)
from models.outbox import OutboxMessage
from models.policy import Policy
from models.project import Project
from models.schemas.monitoring import AlertView
from models.schemas.projects import HandoffView
from models.services import absences, handoff_queries, roster, roster_health, snoozes
from models.services.handoff_queries import view_by_id
from models.services.monitoring import alert_view
from models.workspace import MessageRef

Payload = dict[str, Any]
N = TypeVar("N", bound=Notification)
Renderer = Callable[["Delivery", Any], Plan]

RENDERERS: dict[type[Notification], Renderer] = {}
# At most one App Home publish per person per this many seconds (the first at once, the last of
# a burst after the wait): one Approve refreshes every signer's and the requester's Home, and
# each render reads all they lead, so twenty sign-offs on a release day rendered sixty Homes
# nobody could read between two of them. Two seconds is below the time it takes to switch to
# the Home tab, so the Home someone opens after a click is current.
HOME_PUBLISH_SECONDS = 2.0
CARD_POSTS = (HandoffRequested, SignoffRequested)


def renders(*kinds: type[N]) -> Callable[[Callable[[Delivery, N], Plan]], Renderer]:
    def add(render: Callable[[Delivery, N], Plan]) -> Renderer:
        for kind in kinds:
            if kind in RENDERERS:
                raise TypeError(f"{kind.__name__} has a renderer already")
            RENDERERS[kind] = render
        return render

    return add


@dataclass(frozen=True)
class Delivery:
    """The row being delivered, and the reads its renderer needs."""

    s: Session
    row: OutboxMessage
    policy: Policy
    admins: frozenset[str] = frozenset()  # from configuration: App Home offers them more

    @property
    def target(self) -> str:
        return self.row.channel_id or self.row.user_id or ""

    def handoff(self, handoff_id: int) -> HandoffView:
        return view_by_id(self.s, self.row.team_id, handoff_id, self.policy)

    def alert(self, alert_id: int) -> AlertView:
        return alert_view(self.s, self.row.team_id, alert_id)

    def open_handoffs(self, ids: list[int]) -> list[HandoffView]:
        """These hand-offs, those still open, as they stand now, oldest first."""
        wanted = set(ids)
        if not wanted:
            return []
        return handoff_queries.open_handoffs(self.s, self.row.team_id, self.policy, ids=wanted)

    def project_key(self, project_id: int) -> str:
        project = self.s.get(Project, project_id)
        return project.key if project is not None else "?"

    def post(self, payload: Payload, **keep: Any) -> Plan:
        return Plan([Post(self.target, payload, **keep)])


# -- hand-off cards ------------------------------------------------------------------------------
@renders(*CARD_POSTS)
def card_post(d: Delivery, note: HandoffRequested | SignoffRequested) -> Plan:
    view = d.handoff(note.handoff_id)
    return d.post(handoff_blocks.card_message(view), handoff_id=view.id, version=view.version)


@renders(HandoffUpdated, HandoffResubmitted)
def card_update(d: Delivery, note: HandoffUpdated | HandoffResubmitted) -> Plan:
    """Every posted copy not yet showing the hand-off's current version, edited in place."""
    if _card_unposted(d, note.handoff_id):
        return Plan(defer_seconds=2.0)
    team = d.row.team_id
    version = d.s.scalar(
        select(Handoff.version).where(Handoff.team_id == team, Handoff.id == note.handoff_id)
    )
    refs = d.s.scalars(
        select(MessageRef).where(
            MessageRef.team_id == team,
            MessageRef.handoff_id == note.handoff_id,
            MessageRef.rendered_version < (version or 0),  # coalesced: shown already → skip
        )
    ).all()
    if not refs:  # nothing posted, or every copy already current: no need to render
        return Plan()
    view = d.handoff(note.handoff_id)
    payload = handoff_blocks.card_message(view)
    return Plan([Update(r.id, r.channel_id, r.ts, payload, view.version) for r in refs])


def _card_unposted(d: Delivery, handoff_id: int) -> bool:
    """An earlier post of this card still queued: the update waits for its message ref."""
    earlier = d.s.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.handoff_id == handoff_id,
            OutboxMessage.topic.in_([kind.topic for kind in CARD_POSTS]),
            OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
            OutboxMessage.id < d.row.id,
        )
    )
    return earlier is not None


@renders(SignoffReminder)
def signoff_reminder(d: Delivery, note: SignoffReminder) -> Plan:
    # A reminder carries the card's buttons, so it is a copy updated in place like the others.
    view = d.handoff(note.handoff_id)
    payload = reminder_message(view, note.role, note.hours_overdue)
    return d.post(payload, handoff_id=view.id, version=view.version)


@renders(ReminderSnoozed)
def reminder_snoozed(d: Delivery, note: ReminderSnoozed) -> Plan:
    """The reminder the snooze was asked from, edited from the snooze as it stands now."""
    view = d.handoff(note.handoff_id)
    team = d.row.team_id
    latest = snoozes.latest_snooze(d.s, team, view.id, view.round, note.user)
    payload = snoozed_reminder_message(view, note.user, latest, utcnow())
    ref = d.s.scalar(
        select(MessageRef.id).where(
            MessageRef.team_id == team,
            MessageRef.channel_id == d.target,
            MessageRef.ts == note.ts,
            MessageRef.handoff_id == view.id,
        )
    )
    return Plan([Update(ref, d.target, note.ts, payload, view.version)])


@renders(SignoffEscalation)
def signoff_escalation(d: Delivery, note: SignoffEscalation) -> Plan:
    view = d.handoff(note.handoff_id)
    return d.post(escalation_message(view, note.role, note.approver, note.architect, note.snoozed))


# -- hand-off outcomes ---------------------------------------------------------------------------
@renders(ChangesRequested)
def changes_requested(d: Delivery, note: ChangesRequested) -> Plan:
    # A tracked copy, like a reminder: once resubmitted or closed it is edited into the card,
    # so no stale Resubmit button is left in the requester's DM.
    view = d.handoff(note.handoff_id)
    payload = handoff_blocks.changes_requested_message(view, note.by)
    return d.post(payload, handoff_id=view.id, version=view.version)


@renders(HandoffClosed)
def handoff_closed(d: Delivery, note: HandoffClosed) -> Plan:
    view = d.handoff(note.handoff_id)
    to_requester = d.row.user_id is not None
    return d.post(handoff_blocks.closed_message(view, note.by, to_requester=to_requester))


@renders(ProjectAdvanced)
def project_advanced(d: Delivery, note: ProjectAdvanced) -> Plan:
    key = d.project_key(note.project_id)
    return d.post(handoff_blocks.advanced_message(key, note.stage_from, note.stage_to))


@renders(HandoffReceived)
def handoff_received(d: Delivery, note: HandoffReceived) -> Plan:
    return d.post(handoff_blocks.received_message(d.handoff(note.handoff_id)))


@renders(RoleAssigned)
def role_assigned(d: Delivery, note: RoleAssigned) -> Plan:
    key = d.project_key(note.project_id)
    return d.post(handoff_blocks.role_assigned_message(key, note.role.label, note.lead, note.by))


@renders(RosterCheck)
def roster_check(d: Delivery, note: RosterCheck) -> Plan:
    return d.post(roster_blocks.roster_check_message(note.gap))


@renders(OverseerNamed)
def overseer_named(d: Delivery, note: OverseerNamed) -> Plan:
    return d.post(handoff_blocks.overseer_named_message(d.project_key(note.project_id), note.by))


@renders(WelcomeBack)
def welcome_back(d: Delivery, note: WelcomeBack) -> Plan:
    views = d.open_handoffs(note.handoff_ids)
    return d.post(absence_blocks.welcome_back_message(d.target, note.until, views))


@renders(StandInEnded)
def stand_in_ended(d: Delivery, note: StandInEnded) -> Plan:
    views = d.open_handoffs(note.handoff_ids)
    return d.post(absence_blocks.stand_in_ended_message(note.lead, views))


@renders(DigestPost)
def digest(d: Delivery, note: DigestPost) -> Plan:
    return d.post(digest_message(note.digest))


# -- alerts --------------------------------------------------------------------------------------
@renders(AlertOpened)
def alert_opened(d: Delivery, note: AlertOpened) -> Plan:
    return d.post(alert_blocks.opened_message(d.alert(note.alert_id)), alert_id=note.alert_id)


@renders(AlertResolved)
def alert_resolved(d: Delivery, note: AlertResolved) -> Plan:
    """The answer in the alert's thread, and the alert itself edited: recovered, no buttons."""
    view = d.alert(note.alert_id)
    reply = Post(d.target, alert_blocks.resolved_message(view, note.value))
    return Plan([reply, *_alert_edits(view)])


@renders(AlertUpdated)
def alert_updated(d: Delivery, note: AlertUpdated) -> Plan:
    return Plan(_alert_edits(d.alert(note.alert_id)))


def _alert_edits(view: AlertView) -> list[Post | Update]:
    """The alert's message, edited to the alert as it stands (nothing while unposted: its
    post, queued earlier to the same channel, renders the current state itself)."""
    if not (view.message_ts and view.message_channel):
        return []
    payload = alert_blocks.opened_message(view)
    return [Update(None, view.message_channel, view.message_ts, payload)]


@renders(AlertEscalated)
def alert_escalated(d: Delivery, note: AlertEscalated) -> Plan:
    return d.post(alert_blocks.escalated_message(d.alert(note.alert_id), note.architect))


# -- MLflow --------------------------------------------------------------------------------------
@renders(MlflowAliasSet)
def mlflow_alias_set(d: Delivery, note: MlflowAliasSet) -> Plan:
    key = d.project_key(note.project_id)
    handoff = note.handoff_id or 0
    return d.post(
        mlflow_blocks.alias_set_message(key, note.model, note.version, note.alias, handoff)
    )


@renders(MlflowAliasFailed)
def mlflow_alias_failed(d: Delivery, note: MlflowAliasFailed) -> Plan:
    key = d.project_key(note.project_id)
    return d.post(
        mlflow_blocks.alias_failed_message(
            key, note.model, note.version, note.alias, note.error, note.final
        )
    )


@renders(MlflowAliasUnsigned)
def mlflow_alias_unsigned(d: Delivery, note: MlflowAliasUnsigned) -> Plan:
    key = d.project_key(note.project_id)
    return d.post(mlflow_blocks.alias_unsigned_message(key, note.model, note.version, note.alias))


# -- App Home ------------------------------------------------------------------------------------
# Built once (composing a statement costs more CPU than running it): every Approve defers a few.
_PERSONS_HOME = (
    OutboxMessage.team_id == bindparam("home_team"),
    OutboxMessage.user_id == bindparam("home_user"),
    OutboxMessage.topic == HomeRefresh.topic,
)
_LATER_REFRESH = select(OutboxMessage.id).where(
    *_PERSONS_HOME,
    OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
    OutboxMessage.id > bindparam("home_row"),
)
# The last publish is read from the outbox, not kept in memory, so every replica's deliverer
# throttles the same person alike: the latest sent_at of their refreshes, which only one that
# really called views.publish has (a moot one is sent without a call, sent_at NULL:
# bot/delivery.py). Indexed (migration 0013): the outbox only grows.
_LAST_PUBLISH = select(func.max(OutboxMessage.sent_at)).where(
    *_PERSONS_HOME,
    OutboxMessage.status == OutboxStatus.SENT,
    OutboxMessage.sent_at.is_not(None),
)
# Earlier refreshes still waiting are moot once a later one waits: marked sent (no call, so no
# sent_at) at once, not each claimed again when its wait ends. Only unclaimed ones: a row
# another deliverer holds is left to it.
_MOOT_EARLIER = (
    update(OutboxMessage)
    .where(
        *_PERSONS_HOME,
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.id < bindparam("home_row"),
    )
    .values(status=OutboxStatus.SENT, attempts=OutboxMessage.attempts + 1, last_error=None)
    .execution_options(synchronize_session=False)
)


@renders(HomeRefresh)
def home_refresh(d: Delivery, note: HomeRefresh) -> Plan:
    """Rendered now, from current state; a later refresh still queued makes this one moot, and
    one within HOME_PUBLISH_SECONDS of the person's last publish waits for its end."""
    row = d.row
    if not row.user_id:
        return Plan()
    person = {"home_team": row.team_id, "home_user": row.user_id, "home_row": row.id}
    if d.s.scalar(_LATER_REFRESH, person) is not None:
        return Plan()
    last = d.s.scalar(_LAST_PUBLISH, person)
    wait = 0.0 if last is None else (last - utcnow()).total_seconds() + HOME_PUBLISH_SECONDS
    if wait > 0:  # deferred, not dropped: it is the trailing publish, unless a later moots it
        d.s.execute(_MOOT_EARLIER, person)
        return Plan(defer_seconds=wait)
    home = home_for(d.s, row.team_id, row.user_id, d.policy, is_admin=row.user_id in d.admins)
    return Plan([Publish(row.user_id, home)])


def home_for(
    s: Session, team_id: str, user_id: str, policy: Policy, *, is_admin: bool = False
) -> Payload:
    """One person's App Home view, from current state (published, not posted)."""
    mine = roster.my_projects(s, team_id, user_id, is_admin=is_admin)
    keys = {p.key for p in mine[:PROJECTS_SHOWN]}  # the projects Home lists
    # Only the hand-offs that concern this person, and full views only of those Home shows
    # (its counts stay exact): each sign-off refreshes several Homes, and a workspace may hold
    # thousands of open ones.
    shown = handoff_queries.home_handoffs(
        s, team_id, user_id, policy, keys, cards=CARDS_SHOWN, resubmits=RESUBMITS_SHOWN
    )
    gaps = roster_health.gaps_by_key(s, team_id, sorted(keys), policy)  # of the listed ones
    now = utcnow()
    away = absences.current_absence(s, team_id, user_id, now)
    return home_view(
        shown.pending,
        mine,
        now,
        shown.resubmit,
        shown.open_by_key,
        gaps,
        away,
        viewer=user_id,
        pending_count=shown.pending_count,
        resubmit_count=shown.resubmit_count,
    )
