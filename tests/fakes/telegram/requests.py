"""Reading a Bot API request as Telegram does: query, JSON, form or multipart parameters, and
inline keyboards checked like Telegram checks them.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from aiohttp import BodyPartReader, web

from tests.fakes.telegram.model import MAX_CALLBACK_DATA, bad

_JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "scope",
    "entities",
    "caption_entities",
    "link_preview_options",
    "reply_parameters",
}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "max_connections"}
_BOOL_FIELDS = {"drop_pending_updates", "show_alert", "disable_notification"}


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Any]]:
    params: dict[str, Any] = dict(request.query)
    files: dict[str, tuple[str, bytes, str]] = {}
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            name = part.name or ""
            filename = part.filename
            data = await part.read()
            if filename:
                ctype = part.headers.get("Content-Type", "application/octet-stream")
                files[name] = (filename, bytes(data), ctype)
            else:
                params[name] = bytes(data).decode("utf-8")
    elif request.can_read_body:
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key, value in list(params.items()):
        if not isinstance(value, str):
            continue
        if key in _JSON_FIELDS:
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
        elif key in _INT_FIELDS:
            with contextlib.suppress(ValueError):
                params[key] = int(value)
        elif key in _BOOL_FIELDS:
            params[key] = value.lower() in ("true", "1")
    return params, files


def normal_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    if not markup or not markup.get("inline_keyboard"):
        return None
    return markup


def check_markup(markup: Any) -> dict[str, Any] | None:
    """Validate an inline keyboard like Telegram does (callback_data 1-64 bytes...)."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return None  # reply keyboards etc.: accepted, not modelled
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            if not str(button.get("text", "")).strip():
                raise bad("BUTTON_TEXT_INVALID")
            kinds = [k for k in button if k != "text"]
            if len(kinds) != 1:
                raise bad(
                    "can't parse inline keyboard button: exactly one optional field must be used"
                )
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode("utf-8"))
                if not 1 <= size <= MAX_CALLBACK_DATA:
                    raise bad("BUTTON_DATA_INVALID")
            elif "url" in button and not str(button["url"]).startswith(("http", "tg://")):
                raise bad("BUTTON_URL_INVALID")
    return normal_markup(markup)
