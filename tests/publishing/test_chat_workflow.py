"""The publishing workflow end to end through the chat layer (SQLite): draft with errors, fix,
preview, review, publish; pinned sessions across versions; rollback; refusals."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.messages import Reply
from bot.messaging.outbox import decode_payload
from storage.checkins_repo import outbox_of
from storage.models import OutboxRow
from tests.publishing.conftest import CRISIS, PubWorld, open_world, texts
from tests.stored import stored_session

TIPS = (Path(__file__).resolve().parent / "data" / "tips.yaml").read_text("utf-8")
BROKEN = TIPS.replace("next: done", "next: finish").replace(
    "    tags: [progress]\n", "    tags: [progress]\n    colour: red\n"
)


async def guidance_notices(world: PubWorld) -> dict[str, str]:
    """practitioner name -> text of a queued publishing message (the last one)."""
    names = {a.practitioner_id: n for n, a in world.actors.items()}
    found: dict[str, str] = {}
    async with world.relais.db.transaction(world.clock.now()) as tx:
        rows = await tx.conn.execute(select(OutboxRow).where(OutboxRow.kind == "guidance"))
        for row in rows:
            item = outbox_of(row)
            found[names[item.practitioner_id]] = decode_payload(tx.keys, item).text
    return found


async def guidance_texts(world: PubWorld, name: str) -> set[str]:
    """Every queued "guidance" message for one practitioner."""
    who = world.actors[name].practitioner_id
    async with world.relais.db.transaction(world.clock.now()) as tx:
        rows = await tx.conn.execute(select(OutboxRow).where(OutboxRow.kind == "guidance"))
        items = [outbox_of(row) for row in rows]
        return {decode_payload(tx.keys, i).text for i in items if i.practitioner_id == who}


async def test_draft_fix_preview_review_publish(world: PubWorld) -> None:
    pia, paul, alex = world.chat("pia"), world.chat("paul"), world.chat("alex")

    # a draft with errors: located, coded diagnostics; nothing saved
    replies = await world.upload("pia", "tips.yaml", BROKEN)
    body = texts(replies)
    assert "2 error(s)" in body
    assert "tips.yaml:29:11: RD024 error" in body
    assert "tips.yaml:28:5: RD010 error" in body
    assert "There are no open drafts." in texts(await pia.say("/draft"))

    # fixed: draft ready, the walk passes
    replies = await world.upload("pia", "tips.yaml", TIPS)
    assert "Draft ready: tips (Tips for a hard day)" in texts(replies)
    assert "walk: 1 passed, transcripts: none" in texts(replies)
    assert "tips: draft, by Pia" in texts(await paul.say("/review"))

    # preview: the picture, then the dialog as users see it; a note is simulated
    replies = await pia.say("/preview tips")
    assert "Preview of the draft tips" in replies[0].text
    assert replies[0].attachment is not None
    name, png = replies[0].attachment
    assert name == "dialog.png"
    assert png.startswith(b"\x89PNG")
    assert "How are you doing?" in texts(replies)
    replies = await pia.press("Fine")
    assert "Log that you are fine?" in texts(replies)
    replies = await pia.press(replies[-1].buttons[0].token)  # yes
    assert "[preview] note not logged on PREVIEW" in texts(replies)
    async with world.relais.db.transaction(world.clock.now()) as tx:
        case = await tx.cases.by_code(code="K-1")
        assert case is not None
        assert await tx.notes.latest(case_id=case.id, limit=10) == []
    # the draft is not offered to anyone meanwhile
    assert "Tips for a hard day" not in world.chat("alex").buttons()
    await alex.say("/dialogs")
    assert "Tips for a hard day" not in alex.buttons()

    # publishing needs a colleague's approval; the author cannot give it
    assert "needs a colleague's approval" in texts(await pia.say("/publish tips"))
    replies = await pia.say("/review tips")
    assert "You wrote this draft" in texts(replies)
    assert "You wrote this draft" in texts(await pia.say("/approve tips"))
    replies = await paul.say("/review tips")
    assert "A new dialog" in texts(replies)
    assert "How are you doing?" in texts(replies)
    assert [b.label for b in replies[-1].buttons] == ["Approve", "Reject"]
    replies = await paul.press("Reject")
    assert "/reject tips" in texts(replies)
    assert "sent the draft tips back" in texts(await paul.say("/reject tips shorter please"))
    assert "was sent back" in texts(await pia.say("/publish tips"))
    assert "Comment from Paul: shorter please" in texts(await pia.say("/review tips"))

    # the author sends the file again (the review no longer applies); approved by a button
    replies = await world.upload("pia", "tips.yaml", TIPS.replace("Take care.", "Rest well."))
    assert "was replaced by this file" in texts(replies)
    await paul.say("/review tips")
    replies = await paul.press("Approve")
    assert "You approved the draft tips" in texts(replies)

    replies = await pia.say("/publish tips")
    assert "Published tips version 1." in texts(replies)
    assert "1 team member(s) told" in texts(replies)
    # mentors only (the audience), nothing but the title
    notices = await guidance_notices(world)
    assert {n for n, t in notices.items() if t.startswith("New guidance")} == {"alex"}
    assert notices["alex"] == "New guidance available: Tips for a hard day"
    # the other psychologist was told of each revision awaiting review; the author of the
    # decisions (the comment with a rejection)
    assert await guidance_texts(world, "paul") == {
        "Pia sent a draft of Tips for a hard day (tips) for review: /review tips"
    }
    assert await guidance_texts(world, "pia") == {
        "Paul sent your draft tips back: shorter please",
        "Paul approved your draft tips: /publish tips publishes it.",
    }
    assert await guidance_texts(world, "ada") == set()  # admins do not review

    await alex.say("/dialogs")
    replies = await alex.press("Tips for a hard day")
    assert "How are you doing?" in texts(replies)
    replies = await alex.press("Fine")
    replies = await alex.press(replies[-1].buttons[0].token)
    assert "Rest well." in texts(replies)
    assert "no open drafts" in texts(await pia.say("/draft"))


async def _publish_crisis_v2(world: PubWorld) -> list[Reply]:
    v2 = CRISIS.replace("A difficult talk", "A hard conversation").replace(
        "Thank you. Take care of yourself too.", "Thanks: version two."
    )
    replies = await world.upload("pia", "crisis.yaml", v2)
    assert "Draft ready" in texts(replies)
    assert "Once published, it replaces crisis version 1 for everyone." in texts(replies)
    replies = await world.chat("paul").say("/review crisis")
    assert "Changes against the published version 1" in texts(replies)
    assert "+      - id: talk" not in texts(replies)
    assert '+        label: {en: "A hard conversation"' in texts(replies)
    await world.chat("paul").say("/approve crisis looks right")
    return await world.chat("pia").say("/publish crisis")


async def test_running_sessions_finish_on_their_version(world: PubWorld) -> None:
    alex, sam = world.chat("alex"), world.chat("sam")
    replies = await alex.say("/crisis K-1")
    assert "A difficult talk" in alex.buttons()
    await alex.press("A difficult talk")

    replies = await _publish_crisis_v2(world)
    body = texts(replies)
    assert "Published crisis version 2." in body
    assert "1 conversation(s) in progress on version 1 will finish on it" in body
    assert "4 team member(s) told" in body  # every role of the audience except the publisher

    # a new conversation gets version 2
    await sam.say("/crisis K-1")
    assert "A hard conversation" in sam.buttons()
    # the mentor in the middle of version 1 finishes on version 1
    replies = await alex.say("He lost his brother")
    replies = await alex.press(replies[-1].buttons[1].token)  # no note
    replies = await alex.press(replies[-1].buttons[1].token)  # no check-in
    assert "Thank you. Take care of yourself too." in texts(replies)

    # rollback: a new version 3, a copy of version 1
    published = await world.publishing.rollback_dialog(world.actors["pia"], "crisis", 1)
    assert (published.version, published.previous, published.origin) == (3, 2, "rollback")
    world.publishing.add_published(published)
    await world.chat("cora").say("/crisis K-1")
    assert "A difficult talk" in world.chat("cora").buttons()
    history = await world.publishing.dialog_history("crisis")
    assert [(h.version, h.origin, h.author, h.reviewer) for h in history] == [
        (1, "bundled", "content/", ""),
        (2, "draft", "Pia", "Paul"),
        (3, "rollback", "Pia", ""),
    ]
    assert history[0].checksum == history[2].checksum != history[1].checksum


async def test_other_roles_are_refused(world: PubWorld) -> None:
    await world.upload("pia", "tips.yaml", TIPS)
    for name in ("alex", "sam", "cora"):
        chat = world.chat(name)
        replies = await world.upload(name, "tips.yaml", TIPS)
        assert "psychologist" in texts(replies).lower() or "not" in texts(replies).lower()
        for command in (
            "/draft",
            "/review tips",
            "/preview tips",
            "/approve tips",
            "/publish tips",
        ):
            replies = await chat.say(command)
            assert "your role does not allow that" in texts(replies).lower(), (
                name,
                command,
                texts(replies),
            )
    # nothing changed: still one draft, by Pia, not approved
    drafts = await world.publishing.list_open_drafts(world.actors["paul"])
    assert [(d.dialog_id, d.status, author) for d, author in drafts] == [("tips", "draft", "Pia")]
    # an admin may read drafts and publish, but only a psychologist approves
    assert "Your role does not allow that" in texts(await world.chat("ada").say("/approve tips"))
    await world.chat("paul").say("/review tips")
    assert "You approved" in texts(await world.chat("paul").say("/approve tips"))
    assert "Published tips version 1." in texts(await world.chat("ada").say("/publish tips"))


async def test_bad_uploads_change_nothing(world: PubWorld) -> None:
    await world.upload("paul", "tips.yaml", TIPS)
    bad: list[tuple[str, bytes | str, str]] = [
        ("big.yaml", b"x" * 30_000, "The file is too large"),  # refused by the chat layer
        ("tips.yaml", b"\x00\x01\x02binary\xff" * 10, "error"),
        ("tips.yaml", "id: t\ntitle: caf\u00e9\n".encode("latin-1"), "error"),
        (
            "bomb.yaml",
            'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
            + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
                f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
                for i in range(8)
            ),
            "error",
        ),
        ("tips.yaml", TIPS, "already has a draft by Paul"),  # another author's dialog id
        ("tips.test.yaml", "dialog: tips\ntests: []\n", "no draft of tips"),
    ]
    for file_name, data, expected in bad:
        replies = await world.upload("pia", file_name, data)
        assert expected in texts(replies), (file_name, texts(replies))
    drafts = await world.publishing.list_open_drafts(world.actors["pia"])
    assert [(d.dialog_id, author) for d, author in drafts] == [("tips", "Paul")]
    assert await world.publishing.published_versions("tips") == []


async def test_withdraw_history_and_rollback_in_chat(world: PubWorld) -> None:
    pia, paul = world.chat("pia"), world.chat("paul")
    await world.upload("paul", "tips.yaml", TIPS)
    # the clash is resolved by withdrawing: only the author (or an admin) may
    assert "only they (or an admin)" in texts(await pia.say("/draft withdraw tips"))
    assert "The draft tips was withdrawn." in texts(await paul.say("/draft withdraw tips"))
    assert "Draft ready: tips" in texts(await world.upload("pia", "tips.yaml", TIPS))

    # a reviewer gets the picture of the draft with the review
    replies = await paul.say("/review tips")
    assert replies[0].attachment is not None
    assert replies[0].text == "The draft tips as a tree."
    await paul.press("Approve")
    await pia.say("/publish tips")
    await world.upload("pia", "tips.yaml", TIPS.replace("Take care.", "Version two."))
    await paul.say("/review tips")
    await paul.say("/approve tips")
    await pia.say("/publish tips")

    assert "Usage: /rollback" in texts(await pia.say("/rollback tips"))
    # a version number no database column can hold is a version that does not exist
    huge = await pia.say("/rollback tips 99999999999999999999")
    assert "tips has no version 99999999999999999999." in texts(huge)
    replies = await pia.say("/rollback tips 1")
    assert "Published tips version 3." in texts(replies)
    assert "tips version 3 is a copy of version 1." in texts(replies)
    assert "1 team member(s) told that the guidance went back." in texts(replies)
    # the people the dialog is for learn that it went back (the title, nothing more)
    assert await guidance_texts(world, "alex") == {
        "New guidance available: Tips for a hard day",
        "Guidance changed back to an earlier version: Tips for a hard day",
    }
    dialog = world.dialogs.source().get("tips")
    assert dialog is not None
    assert (dialog.version, "Take care." in dialog.source_text) == (3, True)
    history = texts(await paul.say("/history tips"))
    assert "Published versions of tips:" in history
    assert "v2  2026-01-05 08:00 UTC  draft, by Pia, reviewed by Paul" in history
    assert "v3  2026-01-05 08:00 UTC  rollback, by Pia" in history
    for command in ("/history tips", "/rollback tips 1", "/draft withdraw tips"):
        assert "Your role does not allow that" in texts(await world.chat("alex").say(command)), (
            command
        )


async def test_a_preview_survives_a_restart_unless_the_draft_changed(world: PubWorld) -> None:
    replies = await world.upload("pia", "tips.yaml", TIPS)
    assert "Draft ready: tips" in texts(replies)
    replies = await world.chat("pia").say("/preview tips")
    assert "How are you doing?" in texts(replies)
    fine = next(b.token for b in replies[-1].buttons if b.label == "Fine")

    # Relais restarts: a new chat layer (no preview in memory) on the same database
    again = await open_world(world.relais, world.config, world.clock, world.content, enrol=False)
    replies = await again.chat("pia").press(fine)
    assert "Log that you are fine?" in texts(replies)  # the preview went on where it was

    # the draft is replaced while the preview waits: after a restart that preview has expired
    await world.upload("pia", "tips.yaml", TIPS.replace("Take care.", "Rest well."))
    third = await open_world(world.relais, world.config, world.clock, world.content, enrol=False)
    replies = await third.chat("pia").press(replies[-1].buttons[0].token)
    assert texts(replies) == (
        "This preview has ended: the draft tips changed or is gone since. "
        "/preview tips starts it again."
    )
    pia = world.chat("pia")
    assert await stored_session(world.relais, pia.channel, f"chat-{pia.user_id}") is None
