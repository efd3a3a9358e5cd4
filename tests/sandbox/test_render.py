"""Block Kit → HTML for the sandbox page: what a reader sees, and that text never becomes markup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from bot.blocks import kit
from bot.blocks.handoff import card_message, form_view
from bot.blocks.text import escape
from bot.sandbox.mrkdwn import Directory, mrkdwn_to_html
from bot.sandbox.payloads import missing_required, state_values
from bot.sandbox.render import Form, blocks_html
from bot.sandbox.surfaces import message_html, modal_html
from bot.sandbox.workspace import Message, View
from models.enums import HandoffStatus, Role, Stage
from models.policy import DEFAULT_POLICY
from models.schemas.projects import HandoffView, PacketLine, SignOffLine

NAMES = Directory(
    users={"UDANA": "Dana Reyes", "ULENA": "Lena Fischer"}, channels={"CCHURN": "churn-model"}
)
SAFE_TAGS = {"strong", "em", "del", "code", "pre", "span"}


class Tags(HTMLParser):
    """Every tag and attribute in a fragment, and its visible text."""

    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(fragment)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def names(self) -> set[str]:
        return {tag for tag, _ in self.tags}

    @property
    def visible(self) -> str:
        return "".join(self.text)


def md(text: str) -> str:
    return mrkdwn_to_html(text, NAMES)


# -- escaping: text typed by people stays text ---------------------------------------------------


def test_script_typed_by_a_user_shows_as_text():
    html = md(escape("<script>alert('x')</script> & more"))
    assert "<script" not in html
    assert Tags(html).names == set()
    assert Tags(html).visible == "<script>alert('x')</script> & more"


def test_raw_script_token_is_shown_literally_not_run():
    html = md("<script>")
    assert html == "&lt;script&gt;"


def test_escaped_channel_broadcast_is_text_not_a_ping():
    typed = md(escape("ping <!channel> now"))
    assert "bk-broadcast" not in typed
    assert Tags(typed).visible == "ping <!channel> now"
    sent_by_app = md("<!channel> heads up")
    assert '<span class="bk-mention bk-broadcast">@channel</span>' in sent_by_app


def test_an_escaped_mention_is_not_a_mention():
    html = md(escape("<@UDANA>"))
    assert "bk-mention" not in html
    assert Tags(html).visible == "<@UDANA>"


def test_link_urls_are_escaped_and_only_safe_schemes_link():
    html = md('<https://example.test/?a=1&amp;b="x"|the "report">')
    [(tag, attrs)] = Tags(html).tags
    assert tag == "a" and attrs["href"] == 'https://example.test/?a=1&b="x"'
    assert Tags(html).visible == 'the "report"'
    assert "<a" not in md("<javascript:alert(1)|click me>")
    assert Tags(md("<javascript:alert(1)|click me>")).visible == "<javascript:alert(1)|click me>"


@given(st.text())
def test_any_escaped_text_yields_only_formatting_tags(text):
    tags = Tags(md(escape(text)))
    assert tags.names <= SAFE_TAGS
    assert all(set(attrs) <= {"class"} for _, attrs in tags.tags)


# -- mrkdwn basics --------------------------------------------------------------------------------


def test_bold_italic_strike_and_code():
    html = md("*bold* and _italic_ and ~gone~ and `x < y`")
    assert html == (
        "<strong>bold</strong> and <em>italic</em> and <del>gone</del> and "
        '<code class="bk-code">x &lt; y</code>'
    )


def test_nothing_is_formatted_inside_code():
    assert md("`*not bold*`") == '<code class="bk-code">*not bold*</code>'
    assert md("```a *b*\n_c_```") == '<pre class="bk-pre">a *b*\n_c_</pre>'


def test_snake_case_and_lone_markers_stay_plain():
    assert md("use data_source_name and 2 * 3 * 4") == "use data_source_name and 2 * 3 * 4"


def test_mentions_show_names_and_channels_their_names():
    html = md("<@UDANA> asked <@ULENA> in <#CCHURN>")
    assert Tags(html).visible == "@Dana Reyes asked @Lena Fischer in #churn-model"


def test_unknown_people_fall_back_to_their_label_then_id():
    assert Tags(md("<@UNEW|newbie> and <@UGHOST>")).visible == "@newbie and @UGHOST"


def test_bold_around_a_mention():
    assert md("*<@UDANA>*") == '<strong><span class="bk-mention">@Dana Reyes</span></strong>'


def test_emoji_names_become_emoji_and_unknown_ones_stay():
    assert md(":rocket: :no_such_emoji:") == "🚀 :no_such_emoji:"


def test_dates_show_the_fallback_format_filled_in():
    when = int(datetime(2026, 5, 1, 12, tzinfo=UTC).timestamp())
    tags = Tags(md(f"due <!date^{when}^{{date_num}}|2026-05-01 12:00 UTC>"))
    assert tags.names == {"time"}
    assert tags.visible.startswith("due 2026-05-0")


def test_quotes_become_quote_lines():
    assert md("&gt; said so\nreply") == '<span class="bk-quote">said so</span>\nreply'


# -- blocks ---------------------------------------------------------------------------------------


def test_header_section_fields_context_divider():
    blocks = [
        kit.header("Weekly <digest>"),
        kit.section("*Owner*: <@UDANA>"),
        *kit.fields(["*Stage*\nmanage", "*Due*\nsoon"]),
        kit.context("round 1", "by <@ULENA>"),
        kit.divider(),
    ]
    html = blocks_html(blocks, NAMES)
    assert '<h3 class="bk-header">Weekly &lt;digest&gt;</h3>' in html
    assert "<strong>Owner</strong>: <span" in html
    assert html.count('class="bk-field"') == 2
    assert '<div class="bk-context"><span>round 1</span>' in html
    assert '<hr class="bk-divider">' in html


def test_buttons_carry_ids_but_never_their_value():
    block = kit.actions(
        "handoff.decide.7",
        kit.button("Approve", "handoff.approve", "7", "primary"),
        kit.button("Reject", "handoff.reject", "secret-value", "danger"),
    )
    html = blocks_html([block], NAMES)
    assert 'data-action-id="handoff.approve"' in html and 'data-block-id="handoff.decide.7"' in html
    assert 'class="bk-btn bk-primary"' in html and 'class="bk-btn bk-danger"' in html
    assert "secret-value" not in html


def test_unknown_block_types_are_named_not_dropped():
    html = blocks_html([{"type": "<video>"}], NAMES)
    assert "&lt;video&gt;" in html and "<video" not in html


def test_a_handoff_card_renders_user_text_as_text():
    view = _handoff(project_name="<b>Churn</b>", objective="drop <!here> & <@UDANA>")
    html = blocks_html(card_message(view)["blocks"], NAMES)
    assert "<b>" not in html and "&lt;b&gt;Churn&lt;/b&gt;" in html
    assert "bk-broadcast" not in html
    assert "drop &lt;!here&gt; &amp; &lt;@UDANA&gt;" in html
    assert 'pending, <span class="bk-mention">@Lena Fischer</span>' in html


# -- modals: forms with inputs, selects, date pickers and inline errors -------------------------


def test_handoff_form_has_a_labelled_control_per_field():
    transition = DEFAULT_POLICY.transition(Stage.MANAGE)
    payload = form_view("churn-model", transition, {"objective": "A <b> goal"}, False)
    html = modal_html(View("V1", "UDANA", payload, "h1"), NAMES)
    tags = Tags(html)
    controls = [a for t, a in tags.tags if t in ("input", "textarea")]
    assert [c["data-block-id"] for c in controls] == [
        "objective",
        "success_metric",
        "data_sources",
        "target_date",
    ]
    assert ("textarea", "objective") in [(t, a.get("data-block-id")) for t, a in tags.tags]
    assert "A &lt;b&gt; goal</textarea>" in html
    assert 'class="modal-title">Request hand-off<' in html
    assert '<button type="submit" class="bk-btn bk-primary">Request</button>' in html


def test_select_and_datepicker_show_their_initial_choice():
    select = {
        "type": "static_select",
        "action_id": "pick",
        "options": [_option("Develop", "develop"), _option("Deploy <x>", "deploy")],
        "initial_option": _option("Deploy <x>", "deploy"),
    }
    date = {"type": "datepicker", "action_id": "when", "initial_date": "2026-05-01"}
    blocks = [_input("stage", select), _input("due", date, optional=True)]
    html = blocks_html(blocks, NAMES)
    assert '<option value="deploy" selected>Deploy &lt;x&gt;</option>' in html
    assert '<input type="date" class="bk-control" value="2026-05-01"' in html
    assert '<span class="bk-optional">(optional)</span>' in html


def test_every_typed_packet_field_has_a_control_and_reports_its_state_as_slack_does():
    fields = {
        "due": kit.datepicker("2026-05-01"),
        "dashboard": kit.url_input("https://grafana.acme/d/churn"),
        "threshold": kit.number_input("0.85"),
        "cause": kit.choice_select(["model", "data pipeline"], "data pipeline"),
        "owner": kit.users_select("ULENA"),
    }
    blocks = [kit.input_block(key, key.title(), element) for key, element in fields.items()]
    html = blocks_html(blocks, NAMES)
    assert 'type="url" class="bk-control" value="https://grafana.acme/d/churn"' in html
    assert 'type="text" class="bk-control" value="0.85"' in html
    assert '<option value="data pipeline" selected>data pipeline</option>' in html
    assert '<option value="ULENA" selected>Lena Fischer</option>' in html  # whole names
    assert "is not shown here" not in html
    typed = {"due": "2026-06-01", "dashboard": "https://x.acme", "threshold": "1", "owner": "UDANA"}
    state = state_values(View("V1", "UDANA", {"blocks": blocks}, "h"), {**typed, "cause": "model"})
    assert {key: entry["value"] for key, entry in state.items()} == {
        "due": {"type": "datepicker", "selected_date": "2026-06-01"},
        "dashboard": {"type": "url_text_input", "value": "https://x.acme"},
        "threshold": {"type": "number_input", "value": "1"},
        "cause": {"type": "static_select", "selected_option": fields["cause"]["options"][0]},
        "owner": {"type": "users_select", "selected_user": "UDANA"},
    }


def test_inline_errors_and_typed_values_survive_a_refused_submit():
    blocks = [kit.text_input("objective", "Objective", initial="old")]
    form = Form(
        errors={"objective": "Objective is <required>"},
        values={"objective": {"value": {"type": "plain_text_input", "value": "typed <i>"}}},
    )
    html = blocks_html(blocks, NAMES, form)
    assert '<div class="bk-error" role="alert">Objective is &lt;required&gt;</div>' in html
    assert 'value="typed &lt;i&gt;"' in html and 'value="old"' not in html


def test_ephemeral_messages_say_who_sees_them():
    message = Message("CCHURN", "1700000000.000100", "*hi* <@UDANA>", [], "UBATON", "UDANA")
    html = message_html(message, NAMES)
    assert "Only visible to you" in html and "msg-ephemeral" in html
    assert '<strong>hi</strong> <span class="bk-mention">@Dana Reyes</span>' in html


def _option(text: str, value: str) -> dict:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def _input(block_id: str, element: dict, optional: bool = False) -> dict:
    label = {"type": "plain_text", "text": block_id.title()}
    return {
        "type": "input",
        "block_id": block_id,
        "label": label,
        "element": element,
        "optional": optional,
    }


def _handoff(project_name: str, objective: str) -> HandoffView:
    now = datetime(2026, 3, 1, 9, tzinfo=UTC)
    return HandoffView(
        id=7,
        team_id="TSANDBOX",
        project_key="churn-model",
        project_name=project_name,
        channel_id="CCHURN",
        from_stage=Stage.MANAGE,
        to_stage=Stage.DEVELOP,
        status=HandoffStatus.PENDING,
        round=1,
        packet=[PacketLine(key="objective", label="Objective", value=objective)],
        checklist=[
            SignOffLine(role=Role.DOMAIN_EXPERT, label="Domain expert", lead="ULENA", state=None)
        ],
        requested_by="UDANA",
        requested_at=now,
        due_at=now + timedelta(hours=48),
        closed_at=None,
        version=1,
    )


def test_people_and_channel_pickers_offer_the_workspace_and_show_initial_choices():
    names = Directory(
        users={"UDANA": "Dana Reyes", "ULENA": "Lena <Fischer>", "UBATON": "Baton"},
        channels={"CCHURN": "churn-model"},
    )
    blocks = [
        kit.picker_input("lead", "Lead", "users_select", initial="ULENA"),
        kit.picker_input("members", "Members", "multi_users_select", initial=["UDANA", "ULENA"]),
        kit.picker_input("channel", "Channel", "conversations_select", initial="CCHURN"),
    ]
    html = blocks_html(blocks, names)
    assert '<option value="ULENA" selected>Lena &lt;Fischer&gt;</option>' in html
    assert html.count(" selected>") == 4  # one lead, two members, one channel
    assert 'multiple size="3"' in html
    assert '<option value="CCHURN" selected># churn-model</option>' in html
    assert "UBATON" not in html  # the app itself is nobody's pick


def test_a_picker_form_reports_its_state_as_slack_does():
    payload = kit.modal(
        "New project",
        "project.setup",
        [
            kit.picker_input("lead", "Lead", "users_select"),
            kit.picker_input("members", "Members", "multi_users_select", optional=True),
            kit.picker_input("channel", "Channel", "conversations_select"),
        ],
    )
    view = View("V1", "UDANA", payload, "h1")
    typed = {"lead": "ULENA", "members": "UDANA,UARI", "channel": ""}
    values = state_values(view, typed)
    assert values["lead"]["value"] == {"type": "users_select", "selected_user": "ULENA"}
    assert values["members"]["value"]["selected_users"] == ["UDANA", "UARI"]
    assert values["channel"]["value"]["selected_conversation"] is None
    assert missing_required(view, values) == {"channel": "Please fill out this field."}
