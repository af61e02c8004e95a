"""Rendering replies as Matrix message contents (no server needed)."""

from __future__ import annotations

from bot.channels.matrix_render import MAX_BODY_CHARS, normalise_command, render_reply
from bot.channels.matrix_send import tx_id_for
from bot.messages import Button, Reply


def test_notice_with_numbered_options_and_escaped_html() -> None:
    reply = Reply(
        "Risk <high> & rising", buttons=(Button("Call <112>", "3.call"), Button("Talk", "3.t"))
    )
    [content] = render_reply(reply, "@mentor:example.org")
    assert content["msgtype"] == "m.notice"
    assert content["body"] == "Risk <high> & rising\n\n1. Call <112>\n2. Talk"
    assert content["formatted_body"] == (
        "Risk &lt;high&gt; &amp; rising<ol><li>Call &lt;112&gt;</li><li>Talk</li></ol>"
    )
    assert content["m.mentions"] == {}
    assert "3.call" not in str(content)  # tokens stay with the chat layer


def test_text_and_alert_mention_the_practitioner() -> None:
    for kind in ("text", "alert"):
        [content] = render_reply(Reply("Check-in due", kind=kind), "@m:example.org")
        assert content["msgtype"] == "m.text"
        assert content["body"] == "@m:example.org: Check-in due"
        assert content["formatted_body"].startswith(
            '<a href="https://matrix.to/#/@m:example.org">'
        )
        assert content["m.mentions"] == {"user_ids": ["@m:example.org"]}


def test_long_text_is_split_with_options_last() -> None:
    text = "\n".join(["x" * 99] * 300)
    contents = render_reply(Reply(text, buttons=(Button("OK", "1.ok"),)))
    assert len(contents) == 3
    assert all(len(c["body"]) <= MAX_BODY_CHARS + 20 for c in contents)
    assert contents[-1]["body"].endswith("\n\n1. OK")
    assert "".join(c["body"] for c in contents[:-1]).count("x") > 0


def test_bang_prefix_becomes_slash() -> None:
    assert normalise_command("!sos") == "/sos"
    assert normalise_command("!note K-1 text") == "/note K-1 text"
    assert normalise_command("! help") == "! help"
    assert normalise_command("!") == "!"
    assert normalise_command("/sos") == "/sos"


def test_transaction_ids_are_stable_and_url_safe() -> None:
    assert tx_id_for("ck-42.occurrence_7") == "ck-42.occurrence_7"
    hashed = tx_id_for("$event:with/odd chars")
    assert hashed == tx_id_for("$event:with/odd chars")
    assert hashed.startswith("relais-")
    assert all(c.isalnum() or c in "-" for c in hashed)


def test_crisis_screens_reach_emergency_contacts_as_menus_render_on_matrix() -> None:
    """The chat layer's way to the emergency contacts on a crisis screen: on a menu, one more
    numbered option (a typed "3" presses it); on a screen waiting for text, a line."""
    from bot.chat.crisis_help import SOS_TOKEN, with_help

    help_texts = {"label": "Emergency contacts", "hint": "Send /sos for emergency contacts."}
    text, buttons = with_help(
        "Log this?", [("Yes", "d.a.3.yes"), ("No", "d.a.3.no")],
        expects="option", channel="matrix", **help_texts,
    )  # fmt: skip
    reply = Reply(text, tuple(Button(label, token) for label, token in buttons))
    [content] = render_reply(reply)
    assert content["body"] == "Log this?\n\n1. Yes\n2. No\n3. Emergency contacts"
    assert content["formatted_body"].endswith("<li>Emergency contacts</li></ol>")
    assert reply.buttons[2].token == SOS_TOKEN
    text, buttons = with_help("What happened?", [], expects="text", channel="matrix", **help_texts)
    [content] = render_reply(Reply(text))
    assert content["body"] == "What happened?\n\nSend /sos for emergency contacts."
    assert content["formatted_body"] == "What happened?<br><br>Send /sos for emergency contacts."
    assert buttons == []
