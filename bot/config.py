"""The configuration: one TOML file parsed once into frozen objects.

Unknown keys are rejected with their path and a "did you mean" hint. Secrets are never values in
the file: they come from an environment variable or from a file the configuration names.
Parsing has no side effects (it reads secret files only when `Secret.read()` is called).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
import types
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from bot.config_checks import MAX_DURATION, check_config
from bot.errors import ConfigError
from bot.secretfiles import check_private
from bot.studio.config import StudioConfig

__all__ = [
    "AuditConfig",
    "CheckinsConfig",
    "Config",
    "KeysConfig",
    "MatrixConfig",
    "MetricsConfig",
    "OperationsConfig",
    "PublishingConfig",
    "RetentionConfig",
    "Secret",
    "SessionsConfig",
    "StorageConfig",
    "TelegramConfig",
    "load_config",
    "parse_duration",
]

#: bundled content (resolved once: `content_path` is read on every message)
_BUNDLED_CONTENT = Path(__file__).resolve().parent.parent / "content"
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str, path: str = "") -> timedelta:
    """Parse '30m', '2h', '1d', '2w' into a timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise ConfigError(f"expected a duration such as 30m, 2h, 1d or 2w, found {text!r}", path)
    digits = match.group(1)
    seconds = int(digits) * _UNITS[match.group(2)] if len(digits) <= 12 else None
    if seconds is None or seconds > MAX_DURATION.total_seconds():
        raise ConfigError(
            f"a duration may be at most {MAX_DURATION.days}d (about a century), found {text!r}",
            path,
        )
    return timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class Secret:
    """Where a secret comes from: an environment variable, else a file. Never the config."""

    env: str
    file: str = ""
    path: str = ""

    def is_set(self) -> bool:
        return bool(os.environ.get(self.env)) or bool(self.file)

    def read(self) -> str:
        value = os.environ.get(self.env)
        if value:
            return value.strip()
        if self.file:
            check_private(Path(self.file).expanduser(), what="secret file", key=self.path)
            try:
                return Path(self.file).expanduser().read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"cannot read secret file {self.file!r}: {exc.strerror}", self.path
                ) from exc
        raise ConfigError(
            f"secret not set: set the environment variable {self.env} or the file key", self.path
        )


@dataclass(frozen=True, slots=True)
class StorageConfig:
    #: SQLAlchemy URL; empty = SQLite under data_dir. A URL with a password belongs in url_file
    #: or RELAIS_DATABASE_URL.
    url: str = ""
    url_file: str = ""
    echo: bool = False
    #: SQLite durability: "normal" (WAL; survives a crash of Relais, may lose the last commits
    #: on power loss) or "full" (fsync at every commit: ~3 ms more per write).
    sqlite_synchronous: str = "normal"


@dataclass(frozen=True, slots=True)
class KeysConfig:
    #: file of encryption keys ("key_id base64key" per line); empty = RELAIS_KEYS env or
    #: data_dir/keys/encryption.keys created on first start.
    key_file: str = ""
    #: the HMAC secret that chains the audit log; never stored in the database.
    audit_secret_file: str = ""


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    enabled: bool = False
    token_file: str = ""
    base_url: str = ""
    base_file_url: str = ""
    mode: str = "polling"
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret_file: str = ""
    bot_username: str = ""
    allow_case_notes: bool = False
    poll_timeout: int = 30


@dataclass(frozen=True, slots=True)
class MatrixConfig:
    enabled: bool = False
    homeserver: str = ""
    user_id: str = ""
    password_file: str = ""
    store_path: str = ""
    device_name: str = "Relais"
    pickle_key_file: str = ""
    require_encryption: bool = True
    #: "cross-signed": room keys to, and messages from, devices their owner cross-signed only;
    #: "all": any device (legacy clients without cross-signing)
    device_trust: str = "cross-signed"
    decryption_grace: timedelta = timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class SessionsConfig:
    expiry: timedelta = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class CheckinsConfig:
    grace_period: timedelta = timedelta(hours=2)
    second_grace_period: timedelta = timedelta(hours=2)
    page_timeout: timedelta = timedelta(minutes=10)
    late_window: timedelta = timedelta(hours=48)
    fallback_contact: str = "emergency"
    default_time_zone: str = "Europe/Paris"
    #: how long a process holds a message it is sending; after a crash another process (or the
    #: restarted one) re-sends it with the same idempotency key once the lease has expired
    send_lease: timedelta = timedelta(seconds=60)
    #: how often the timer re-reads the database for work created by other processes (the CLI)
    poll_interval: timedelta = timedelta(seconds=30)
    #: messages sent at once; each one in flight at a crash may reach Telegram twice
    send_concurrency: int = 8
    #: a message whose sends fail is retried with backoff for this long (and at least 3 times)
    #: before it is given up and the case owner and coordinators are told
    retry_for: timedelta = timedelta(hours=6)
    #: each open case's monthly review: day of the month (a team may set its own) and time
    review_day: int = 1
    review_time: str = "10:00"


@dataclass(frozen=True, slots=True)
class PublishingConfig:
    reviewers_required: int = 1
    max_file_bytes: int = 262144
    #: dialog and tests files one practitioner may send per hour (0 = no limit)
    drafts_per_hour: int = 20
    #: let one shell user, acting with `--as`, be both a draft's author and its reviewer
    operator_may_act_for_two: bool = False


@dataclass(frozen=True, slots=True)
class AuditConfig:
    #: a file (on another mount, or append-only) that receives the audit chain's head
    anchor_file: str = ""
    #: also send the head to the system log (syslog, facility "auth")
    anchor_syslog: bool = False
    #: the head is anchored every this many entries, and when Relais stops
    anchor_every: int = 100


@dataclass(frozen=True, slots=True)
class RetentionConfig:
    #: notes older than this are deleted by `relais retention apply`; empty = keep.
    notes: str = ""
    #: per-tag overrides, e.g. {concern = "3650d"}
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    #: "host:port" of the /healthz and /metrics endpoint; empty = off. Keep it local.
    listen: str = ""
    #: /healthz fails when a channel has not synced or polled, or the check-in dispatcher has
    #: not ticked, for this long
    stale_after: timedelta = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class OperationsConfig:
    #: called (HTTP GET) every heartbeat_interval while Relais is healthy (healthchecks.io,
    #: a GoAlert heartbeat, Uptime Kuma push): a monitor elsewhere alarms when the calls stop.
    #: Empty = no heartbeat. Treat it as a secret if the URL holds a token (RELAIS_HEARTBEAT_URL).
    heartbeat_url: str = ""
    heartbeat_interval: timedelta = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class EvaluationConfig:
    #: usage figures and referral counts below this are shown as "< N" in every output
    #: (`relais stats`, JSON, pictures, reports): small numbers can point at a person
    min_count: int = 5


@dataclass(frozen=True, slots=True)
class Config:
    data_dir: str = "relais-data"
    content_dir: str = ""
    default_language: str = "en"
    log_level: str = "INFO"
    #: "json": one JSON object per log line (log shippers); "text": plain lines
    log_format: str = "text"
    storage: StorageConfig = StorageConfig()
    keys: KeysConfig = KeysConfig()
    telegram: TelegramConfig = TelegramConfig()
    matrix: MatrixConfig = MatrixConfig()
    sessions: SessionsConfig = SessionsConfig()
    checkins: CheckinsConfig = CheckinsConfig()
    publishing: PublishingConfig = PublishingConfig()
    retention: RetentionConfig = RetentionConfig()
    metrics: MetricsConfig = MetricsConfig()
    operations: OperationsConfig = OperationsConfig()
    audit: AuditConfig = AuditConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    studio: StudioConfig = field(default_factory=StudioConfig)
    source: str = ""

    # -- derived values ---------------------------------------------------------------------

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser()

    @property
    def content_path(self) -> Path:
        return Path(self.content_dir).expanduser() if self.content_dir else _BUNDLED_CONTENT

    def database_url(self) -> str:
        env = os.environ.get("RELAIS_DATABASE_URL")
        if env:
            return env.strip()
        if self.storage.url_file:
            return Secret("RELAIS_DATABASE_URL", self.storage.url_file, "storage.url_file").read()
        if self.storage.url:
            return self.storage.url
        return f"sqlite:///{(self.data_path / 'relais.db').resolve()}"

    @property
    def heartbeat_url(self) -> str:
        return os.environ.get("RELAIS_HEARTBEAT_URL", "").strip() or self.operations.heartbeat_url

    @property
    def telegram_token(self) -> Secret:
        return Secret("RELAIS_TELEGRAM_TOKEN", self.telegram.token_file, "telegram.token_file")

    @property
    def telegram_webhook_secret(self) -> Secret:
        return Secret(
            "RELAIS_TELEGRAM_WEBHOOK_SECRET",
            self.telegram.webhook_secret_file,
            "telegram.webhook_secret_file",
        )

    @property
    def matrix_password(self) -> Secret:
        return Secret("RELAIS_MATRIX_PASSWORD", self.matrix.password_file, "matrix.password_file")

    @property
    def matrix_pickle_key(self) -> Secret:
        return Secret(
            "RELAIS_MATRIX_PICKLE_KEY", self.matrix.pickle_key_file, "matrix.pickle_key_file"
        )

    @property
    def encryption_keys(self) -> Secret:
        return Secret("RELAIS_KEYS", self.keys.key_file, "keys.key_file")

    @property
    def audit_secret(self) -> Secret:
        return Secret("RELAIS_AUDIT_SECRET", self.keys.audit_secret_file, "keys.audit_secret_file")


_CHOICES: dict[str, tuple[str, ...]] = {
    "telegram.mode": ("polling", "webhook"),
    "matrix.device_trust": ("cross-signed", "all"),
    "storage.sqlite_synchronous": ("normal", "full"),
    "default_language": ("en", "fr"),
    "log_level": ("DEBUG", "INFO", "WARNING", "ERROR"),
    "log_format": ("text", "json"),
}


#: keys that existed once, with what replaces them
_REMOVED: dict[str, str] = {
    "matrix.ignore_unverified_devices": (
        'removed: use device_trust = "cross-signed" (the default: only devices their owner '
        'has cross-signed) or "all" (any device, for clients without cross-signing); see '
        "README, Matrix"
    ),
}


def _convert(value: Any, hint: Any, path: str) -> Any:
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if not isinstance(value, dict):
            raise ConfigError(f"expected a table [{path}], found {type(value).__name__}", path)
        return _build(hint, value, path)
    if hint is timedelta:
        if not isinstance(value, str):
            raise ConfigError("expected a duration string such as '2h'", path)
        return parse_duration(value, path)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"expected true or false, found {value!r}", path)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"expected an integer, found {value!r}", path)
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"expected a string, found {value!r}", path)
        choices = _CHOICES.get(path)
        if choices and value not in choices:
            raise ConfigError(f"expected one of {', '.join(choices)}, found {value!r}", path)
        return value
    origin = get_origin(hint)
    if origin is dict:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ConfigError("expected a table of strings", path)
        return dict(value)
    if origin in (Union, types.UnionType):  # pragma: no cover - no optional keys yet
        return _convert(value, get_args(hint)[0], path)
    raise ConfigError(f"unsupported type for {path}", path)  # pragma: no cover


def _build(cls: type[Any], data: dict[str, Any], prefix: str) -> Any:
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls) if f.name != "source"]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        if path in _REMOVED:
            raise ConfigError(_REMOVED[path], path)
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
            hint = f"; did you mean {prefix + '.' if prefix else ''}{close[0]}?" if close else ""
            known = ", ".join(names)
            raise ConfigError(f"unknown key{hint} (known keys here: {known})", path)
        kwargs[key] = _convert(value, hints[key], path)
    return cls(**kwargs)


def parse_config(text: str, source: str = "<string>") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    try:
        config: Config = _build(Config, data, "")
        check_config(config)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    return dataclasses.replace(config, source=source)


def load_config(path: str | None = None) -> Config:
    """Load the file given, else $RELAIS_CONFIG, else the embedded defaults."""
    path = path or os.environ.get("RELAIS_CONFIG") or None
    if path is None:
        data_dir = os.environ.get("RELAIS_DATA_DIR")
        return Config(data_dir=data_dir) if data_dir else Config()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path!r}: {exc.strerror}") from exc
    return parse_config(text, path)
