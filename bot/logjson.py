"""JSON log lines (`log_format = "json"`) for log shippers, with the guarantee of plain logs:
ids only. Each line is one object: time (UTC, ISO 8601), level, logger, message (the same
message the plain format prints: ids and codes, never text typed by a person), and for an
exception its type and the stack frames (`SafeFormatter`: the exception's message withheld)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from bot.logsafe import SafeFormatter

__all__ = ["JsonFormatter"]


class JsonFormatter(SafeFormatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            kind = record.exc_info[0]
            data["exception"] = f"{kind.__module__}.{kind.__qualname__}"
            data["traceback"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)
