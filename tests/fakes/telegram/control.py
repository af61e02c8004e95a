# ruff: noqa: ASYNC109  (the test API takes `timeout=` on purpose: `await fake.next_message(42, timeout=5)`)
"""The control API tests use: simulated users act, faults are injected, what the bot did is read
and waited for (see tests/telegram/README.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from tests.fakes.telegram.model import BotMessage, Call, Fault, StoredFile, T, UpdateRef


class ControlApi:
    """What tests drive and inspect: simulated users, faults, what the bot sent, waits (mixed
    into `FakeBotApi`, whose state they read and change)."""

    # -- simulated users -------------------------------------------------------------------

    def _user(self, user_id: int, first_name: str | None, username: str | None) -> dict[str, Any]:
        user = self._users.get(user_id)
        if user is None:
            user = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}
            if username:
                user["username"] = username
            user["language_code"] = "en"
            self._users[user_id] = user
        return user

    def _chat(self, chat_id: int, user: dict[str, Any]) -> dict[str, Any]:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id > 0:
                chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            else:
                chat = {"id": chat_id, "type": "group", "title": f"Group {-chat_id}"}
            self._chats[chat_id] = chat
        return chat

    def _user_message(
        self,
        chat_id: int,
        user_id: int | None,
        first_name: str | None,
        username: str | None,
        extra: dict[str, Any],
    ) -> dict[str, Any]:
        uid = user_id if user_id is not None else (chat_id if chat_id > 0 else 1000)
        user = self._user(uid, first_name, username)
        chat = self._chat(chat_id, user)
        self._message_ids[chat_id] += 1
        message = {
            "message_id": self._message_ids[chat_id],
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            **extra,
        }
        self._user_messages[(chat_id, message["message_id"])] = message
        return message

    async def user_says(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str | None = None,
        username: str | None = None,
    ) -> UpdateRef:
        """A user sends `text` in `chat_id` (a private chat when chat_id > 0: user id = chat id).
        Commands get a `bot_command` entity like Telegram's."""
        extra: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0] if text.split() else text
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        message = self._user_message(chat_id, user_id, first_name, username, extra)
        update_id = self._add_update({"message": message})
        return UpdateRef(update_id, message_id=message["message_id"])

    async def user_sends_document(
        self,
        chat_id: int,
        file_name: str,
        content: bytes,
        *,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        user_id: int | None = None,
    ) -> UpdateRef:
        stored = self.add_file(content, file_name=file_name, mime_type=mime_type)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        extra: dict[str, Any] = {"document": document}
        if caption is not None:
            extra["caption"] = caption
        message = self._user_message(chat_id, user_id, None, None, extra)
        update_id = self._add_update({"message": message})
        return UpdateRef(update_id, message_id=message["message_id"], file_id=stored.file_id)

    async def press(
        self,
        chat_id: int,
        message_id: int,
        callback_data: str,
        *,
        user_id: int | None = None,
        check: bool = True,
    ) -> UpdateRef:
        """A user presses the inline button carrying `callback_data` on a bot message.

        With `check` (default) the button must be on the message's current keyboard, as in the
        real client; `check=False` sends any data (a forged or long-gone button)."""
        message = self._bot_messages.get((chat_id, message_id))
        if message is None:
            raise AssertionError(f"the bot sent no message {message_id} in chat {chat_id}")
        if check and callback_data not in [data for _, data in message.buttons]:
            raise AssertionError(
                f"message {message_id} in chat {chat_id} has no button with data "
                f"{callback_data!r} (buttons now: {message.buttons})"
            )
        uid = user_id if user_id is not None else (chat_id if chat_id > 0 else 1000)
        user = self._user(uid, None, None)
        query_id = f"{self.bot_id}{len(self._queries) + 1:08d}"
        query = {
            "id": query_id,
            "from": user,
            "message": self._message_json(message),
            "chat_instance": f"ci{chat_id}",
            "data": callback_data,
        }
        self._queries[query_id] = query
        update_id = self._add_update({"callback_query": query})
        return UpdateRef(update_id, message_id=message_id, callback_query_id=query_id)

    async def click(self, message: BotMessage, label: str, **kwargs: Any) -> UpdateRef:
        """Press the button labelled `label` on `message` (as it is now)."""
        current = self.message(message.chat_id, message.message_id)
        return await self.press(
            message.chat_id, message.message_id, current.data_for(label), **kwargs
        )

    def add_user(self, user_id: int, first_name: str | None = None) -> None:
        """A user who has opened a private chat with the bot (so the bot may write first),
        without sending anything yet."""
        self._chat(user_id, self._user(user_id, first_name, None))

    def block(self, user_id: int) -> None:
        """The user blocks the bot: every send to their chat answers 403."""
        self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def add_file(
        self, content: bytes, *, file_name: str = "file", mime_type: str = ""
    ) -> StoredFile:
        n = len(self._files) + 1
        folder = "photos" if mime_type.startswith("image/") else "documents"
        suffix = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = StoredFile(
            file_id=f"BQACAgQAAx{n:06d}FAKE",
            unique_id=f"AgAD{n:06d}",
            path=f"{folder}/file_{n}.{suffix}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.path] = stored
        return stored

    # -- faults ----------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        times: int = 1,
        retry_after: int = 1,
        description: str | None = None,
    ) -> None:
        """The next `times` calls of `method` fail with `status` (429 carries `retry_after`)."""
        parameters = None
        if status == 429:
            parameters = {"retry_after": retry_after}
            description = description or f"Too Many Requests: retry after {retry_after}"
        elif status == 403:
            description = description or "Forbidden: bot was blocked by the user"
        elif status == 400:
            description = description or "Bad Request: injected"
        elif status == 502:
            description = description or "Bad Gateway"
        else:
            description = description or "Internal Server Error"
        for _ in range(times):
            self._faults[method].append(Fault(status, description, parameters))

    def outage(self, method: str, seconds: float, status: int = 500) -> None:
        """An outage of `method`: from its next call on, every call for `seconds` fails with
        `status` (5xx: the Bot API having a bad moment)."""
        self._outages[method] = (seconds, status, None)

    def _outage_fault(self, method: str) -> Fault | None:
        if method not in self._outages:
            return None
        seconds, status, end = self._outages[method]
        now = time.monotonic()
        if end is None:
            end = now + seconds
            self._outages[method] = (seconds, status, end)
        if now >= end:
            del self._outages[method]
            return None
        return Fault(status, "Internal Server Error" if status == 500 else "Bad Gateway", None)

    def delay(self, method: str, seconds: float) -> None:
        """Every later call of `method` takes `seconds` more (a slow round trip): the fake waits
        that long before it handles the request, so its effect and its `Call` come late too.
        `delay(method, 0)` removes it."""
        if seconds > 0:
            self._delays[method] = seconds
        else:
            self._delays.pop(method, None)

    # -- observing the bot -----------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        return [c for c in self._calls if method is None or c.method == method]

    def sent(self, chat_id: int) -> list[BotMessage]:
        """Every message the bot sent to the chat (current state, edits applied)."""
        return list(self._sent[chat_id])

    def message(self, chat_id: int, message_id: int) -> BotMessage:
        try:
            return self._bot_messages[(chat_id, message_id)]
        except KeyError:
            raise AssertionError(
                f"the bot sent no message {message_id} in chat {chat_id}"
            ) from None

    def unread(self, chat_id: int | None = None) -> list[BotMessage]:
        chats = [chat_id] if chat_id is not None else list(self._sent)
        return [m for c in chats for m in self._sent[c][self._read[c] :]]

    def assert_no_unread(self) -> None:
        left = self.unread()
        assert not left, "the bot sent messages no test looked at: " + "; ".join(
            f"chat {m.chat_id}: {m.text[:60]!r}" for m in left
        )

    def commands(self, language_code: str = "", scope: str = "default") -> list[tuple[str, str]]:
        stored = self._commands.get((scope, language_code), [])
        return [(c["command"], c["description"]) for c in stored]

    def answered(self, callback_query_id: str) -> bool:
        return callback_query_id in self.callback_answers

    @property
    def polls_started(self) -> int:
        """How many getUpdates requests reached the server (finished or still waiting)."""
        return self._poll_generation

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    async def next_message(self, chat_id: int, timeout: float = 5.0) -> BotMessage:
        """The next message (in send order) the bot sent to `chat_id` that no test has taken."""

        def ready() -> BotMessage | None:
            sent = self._sent[chat_id]
            if self._read[chat_id] < len(sent):
                self._read[chat_id] += 1
                return sent[self._read[chat_id] - 1]
            return None

        return await self._wait(
            ready,
            timeout,
            f"a message from the bot to chat {chat_id}",
            lambda: self._chat_event(chat_id),
        )

    async def next_messages(
        self, chat_id: int, count: int, timeout: float = 5.0
    ) -> list[BotMessage]:
        async with asyncio.timeout(timeout):
            return [await self.next_message(chat_id, timeout) for _ in range(count)]

    async def wait_call(
        self,
        method: str,
        *,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Wait until the bot made at least `count` calls of `method` (matching `where`)."""

        def ready() -> list[Call] | None:
            found = [c for c in self.calls(method) if where is None or where(c)]
            return found if len(found) >= count else None

        return await self._wait(ready, timeout, f"{count} call(s) of {method}")

    async def wait_edited(
        self, chat_id: int, message_id: int, *, count: int = 1, timeout: float = 5.0
    ) -> BotMessage:
        """The bot message once it has been edited (or deleted) at least `count` times."""
        message = self.message(chat_id, message_id)
        await self._wait(
            lambda: len(message.edits) >= count,
            timeout,
            f"{count} edit(s) of message {message_id} in chat {chat_id}",
        )
        return message

    async def wait_answered(self, callback_query_id: str, timeout: float = 5.0) -> dict[str, Any]:
        return await self._wait(
            lambda: self.callback_answers.get(callback_query_id),
            timeout,
            f"answerCallbackQuery for {callback_query_id}",
        )

    async def wait_for(
        self, predicate: Callable[[], T | None], timeout: float = 5.0, what: str = "condition"
    ) -> T:
        """Wait until `predicate()` returns something other than None/False (re-checked after
        every request the bot makes and every simulated user action)."""
        return await self._wait(predicate, timeout, what)

    async def _wait(
        self,
        ready: Callable[[], T | None],
        timeout: float,
        what: str,
        changed: Callable[[], asyncio.Event] | None = None,
    ) -> T:
        """Re-check `ready()` whenever the event `changed()` is set (by default: any change)."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    result = ready()
                    if result is not None and result is not False:
                        return result
                    await (changed() if changed is not None else self._changed).wait()
        except TimeoutError:
            recent = ", ".join(
                f"{c.method}->{c.status}" for c in self._calls[-12:] if c.method != "getUpdates"
            )
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}; recent bot calls: {recent}"
            ) from None

    def _notify(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    def _chat_event(self, chat_id: int) -> asyncio.Event:
        """Set when the bot sends a message to `chat_id` (only `next_message` waits on it: with
        many simulated users each waiting for their own chat, a send wakes one of them)."""
        event = self._chat_changed.get(chat_id)
        if event is None:
            event = self._chat_changed[chat_id] = asyncio.Event()
        return event

    # -- updates ---------------------------------------------------------------------------

    def _add_update(self, body: dict[str, Any]) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, **body})
        self._notify()
        if self.webhook["url"]:
            self._kick_webhook()
        return update_id

    def _take_updates(
        self, offset: int | None, limit: int, allowed: list[str] | None
    ) -> list[Any]:
        if offset:
            if offset > 0:
                self.confirmed_offset = max(self.confirmed_offset, offset)
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            else:
                self._updates = self._updates[offset:]
        kinds = allowed or ["message", "edited_message", "callback_query"]
        self._updates = [u for u in self._updates if any(k in u for k in kinds)]
        return self._updates[: max(1, min(limit, 100))]
