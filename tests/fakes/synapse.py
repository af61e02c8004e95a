"""A real Synapse homeserver for tests and benchmarks, from the installed `matrix-synapse` package.

    server = SynapseServer(tmp_dir)
    server.start()                         # SQLite, 127.0.0.1:<free port>, a few seconds
    alice = server.register("alice", "secret")      # -> "@alice:localhost" (shared-secret API)
    server.stop(); server.start()          # same port, same database: a homeserver restart
    server.close()

The configuration is written here, not generated: `server_name: localhost`, no federation
listener, no key servers, registration only through the shared secret, no stats. Synapse's
default `rc_message` (0.2/s, burst 10) is kept; every other rate limit is raised. Users are
exempted from `rc_message` through the admin `override_ratelimit` API unless `register(...,
rate_limited=True)` (or `server.set_message_limit(user)` later) keeps them under the default.

If Synapse does not come up, `SynapseError` carries the tail of its log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

__all__ = ["SynapseError", "SynapseServer"]

SERVER_NAME = "localhost"
#: Synapse's own defaults for rc_message (docs: "rc_message ... per_second 0.2, burst_count 10").
DEFAULT_MESSAGE_RATE = (0.2, 10)

_RAISED = {"per_second": 1000, "burst_count": 1000}


class SynapseError(RuntimeError):
    """Synapse did not start or refused an admin call; the message holds its log tail."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SynapseServer:
    def __init__(self, directory: Path, *, port: int | None = None) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port or _free_port()
        self.shared_secret = secrets.token_hex(16)
        self.log_path = self.directory / "homeserver.log"
        self.config_path = self.directory / "homeserver.yaml"
        self._process: subprocess.Popen[bytes] | None = None
        self._admin_token: str | None = None
        self._write_config()

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 60.0) -> None:
        if self.running:
            return
        stdout = (self.directory / "stdout.log").open("ab")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
            cwd=self.directory,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            env={**os.environ, "SYNAPSE_ASYNC_IO_REACTOR": "0", "PYTHONWARNINGS": "ignore"},
        )
        stdout.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SynapseError(
                    f"Synapse exited with status {self._process.returncode}\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        self.stop()
        raise SynapseError(f"Synapse did not answer within {timeout:.0f}s\n{self.log_tail()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()

    def log_tail(self, lines: int = 40) -> str:
        parts = []
        for path in (self.log_path, self.directory / "stdout.log"):
            if path.exists():
                text = path.read_text(encoding="utf-8", errors="replace").splitlines()
                parts.append(f"--- {path.name} (last {lines} lines)\n" + "\n".join(text[-lines:]))
        return "\n".join(parts) or "(no Synapse log)"

    # -- users ------------------------------------------------------------------------------

    def register(
        self, localpart: str, password: str, *, admin: bool = False, rate_limited: bool = False
    ) -> str:
        """Create a user through the shared-secret admin API; return the user id.

        Users are exempted from `rc_message` unless `rate_limited` (Synapse's default limits).
        """
        nonce = self._request("GET", "/_synapse/admin/v1/register")["nonce"]
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": _registration_mac(self.shared_secret, nonce, localpart, password, admin),
        }
        result = self._request("POST", "/_synapse/admin/v1/register", body)
        user_id: str = result["user_id"]
        if not rate_limited:
            self.set_message_limit(user_id, None)
        return user_id

    def set_message_limit(
        self, user_id: str, limit: tuple[float, int] | None = DEFAULT_MESSAGE_RATE
    ) -> None:
        """Put `user_id` under `limit` (messages per second, burst); None = no limit."""
        path = f"/_synapse/admin/v1/users/{user_id}/override_ratelimit"
        if limit is None:
            body: dict[str, float] = {"messages_per_second": 0, "burst_count": 0}
        else:
            body = {"messages_per_second": limit[0], "burst_count": limit[1]}
        self._request("POST", path, body, token=self._admin())

    def _admin(self) -> str:
        if self._admin_token is None:
            password = secrets.token_hex(8)
            user_id = self.register("relais-test-admin", password, admin=True, rate_limited=True)
            result = self._request(
                "POST",
                "/_matrix/client/v3/login",
                {
                    "type": "m.login.password",
                    "identifier": {"type": "m.id.user", "user": user_id},
                    "password": password,
                },
            )
            self._admin_token = str(result["access_token"])
        return self._admin_token

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str = ""
    ) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                result: dict[str, Any] = json.loads(response.read() or b"{}")
                return result
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", errors="replace")
            raise SynapseError(f"{method} {path}: HTTP {exc.code} {detail}") from exc

    # -- configuration ----------------------------------------------------------------------

    def _write_config(self) -> None:
        d = self.directory
        (d / "media_store").mkdir(exist_ok=True)
        key_path = d / "localhost.signing.key"
        if not key_path.exists():
            from signedjson.key import generate_signing_key, write_signing_keys

            with key_path.open("w") as handle:
                write_signing_keys(handle, [generate_signing_key("a_test")])
        (d / "log.yaml").write_text(
            json.dumps(
                {
                    "version": 1,
                    "formatters": {
                        "precise": {
                            "format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - "
                            "%(request)s - %(message)s"
                        }
                    },
                    "handlers": {
                        "file": {
                            "class": "logging.FileHandler",
                            "formatter": "precise",
                            "filename": str(self.log_path),
                            "encoding": "utf8",
                        }
                    },
                    "loggers": {"synapse.storage.SQL": {"level": "WARNING"}},
                    "root": {"level": "INFO", "handlers": ["file"]},
                    "disable_existing_loggers": False,
                }
            )
        )
        limits = {
            name: _RAISED
            for name in (
                "rc_registration",
                "rc_admin_redaction",
                "rc_3pid_validation",
                "rc_key_requests",
                "rc_presence",
                "rc_delayed_event_mgmt",
                "rc_reports",
                "rc_room_creation",
                "rc_sliding_sync",
            )
        }
        config: dict[str, Any] = {
            "server_name": SERVER_NAME,
            "pid_file": str(d / "homeserver.pid"),
            "public_baseurl": f"http://127.0.0.1:{self.port}/",
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(d / "homeserver.db")}},
            "log_config": str(d / "log.yaml"),
            "media_store_path": str(d / "media_store"),
            "signing_key_path": str(key_path),
            "registration_shared_secret": self.shared_secret,
            "macaroon_secret_key": secrets.token_hex(16),
            "form_secret": secrets.token_hex(16),
            "report_stats": False,
            "enable_registration": False,
            "bcrypt_rounds": 4,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "enable_metrics": False,
            "rc_login": {"address": _RAISED, "account": _RAISED, "failed_attempts": _RAISED},
            "rc_joins": {"local": _RAISED, "remote": _RAISED},
            "rc_joins_per_room": _RAISED,
            "rc_invites": {"per_room": _RAISED, "per_user": _RAISED, "per_issuer": _RAISED},
            **limits,
        }
        # JSON is YAML: no PyYAML dependency needed to write it.
        self.config_path.write_text(json.dumps(config, indent=2))


def _registration_mac(secret: str, nonce: str, user: str, password: str, admin: bool) -> str:
    """HMAC-SHA1 over nonce, user, password and admin flag, NUL-separated (Synapse admin API)."""
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
    mac.update(nonce.encode())
    mac.update(b"\x00")
    mac.update(user.encode())
    mac.update(b"\x00")
    mac.update(password.encode())
    mac.update(b"\x00")
    mac.update(b"admin" if admin else b"notadmin")
    return mac.hexdigest()
