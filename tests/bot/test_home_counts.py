"""App Home builds full views only of the cards it shows, yet its counts stay exact: more than
CARDS_SHOWN hand-offs waiting, some of them on a stand-in for a lead who is away."""

from __future__ import annotations

from datetime import date

from bot.blocks.home import CARDS_SHOWN
from bot.renderers import home_for
from models.enums import Decision, Role, Stage
from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.services import absences, decisions, handoff_queries, handoffs, projects, roster
from tests.models.conftest import PACKETS
from tests.slackbot.flow import text_of

T = "T_HOME"
CREATOR, REQUESTER, ARCHITECT = "U_CREATOR", "U_DS", "U_ARCH"
SAM, DOM = "U_SAM", "U_DOM"  # Sam leads some projects and stands in for Dom on others
DEVELOP = PACKETS[(Stage.MANAGE, Stage.DEVELOP)]


def _project_with_handoff(db, i: int, domain_lead: str) -> int:
    creator, key = Actor(T, CREATOR), f"p-{i:02d}"
    with db.session() as s:
        projects.create_project(s, creator, key, f"Project {i:02d}", "C_ALL")
        roster.assign_role(s, creator, key, Role.DATA_SCIENTIST, REQUESTER, lead=True)
        roster.assign_role(s, creator, key, Role.ML_ARCHITECT, ARCHITECT, lead=True)
        roster.assign_role(s, creator, key, Role.DOMAIN_EXPERT, domain_lead, lead=True)
    with db.session() as s:
        view = handoffs.request_handoff(s, Actor(T, REQUESTER), key, None, DEVELOP, DEFAULT_POLICY)
    return view.id


def test_the_count_of_signoffs_waiting_is_exact_beyond_the_cards_shown(db, clock):
    led = [_project_with_handoff(db, i, SAM) for i in range(6)]  # Sam leads: 6
    stood_in = [_project_with_handoff(db, i, DOM) for i in range(6, 11)]  # Dom leads: 5
    with db.session() as s:  # Sam decides one of his own: no longer waiting on him
        decisions.decide(s, Actor(T, SAM), led[0], Decision.APPROVED, DEFAULT_POLICY)
    with db.session() as s:  # Dom goes away: Sam signs for him on the other five
        absences.go_away(
            s, Actor(T, DOM), date(2026, 3, 20), SAM, "Conference", clock.now(), DEFAULT_POLICY
        )
    waiting = led[1:] + stood_in  # oldest first
    assert len(waiting) == 10 > CARDS_SHOWN

    with db.session() as s:
        said = text_of(home_for(s, T, SAM, DEFAULT_POLICY))
        full = handoff_queries.pending_signoffs(s, T, SAM, DEFAULT_POLICY)  # every view built
    assert [v.id for v in full] == waiting  # the full read agrees with what is expected
    assert "Waiting on your sign-off (10)" in said
    assert "…and 2 more" in said
    # The cards shown are the oldest eight, in order: five of Sam's own, then three stand-ins.
    shown = [f"Project {i:02d}" for i in range(1, 9)]
    assert [said.index(f"*{name}*") for name in shown] == sorted(
        said.index(f"*{name}*") for name in shown
    )
    assert "*Project 09*" not in said and "*Project 10*" not in said
    assert said.count(f"for {DOM} (away)") == 3  # the stand-in cards say for whom

    with db.session() as s:  # Dom back: the five are his again, Sam's own five are left
        absences.come_back(s, Actor(T, DOM), clock.now(), DEFAULT_POLICY)
    with db.session() as s:
        assert "Waiting on your sign-off (5)" in text_of(home_for(s, T, SAM, DEFAULT_POLICY))
        dom_home = text_of(home_for(s, T, DOM, DEFAULT_POLICY))
    assert "Waiting on your sign-off (5)" in dom_home and "(lead)" in dom_home
