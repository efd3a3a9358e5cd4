"""People's names from Slack (users.info), cached in slack_users for exports and dossiers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from models.people import Profile
from models.sentences import SYSTEM_ACTORS
from models.services import people

log = logging.getLogger(__name__)
LOOKUPS_PER_CALL = 200  # a dossier names a few dozen people; never thousands of calls


def fill_names(
    client: WebClient,
    session: Callable[[], AbstractContextManager[Session]],
    team_id: str,
    user_ids: Iterable[str],
    most: int = LOOKUPS_PER_CALL,
) -> int:
    """Look up the ids with no cached name; returns how many were added. Slack being down or
    an unknown id leaves the id shown as it is: an export never fails for want of a name.
    At most `most` lookups: a slash command answers within Slack's 3 seconds."""
    with session() as s:
        wanted = people.unknown(s, team_id, [u for u in user_ids if u not in SYSTEM_ACTORS])
    found: dict[str, str] = {}
    for user_id in wanted[:most]:
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            log.info("names: users.info %s: %s", user_id, exc.response.get("error"))
            continue
        except OSError as exc:
            log.warning("names: Slack unreachable (%s); names stay as ids", exc)
            break
        profile = user.get("profile") or {}
        name = profile.get("real_name") or user.get("real_name") or user.get("name")
        if name:
            found[user_id] = str(name)
    if found:
        with session() as s:
            for user_id, name in found.items():
                people.remember(s, team_id, user_id, name)
    return len(found)


def profile_lookup(
    client: WebClient, session: Callable[[], AbstractContextManager[Session]]
) -> Callable[[str, str], Profile | None]:
    """users.info for one person, their zone cached beside their name; None when Slack cannot
    say (down, unknown id), so a check never reports someone gone on a guess."""

    def lookup(team_id: str, user_id: str) -> Profile | None:
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            log.info("profiles: users.info %s: %s", user_id, exc.response.get("error"))
            return None
        except OSError as exc:
            log.warning("profiles: Slack unreachable (%s)", exc)
            return None
        profile = Profile(tz=user.get("tz") or None, deleted=bool(user.get("deleted")))
        name = (user.get("profile") or {}).get("real_name") or user.get("name") or user_id
        with session() as s:
            people.remember(s, team_id, user_id, str(name), tz=profile.tz)
        return profile

    return lookup


LOOKUP_SECONDS = 1  # inside the submission's 3 s: Slack slow to say means "no objection"


def unfit_delegate(client: WebClient, user_id: str) -> str | None:
    """Why Slack says this person cannot sign (an app, or gone), or None; Slack unsure: None.
    Asked with a short timeout and no retries: the modal must be answered within 3 s."""
    quick = WebClient(token=client.token, base_url=client.base_url, timeout=LOOKUP_SECONDS)
    try:
        person = quick.users_info(user=user_id)["user"]
    except (SlackApiError, OSError) as exc:
        log.info("delegate check: users.info %s failed: %s", user_id, type(exc).__name__)
        return None
    if person.get("is_bot"):
        return "An app cannot sign off: name a person as your delegate, or nobody."
    if person.get("deleted"):
        return "That person has left the workspace: name someone else, or nobody."
    return None
