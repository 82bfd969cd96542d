"""``email``: send the alert as a plain-text UTF-8 e-mail through SMTP (standard library).

STARTTLS by default, or implicit TLS (``ssl: true``); the server's certificate and host name
are always verified (``ca_cert`` adds a private CA). The subject is the alert's first line,
e.g. ``[P2 สูง] ข้อความเชิงลบพุ่งสูง — ธนาคารแสงทอง``."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from alerts.notifiers.base import Notification, Notifier
from alerts.notifiers.delivery import GiveUp, Retry, deliver

_ENGLISH_DIVIDER = "\n\n———— English ————\n\n"


def _subject(text: str) -> str:
    line = text.split("\n", 1)[0].strip()
    return line if len(line) <= 200 else line[:199] + "…"


class EmailNotifier(Notifier):
    type_name = "email"

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
        password = secret.get_secret_value() if secret else None
        msg = self.message(notification)

        def attempt() -> None:
            timeout = c.timeout.total_seconds()
            try:
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
                raise GiveUp(f"recipients refused (SMTP {', '.join(map(str, codes))})") from None
            except smtplib.SMTPResponseException as err:
                reason = f"{type(err).__name__} (SMTP {err.smtp_code})"
                if 400 <= err.smtp_code < 500:
                    raise Retry(reason) from None
                raise GiveUp(reason) from None
            except ssl.SSLCertVerificationError as err:
                raise GiveUp(f"TLS certificate not trusted: {err.verify_message}") from None
            except ssl.SSLError as err:
                raise GiveUp(f"TLS failed: {err.reason or type(err).__name__}") from None
            except (smtplib.SMTPException, OSError) as err:  # connection refused, timeout, dropped
                raise Retry(type(err).__name__) from None

        deliver(self, attempt, secrets=[password])
