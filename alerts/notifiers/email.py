"""``email``: send the alert as a plain-text UTF-8 e-mail through SMTP (standard library).

STARTTLS by default, or implicit TLS (``ssl: true``); the server's certificate and host name
are always verified (``ca_cert`` adds a private CA). The subject is the alert's first line,
e.g. ``[P2 สูง] ข้อความเชิงลบพุ่งสูง — ธนาคารแสงทอง``."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from typing import Literal
from pathlib import Path

from pydantic import Field, SecretStr, model_validator

from alerts.notifiers.base import Notification, Notifier, register
from alerts.notifiers.chat import clip
from alerts.notifiers.options import NotifierOptions, id_field, retries_field, timeout_field
from sadap.core.settings_types import Duration
from sadap.core.errors import ConfigError
from alerts.notifiers.delivery import GiveUp, Retry, deliver

_ENGLISH_DIVIDER = "\n\n———— English ————\n\n"


def _subject(text: str) -> str:
    line = text.split("\n", 1)[0].strip()
    return clip(line, 200)


class EmailOptions(NotifierOptions):
    """Send each alert as an e-mail (plain text, UTF-8) through an SMTP server."""

    id: str = id_field()
    type: Literal["email"]
    host: str = Field(description="SMTP server host name.")
    port: int | None = Field(None, ge=1, le=65535, description="SMTP port; default 465 with `ssl`, else 587.")
    starttls: bool = Field(True, description="Upgrade the connection with STARTTLS before logging in and sending.")
    ssl: bool = Field(False, description="Use implicit TLS from the first byte (SMTPS, usually port 465) instead of STARTTLS.")
    ca_cert: str | None = Field(
        None,
        description="CA certificate (PEM) that signed the server's certificate, when not a public CA. "
        "The certificate and host name are always verified.",
    )
    sender: str = Field(description="The From address, e.g. `Sadap <alerts@example.co.th>`.")
    to: list[str] = Field(min_length=1, description="Recipient addresses.")
    username: str | None = Field(None, description="User to log in as (no login when unset).")
    password_env: str | None = Field(None, description="Environment variable holding the password (with `username`).")
    lang: Literal["th", "en", "both"] = Field(
        "both", description="`th`: Thai only; `en`: English only; `both`: Thai subject and body with English below."
    )
    timeout: Duration = timeout_field()
    retries: int = retries_field()

    @model_validator(mode="after")
    def _transport(self) -> EmailOptions:
        if self.ssl and self.starttls:
            raise ValueError("`ssl: true` (implicit TLS) and `starttls: true` exclude each other; set `starttls: false`")
        if self.username and not (self.ssl or self.starttls):
            raise ValueError("a login without `starttls` or `ssl` would send the password unencrypted")
        if self.username and not self.password_env:
            raise ValueError("`username` needs `password_env`")
        return self

    @property
    def resolved_port(self) -> int:
        return self.port or (465 if self.ssl else 587)

    def password(self) -> SecretStr | None:
        return self._env("password_env") if self.username else None

    def check(self) -> None:
        self.password()
        if self.ca_cert and not Path(self.ca_cert).is_file():
            raise ConfigError(f"notifier {self.id!r}: ca_cert {self.ca_cert} is not a file")


@register
class EmailNotifier(Notifier):
    type_name = "email"
    Options = EmailOptions
    config: EmailOptions

    def message(self, notification: Notification) -> EmailMessage:
        """The e-mail for ``notification`` (subject and body per ``lang``)."""
        c = self.config
        if c.lang == "en":
            subject, body = _subject(notification.text_en), notification.text_en
        elif c.lang == "th":
            subject, body = _subject(notification.text_th), notification.text_th
        else:
            subject, body = _subject(notification.text_th), notification.text_th + _ENGLISH_DIVIDER + notification.text_en
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = c.sender
        msg["To"] = ", ".join(c.to)
        msg["Date"] = formatdate(usegmt=True)
        domain = parseaddr(c.sender)[1].rpartition("@")[2] or None
        msg["Message-ID"] = make_msgid("sadap", domain=domain)
        payload = notification.payload
        for header, value in (
            ("X-Sadap-Rule", payload.get("rule")),
            ("X-Sadap-Severity", payload.get("severity")),
            ("X-Sadap-Incident", (payload.get("incident") or {}).get("id")),
        ):
            if value:
                msg[header] = str(value)
        msg.set_content(body + "\n", charset="utf-8")
        return msg

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.ca_cert)  # verifies certificate and host name

    def send(self, notification: Notification) -> None:
        c = self.config
        secret = self.secret(c.password)
        password = secret.get_secret_value() if secret else ""  # set whenever `username` is
        msg = self.message(notification)

        def attempt() -> None:
            timeout = c.timeout.total_seconds()
            try:
                smtp: smtplib.SMTP
                if c.ssl:
                    smtp = smtplib.SMTP_SSL(c.host, c.resolved_port, timeout=timeout, context=self._tls())
                else:
                    smtp = smtplib.SMTP(c.host, c.resolved_port, timeout=timeout)
                with smtp:
                    if c.starttls:
                        smtp.starttls(context=self._tls())
                    if c.username:
                        smtp.login(c.username, password)
                    smtp.send_message(msg, from_addr=parseaddr(c.sender)[1], to_addrs=c.to)
            except smtplib.SMTPAuthenticationError as err:
                raise GiveUp(f"login refused (SMTP {err.smtp_code})") from None
            except smtplib.SMTPNotSupportedError as err:
                raise GiveUp(f"the server does not support it ({str(err)[:80]})") from None
            except smtplib.SMTPRecipientsRefused as err:
                codes = sorted({code for code, _ in err.recipients.values()})
                reason = f"recipients refused (SMTP {', '.join(map(str, codes))})"
                if all(400 <= code < 500 for code in codes):  # mailbox busy, greylisted: for now
                    raise Retry(reason) from None
                raise GiveUp(reason) from None
            except smtplib.SMTPResponseException as err:
                reason = f"{type(err).__name__} (SMTP {err.smtp_code})"
                if 400 <= err.smtp_code < 500:
                    raise Retry(reason) from None
                raise GiveUp(reason) from None
            except ssl.SSLCertVerificationError as err:
                raise GiveUp(f"TLS certificate not trusted: {err.verify_message}") from None
            except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError) as err:
                # the connection dropped during or after the handshake: the network, not the settings
                raise Retry(f"TLS connection closed ({type(err).__name__})") from None
            except ssl.SSLError as err:
                raise GiveUp(f"TLS failed: {err.reason or type(err).__name__}") from None
            except (smtplib.SMTPException, OSError) as err:  # connection refused, timeout, dropped
                raise Retry(type(err).__name__) from None

        deliver(self, attempt, secrets=[password])
