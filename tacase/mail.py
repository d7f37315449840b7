"""Sending mail: by SMTP, or in development into a local file and the log.

A sender has one method, `send(mail)`, which returns when the message is accepted and raises
otherwise; the outbox decides about retries. Each message carries a Message-ID derived from its
outbox row, the same at every attempt, so that a receiver can drop a copy that a crash between
sending and recording made the outbox send twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.generator import Generator
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 20.0
MAX_TIMEOUT = 300.0


class MailConfigError(ValueError):
    """TACASE_SMTP_URL or TACASE_MAIL_FROM cannot be used; the message says why."""


@dataclass(frozen=True)
class OutgoingMail:
    outbox_id: int
    to_address: str
    subject: str
    body_text: str
    body_html: str
    created_at: dt.datetime


class Sender(Protocol):
    def send(self, mail: OutgoingMail) -> None: ...

    def close(self) -> None:
        """The end of a batch: let go of what the batch shared (a connection)."""


def _domain_of(mail_from: str) -> str:
    address = email.utils.parseaddr(mail_from)[1]
    domain = address.rpartition("@")[2] if "@" in address else ""
    return domain or "tacase.invalid"


def message_id(mail: OutgoingMail, domain: str) -> str:
    # The creation instant keeps ids apart when a database is recreated and ids start again.
    stamp = mail.created_at.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
    return f"<tacase.outbox.{mail.outbox_id}.{stamp}@{domain}>"


def build_message(mail: OutgoingMail, mail_from: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = mail.to_address
    msg["Subject"] = mail.subject
    msg["Date"] = email.utils.format_datetime(mail.created_at.astimezone(dt.UTC))
    msg["Message-ID"] = message_id(mail, _domain_of(mail_from))
    # RFC 3834: no vacation replies and no loops with other robots.
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.body_text)
    msg.add_alternative(mail.body_html, subtype="html")
    return msg


def describe_error(exc: BaseException) -> str:
    """One line for last_error: the server's code and words when it gave some."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{addr}: {code} {_text(reply)}" for addr, (code, reply) in exc.recipients.items()]
        return "recipient refused: " + "; ".join(parts)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"


def _text(reply: Any) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


# --- SMTP --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: bool  # smtps://: TLS from the first byte
    starttls: bool  # smtp:// upgraded with STARTTLS
    username: str | None
    password: str | None
    timeout: float
    helo: str | None


def parse_smtp_url(url: str) -> SmtpSettings:
    """smtp://[user:password@]host[:port][?starttls=1&timeout=20&helo=name], or smtps://..."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise MailConfigError(f"TACASE_SMTP_URL is not a valid URL: {exc}") from None
    if parts.scheme not in ("smtp", "smtps"):
        raise MailConfigError("TACASE_SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise MailConfigError("TACASE_SMTP_URL names no host")
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(options) - {"starttls", "timeout", "helo"})
    if unknown:
        raise MailConfigError(f"TACASE_SMTP_URL: unknown options {unknown} (known: helo, starttls, timeout)")
    starttls = options.get("starttls", "0").lower() in ("1", "true", "yes")
    tls = parts.scheme == "smtps"
    if tls and starttls:
        raise MailConfigError("TACASE_SMTP_URL: smtps:// is TLS already; starttls=1 is for smtp://")
    try:
        timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
    except ValueError:
        timeout = -1.0
    if not 0 < timeout <= MAX_TIMEOUT:
        raise MailConfigError(f"TACASE_SMTP_URL: timeout must be a number of seconds up to {MAX_TIMEOUT:g}")
    return SmtpSettings(
        host=parts.hostname, port=port or (465 if tls else 587 if starttls else 25), tls=tls,
        starttls=starttls, username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        timeout=timeout, helo=options.get("helo") or None,
    )


class SmtpSender:
    """One SMTP connection for a batch of messages, and one TLS context for the sender's life.

    Building a TLS context reads the system's certificates (tens of milliseconds of CPU) and a
    connection costs a handshake: a batch shares both. A message the server refuses leaves the
    connection usable (smtplib resets it); a broken connection is dropped, that message counts as a
    failed attempt, and the next one connects again. `close()` ends the batch's connection.
    """

    def __init__(self, settings: SmtpSettings, mail_from: str) -> None:
        self.settings, self.mail_from = settings, mail_from
        self.timeout = settings.timeout
        self._context: ssl.SSLContext | None = None
        self._conn: smtplib.SMTP | None = None
        self._lock = threading.Lock()
        self.connections = 0  # opened so far, for whoever wants to know what a batch cost

    def _tls_context(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = ssl.create_default_context()
        return self._context

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        conn: smtplib.SMTP
        if s.tls:
            conn = smtplib.SMTP_SSL(s.host, s.port, local_hostname=s.helo, timeout=s.timeout,
                                    context=self._tls_context())
        else:
            conn = smtplib.SMTP(s.host, s.port, local_hostname=s.helo, timeout=s.timeout)
        try:
            if s.starttls:
                conn.starttls(context=self._tls_context())
            if s.username:
                conn.login(s.username, s.password or "")
        except BaseException:
            _quietly_close(conn)
            raise
        self.connections += 1
        return conn

    def send(self, mail: OutgoingMail) -> None:
        msg = build_message(mail, self.mail_from)
        with self._lock:
            if self._conn is None:
                self._conn = self._connect()
            try:
                self._conn.send_message(msg)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError):
                raise  # refused, and the session reset: the connection serves the next message
            except BaseException:
                _quietly_close(self._conn)
                self._conn = None
                raise

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                try:
                    conn.quit()
                except (smtplib.SMTPException, OSError):
                    _quietly_close(conn)


def _quietly_close(conn: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        conn.close()


# --- development: a file and a log line -----------------------------------------------------------

class FileSender:
    """Appends each message to a file in mbox format (any mail reader opens it) and logs one line."""

    def __init__(self, path: str | Path, mail_from: str) -> None:
        self.path, self.mail_from = Path(path), mail_from
        self._lock = threading.Lock()

    def close(self) -> None:
        pass  # each message opens and closes the file
    def send(self, mail: OutgoingMail) -> None:
        msg = build_message(mail, self.mail_from)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        stamp = mail.created_at.astimezone(dt.UTC).strftime("%a %b %d %H:%M:%S %Y")
        with self._lock, self.path.open("a", encoding="utf-8", newline="\n") as out:
            out.write(f"From tacase@localhost {stamp}\n")
            # mangle_from_ quotes body lines starting with "From " so the file stays valid mbox.
            Generator(out, mangle_from_=True, policy=SMTP_POLICY.clone(linesep="\n")).flatten(msg)
            out.write("\n")
        # One line per mail at DEBUG: the delivery pass logs its counts, and a demo's hundreds of mails
        # would bury what `make run` prints for a newcomer.
        log.debug("mail %s to %s: %s (written to %s)", msg["Message-ID"], mail.to_address, mail.subject,
                  self.path)


def make_sender(config: Any) -> Sender:
    """SMTP when TACASE_SMTP_URL is set; otherwise (development) the mail log file."""
    mail_from = config.MAIL_FROM
    if "@" not in email.utils.parseaddr(mail_from)[1]:
        raise MailConfigError(f"TACASE_MAIL_FROM={mail_from!r} is not a mail address")
    if config.SMTP_URL:
        return SmtpSender(parse_smtp_url(config.SMTP_URL), mail_from)
    return FileSender(config.MAIL_LOG_PATH, mail_from)
