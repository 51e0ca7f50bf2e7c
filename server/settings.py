"""Settings read once from STROOM_* environment variables."""
from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.sandbox import limits as script_limits
from server.sandbox.errors import SandboxError

RULE_MODES = ("enforce", "warn", "off")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsError(ValueError):
    """A STROOM_* variable holds a value Stroom cannot use."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything configurable about one Stroom process; immutable after start."""

    instance_dir: Path
    database_url: str
    secret_key: str
    smtp_url: str | None = None
    smtp_from: str = "stroom@localhost"
    outbox_dir: Path | None = None
    inbox_dir: Path | None = None
    log_level: str = "INFO"
    ubl_rules: str = "enforce"
    max_document_bytes: int = 20 * 1024 * 1024
    # STROOM_RECOVER_AFTER_SECONDS: a document still `received` this long after it arrived was left
    # unprocessed (its process died mid-ingest); the worker processes it then.
    recover_after_seconds: float = 300.0
    embedded_worker: bool = True
    db_pool_size: int = 5
    base_url: str = "http://127.0.0.1:5000"
    # STROOM_MAIL_LANGUAGE: a supplier's mail language when neither master data nor the invoice's country says.
    mail_language: str = "en"
    # STROOM_TIMEZONE: the IANA zone pages and mails show moments in (stored times stay UTC).
    timezone: str = "UTC"
    metrics_public: bool = False
    testing: bool = False
    # STROOM_AUDIT_KEY; None: the key file in the instance directory (server/audit/keys.py).
    audit_key: str | None = dataclasses.field(default=None, repr=False)

    @property
    def outbox(self) -> Path:
        """The folder e-mail goes to when no SMTP server is configured."""
        return self.outbox_dir or self.instance_dir / "outbox"

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed (used by tests and the CLI)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def _mail_language(value: str) -> str:
    """`en` or `nl` (the languages mail templates exist in); anything else is refused at start."""
    code = value.strip().lower()
    if code not in ("en", "nl"):
        raise SettingsError(f"STROOM_MAIL_LANGUAGE must be en or nl, not {value!r}")
    return code


def _timezone(value: str) -> str:
    """An IANA zone name (Europe/Amsterdam, UTC); an unknown one is refused at start, not shown wrong later."""
    name = value.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"STROOM_TIMEZONE must be an IANA time zone such as Europe/Amsterdam or UTC, "
                            f"not {value!r}") from None
    return name


def _secret_key(instance_dir: Path) -> str:
    """Keep a generated key under instance/ so sessions survive restarts."""
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the STROOM_* variables (defaults: SQLite and outbox under ./instance)."""
    env = os.environ if environ is None else environ
    instance_dir = Path(env.get("STROOM_INSTANCE_DIR", "instance")).resolve()
    database_url = env.get("STROOM_DATABASE_URL") or f"sqlite:///{instance_dir / 'stroom.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://"):]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    log_level = env.get("STROOM_LOG_LEVEL", "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise SettingsError(f"STROOM_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    ubl_rules = env.get("STROOM_UBL_RULES", "enforce").lower()
    if ubl_rules not in RULE_MODES:
        raise SettingsError(f"STROOM_UBL_RULES must be one of {', '.join(RULE_MODES)}")
    try:
        max_bytes = int(env.get("STROOM_MAX_DOCUMENT_BYTES", str(20 * 1024 * 1024)))
    except ValueError as exc:
        raise SettingsError("STROOM_MAX_DOCUMENT_BYTES must be an integer") from exc
    try:
        pool_size = int(env.get("STROOM_DB_POOL_SIZE", "5"))
    except ValueError as exc:
        raise SettingsError("STROOM_DB_POOL_SIZE must be an integer") from exc
    if not 1 <= pool_size <= 100:
        raise SettingsError("STROOM_DB_POOL_SIZE must be between 1 and 100")
    try:
        script_limits.from_environ(env)  # read again by the script sandbox when it starts; refused here first
    except SandboxError as exc:
        raise SettingsError(str(exc)) from None
    try:
        recover_after = float(env.get("STROOM_RECOVER_AFTER_SECONDS", "300"))
    except ValueError as exc:
        raise SettingsError("STROOM_RECOVER_AFTER_SECONDS must be a number of seconds") from exc
    if not 0 < recover_after <= 30 * 86400:
        raise SettingsError("STROOM_RECOVER_AFTER_SECONDS must be more than 0 and at most 2592000 (30 days)")
    audit_key = env.get("STROOM_AUDIT_KEY") or None
    if audit_key is not None and len(audit_key.strip()) < 32:
        raise SettingsError("STROOM_AUDIT_KEY must be at least 32 characters (python -c 'import secrets; "
                            "print(secrets.token_urlsafe(48))')")
    outbox = env.get("STROOM_OUTBOX_DIR")
    inbox = env.get("STROOM_INBOX_DIR")
    return Settings(
        instance_dir=instance_dir,
        database_url=database_url,
        secret_key=env.get("STROOM_SECRET_KEY") or _secret_key(instance_dir),
        smtp_url=env.get("STROOM_SMTP_URL") or None,
        smtp_from=env.get("STROOM_SMTP_FROM", "stroom@localhost"),
        outbox_dir=Path(outbox).resolve() if outbox else None,
        inbox_dir=Path(inbox).resolve() if inbox else None,
        log_level=log_level,
        ubl_rules=ubl_rules,
        max_document_bytes=max_bytes,
        recover_after_seconds=recover_after,
        embedded_worker=_bool("STROOM_EMBEDDED_WORKER", env.get("STROOM_EMBEDDED_WORKER", "true")),
        db_pool_size=pool_size,
        base_url=env.get("STROOM_BASE_URL", "http://127.0.0.1:5000"),
        mail_language=_mail_language(env.get("STROOM_MAIL_LANGUAGE", "en")),
        timezone=_timezone(env.get("STROOM_TIMEZONE", "UTC")),
        audit_key=audit_key.strip() if audit_key else None,
        metrics_public=_bool("STROOM_METRICS_PUBLIC", env.get("STROOM_METRICS_PUBLIC", "false")),
    )
