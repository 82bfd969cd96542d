"""Notifiers against real local receivers: an HTTP server for webhook, Slack, Teams and LINE;
an SMTP server (aiosmtpd) with STARTTLS, implicit TLS and AUTH for e-mail. The alert they carry
is a real one, fired by the engine over a real SQLite store with a shipped playbook."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pydantic import ValidationError

from sadap.app.alerting import build_engine
from alerts.notifiers import NOTIFIERS, Notification, Notifier, build_notifiers
from alerts.notifiers.email import EmailOptions
from alerts.notifiers.line import LineOptions
from alerts.notifiers.slack import SlackOptions
from alerts.notifiers.teams import TeamsOptions
from alerts.notifiers.webhook import WebhookOptions
from alerts.notifiers.delivery import DeliveryFailed, GiveUp, Retry, deliver
from alerts.notifiers.email import EmailNotifier
from alerts.notifiers.line import LineNotifier, truncate
from alerts.notifiers.slack import SlackNotifier
from alerts.notifiers.teams import TeamsNotifier
from alerts.notifiers.webhook import WebhookNotifier
from sadap.app.config import Config, load_config_file
from sadap.core.errors import ConfigError, NotifyError
from sadap.store.sqlite import SQLiteStore
from sadap.core.timeutil import UTC
from tests.factories import ENTITY, mention

NOW = dt.datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
SUBJECT = f"[P2 สูง] มีผู้พูดถึงระบบล่ม — {ENTITY}"
EXAMPLES = ["แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้เลย", "ระบบแสงทองล่มตั้งแต่เช้า ใช้งานไม่ได้"]

CONFIG = f"""
watch:
  - name: {ENTITY}
    aliases: [แสงทอง]
rules:
  - id: outage
    type: watch
    title: {{th: "มีผู้พูดถึงระบบล่ม", en: "Outage mentioned"}}
    severity: P2
    query: 'ล่ม OR "โอนเงินไม่ได้"'
    group_by: entity
    window: 1h
    playbook: service-outage
"""

# Secrets used below; none may ever show in an error, a log line or an incident timeline.
HOOK_TOKEN = "hooktoken-7f3a9c"
SIGNING_SECRET = "signing-secret-91be"
SLACK_TOKEN = "slacktoken-T0B0XYZ"
TEAMS_TOKEN = "teamssig-4d2e8a"
LINE_TOKEN = "line-channel-token-55aa"
SMTP_PASSWORD = "smtp-pass-0c1d"
ALL_SECRETS = [HOOK_TOKEN, SIGNING_SECRET, SLACK_TOKEN, TEAMS_TOKEN, LINE_TOKEN, SMTP_PASSWORD]


# -- a real alert ------------------------------------------------------------


class Recorder(Notifier):
    type_name = "recorder"

    def __init__(self):
        self.config = type("C", (), {"id": "rec"})()
        self.sent: list[Notification] = []

    def send(self, notification):
        self.sent.append(notification)


def _fire(tmp_path, notifiers):
    """Fire the outage rule once over a fresh store; return the store and the alert."""
    (tmp_path / "sadap.yaml").write_text(CONFIG, encoding="utf-8")
    config = load_config_file(tmp_path / "sadap.yaml")
    store = SQLiteStore(tmp_path / "alerts.db")
    store.upsert([mention(i, text, "neg", NOW - dt.timedelta(minutes=20 - i)) for i, text in enumerate(EXAMPLES)])
    fired = build_engine(config, store, notifiers=notifiers).check(NOW)
    assert [a.rule for a in fired] == ["outage"] and fired[0].incident
    return store, fired[0]


@pytest.fixture(scope="module")
def note(tmp_path_factory) -> Notification:
    recorder = Recorder()
    store, _ = _fire(tmp_path_factory.mktemp("alert"), [recorder])
    store.close()
    (note,) = recorder.sent
    assert note.text_th.startswith(SUBJECT + "\n")
    return note


# -- a local HTTP receiver -----------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    base: str
    answers: list  # (status, headers, body) per request; the last one repeats
    requests: list[Received] = field(default_factory=list)

    def url(self, path="/hook"):
        return self.base + path


@pytest.fixture
def http():
    servers = []

    def start(*answers):
        receiver = Receiver("", list(answers) or [(200, {}, b"ok")])

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status, headers, reply = receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        receiver.base = f"http://127.0.0.1:{server.server_address[1]}"
        return receiver

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _quick(notifier):
    """Record the waits between attempts instead of sleeping."""
    notifier.waits = []
    notifier.sleep = notifier.waits.append
    return notifier


# -- webhook -----------------------------------------------------------------


def _verify(secret: str, received: Received, now: float, tolerance: float = 300) -> bool:
    """What a receiver does (as docs/alerts.md describes), written independently of Sadap."""
    timestamp = received.headers["x-sadap-timestamp"]
    if abs(now - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest("sha256=" + expected, received.headers["x-sadap-signature"])


def test_webhook_signs_timestamp_and_exact_body(note, http, monkeypatch):
    rx = http()
    monkeypatch.setenv("HOOK_SECRET", SIGNING_SECRET)
    hook = WebhookNotifier(WebhookOptions(id="hook", type="webhook", url=rx.url(), secret_env="HOOK_SECRET"))
    hook.clock = lambda: 1795748400.7
    hook.send(note)
    (req,) = rx.requests
    assert req.headers["x-sadap-timestamp"] == "1795748400"
    assert req.headers["content-type"].startswith("application/json")
    assert _verify(SIGNING_SECRET, req, now=1795748410)
    body = req.json()
    assert body["rule"] == "outage" and body["text"] == note.text_th and ENTITY in req.body.decode("utf-8")
    # The signature covers the timestamp and every byte: a replay later, a changed body or
    # another secret all fail.
    assert not _verify(SIGNING_SECRET, req, now=1795748400 + 301)
    assert not _verify(SIGNING_SECRET, Received(req.path, req.headers, req.body.replace(b'"P2"', b'"P5"')), now=1795748400)
    assert not _verify("another-secret", req, now=1795748400)


def test_webhook_without_secret_sends_no_signature(note, http):
    rx = http()
    WebhookNotifier(WebhookOptions(id="hook", type="webhook", url=rx.url(), lang="en")).send(note)
    (req,) = rx.requests
    assert "x-sadap-signature" not in req.headers and req.json()["text"] == note.text_en


def test_webhook_retries_with_backoff_and_retry_after_and_signs_each_attempt(note, http, monkeypatch):
    rx = http((429, {"Retry-After": "2"}, b""), (503, {}, b""), (500, {}, b""), (200, {}, b""))
    monkeypatch.setenv("HOOK_SECRET", SIGNING_SECRET)
    hook = _quick(WebhookNotifier(WebhookOptions(id="hook", type="webhook", url=rx.url(), secret_env="HOOK_SECRET")))
    ticks = iter([1000.0, 1002.0, 1003.0, 1005.0])
    hook.clock = lambda: next(ticks)
    hook.send(note)
    assert hook.waits == [2.0, 1.0, 2.0]  # Retry-After honoured, then 0.5 s doubling from the second wait
    assert [r.headers["x-sadap-timestamp"] for r in rx.requests] == ["1000", "1002", "1003", "1005"]
    assert all(_verify(SIGNING_SECRET, r, now=1005) for r in rx.requests)
    assert len({r.headers["x-sadap-delivery"] for r in rx.requests}) == 1  # one id: receivers can drop duplicates


def test_retry_after_beyond_the_cap_gives_up_at_once(note, http):
    rx = http((429, {"Retry-After": "3600"}, b""))
    hook = _quick(WebhookNotifier(WebhookOptions(id="hook", type="webhook", url=rx.url(), max_retry_after="1m")))
    with pytest.raises(NotifyError) as err:
        hook.send(note)
    assert len(rx.requests) == 1 and hook.waits == []
    assert str(err.value) == (
        "webhook 'hook': delivery failed after 1 attempt(s): HTTP 429; "
        "Retry-After 3600 s is longer than max_retry_after (60 s)"
    )


def test_refused_request_is_not_retried_and_exhausted_retries_name_the_last_reason(note, http):
    rx = http((400, {}, b""))
    hook = _quick(WebhookNotifier(WebhookOptions(id="hook", type="webhook", url=rx.url())))
    with pytest.raises(NotifyError, match=r"^webhook 'hook': delivery failed after 1 attempt\(s\): HTTP 400$"):
        hook.send(note)
    down = _quick(WebhookNotifier(WebhookOptions(id="hook", type="webhook", url="http://127.0.0.1:9/x", retries=2)))
    with pytest.raises(NotifyError, match=r"after 3 attempt\(s\): ConnectError$"):
        down.send(note)
    assert down.waits == [0.5, 1.0]


# -- slack, teams, line ------------------------------------------------------


def test_slack_posts_block_kit_in_thai(note, http, monkeypatch):
    rx = http()
    monkeypatch.setenv("SLACK_URL", rx.url(f"/services/T000/B000/{SLACK_TOKEN}"))
    SlackNotifier(SlackOptions(id="ops-slack", type="slack", url_env="SLACK_URL")).send(note)
    (req,) = rx.requests
    assert req.path.endswith(SLACK_TOKEN) and req.headers["content-type"].startswith("application/json")
    body = req.json()
    assert body["text"] == note.text_th
    header, section, context = body["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": SUBJECT, "emoji": True}}
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert "แผนรับมือ: ระบบบริการขัดข้อง" in section["text"]["text"] and EXAMPLES[0] in section["text"]["text"]
    assert context["elements"][0]["text"] == f"`sadap incidents ack {note.payload['incident']['id']}`"


def test_slack_error_code_is_reported_and_not_retried(note, http, monkeypatch):
    rx = http((404, {}, b"no_service"))
    monkeypatch.setenv("SLACK_URL", rx.url(f"/services/{SLACK_TOKEN}"))
    slack = _quick(SlackNotifier(SlackOptions(id="ops-slack", type="slack", url_env="SLACK_URL")))
    with pytest.raises(NotifyError, match=r"^slack 'ops-slack': delivery failed after 1 attempt\(s\): HTTP 404 no_service$"):
        slack.send(note)


def test_slack_escapes_the_notification_text_and_cuts_thai_whole(http, monkeypatch):
    """A mention quoting "<!channel>" must not ping the channel from the notification text;
    a headline past Slack's 150 characters is cut before น้ำ, not between น and its marks."""
    rx = http()
    monkeypatch.setenv("SLACK_URL", rx.url(f"/services/{SLACK_TOKEN}"))
    head = "ข" * 147 + "น้ำท่วมสาขา"
    quoted = "  • [pantip] <!channel> แสงทองโอนเงินไม่ได้ & <https://evil.example|ธนาคารแสงทอง>"
    shown = quoted.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    long_body = "ค" * (2996 - len(shown) - 1) + "&ง"  # Slack's cut at 3,000 falls inside "&amp;"
    note = Notification(text_th=f"{head}\n{quoted}\n{long_body}", text_en="x", payload={})
    SlackNotifier(SlackOptions(id="ops-slack", type="slack", url_env="SLACK_URL")).send(note)
    body = rx.requests[0].json()
    assert "<!channel>" not in body["text"] and "&lt;!channel&gt;" in body["text"]
    assert "<https://evil" not in json.dumps(body, ensure_ascii=False)
    header, section = body["blocks"]
    assert header["text"]["text"] == "ข" * 147 + "…"
    text = section["text"]["text"]
    assert len(text) <= 3000 and text.endswith("ค…")  # not "ค&am…": half an escape is dropped


def test_teams_posts_an_adaptive_card(note, http, monkeypatch):
    rx = http((202, {}, b""))  # Workflows webhooks answer 202 Accepted
    monkeypatch.setenv("TEAMS_URL", rx.url(f"/workflows/abc/triggers/manual/paths/invoke?sig={TEAMS_TOKEN}"))
    TeamsNotifier(TeamsOptions(id="ops-teams", type="teams", url_env="TEAMS_URL", lang="en")).send(note)
    (req,) = rx.requests
    body = req.json()
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4" and card["$schema"].startswith("http")
    head, *lines = card["body"]
    assert head["text"] == note.text_en.split("\n")[0] and head["color"] == "Attention" and head["weight"] == "Bolder"
    assert all(b["type"] == "TextBlock" and b["wrap"] for b in card["body"])
    assert "\n".join(b["text"] for b in card["body"]) == "\n".join(x for x in note.text_en.split("\n") if x.strip())


def test_teams_shows_a_quoted_markdown_link_as_written(http, monkeypatch):
    """A mention quoting "[ธนาคารแสงทอง](https://evil.example/login)" would render in a TextBlock
    as a link named after the bank to a hidden address."""
    rx = http((202, {}, b""))
    monkeypatch.setenv("TEAMS_URL", rx.url(f"/invoke?sig={TEAMS_TOKEN}"))
    quoted = "  • [x] ยืนยันตัวตนที่ [ธนาคารแสงทอง](https://evil.example/login) ด่วน [ลิงก์] ( https://evil.example/2 )"
    note = Notification(text_th=f"[P2 สูง] ข้อความซ้ำจากหลายบัญชี\n{quoted}", text_en="x", payload={"severity": "P2"})
    TeamsNotifier(TeamsOptions(id="ops-teams", type="teams", url_env="TEAMS_URL", lang="th")).send(note)
    card = rx.requests[0].json()["attachments"][0]["content"]
    texts = [b["text"] for b in card["body"]]
    assert not any("](" in t for t in texts)
    assert texts[1] == "  • [x] ยืนยันตัวตนที่ [ธนาคารแสงทอง] (https://evil.example/login) ด่วน [ลิงก์] ( https://evil.example/2 )"


def test_line_pushes_text_with_bearer_token_and_one_retry_key(note, http, monkeypatch):
    rx = http((500, {}, b"{}"), (200, {}, b"{}"))
    monkeypatch.setenv("LINE_TOKEN", LINE_TOKEN)
    cfg = LineOptions(id="ops-line", type="line", to="C1234567890abcdef", token_env="LINE_TOKEN", api_base=rx.base)
    line = _quick(LineNotifier(cfg))
    line.send(note)
    assert len(rx.requests) == 2 and line.waits == [0.5]
    req = rx.requests[-1]
    assert req.path == "/v2/bot/message/push"
    assert req.headers["authorization"] == f"Bearer {LINE_TOKEN}"
    assert req.json() == {"to": "C1234567890abcdef", "messages": [{"type": "text", "text": note.text_th}]}
    assert rx.requests[0].headers["x-line-retry-key"] == req.headers["x-line-retry-key"]


def test_line_monthly_quota_spent_is_given_up_at_once_and_a_rate_limit_is_waited(note, http, monkeypatch):
    """Both answer 429. The month's quota will not come back on a retry: on-call should hear now,
    through the other notifiers, not after a day of retries."""
    rx = http((429, {}, b'{"message": "You have reached your monthly limit."}'))
    monkeypatch.setenv("LINE_TOKEN", LINE_TOKEN)
    cfg = LineOptions(id="ops-line", type="line", to="C1234567890abcdef", token_env="LINE_TOKEN", api_base=rx.base,
                      retries=2)
    line = _quick(LineNotifier(cfg))
    with pytest.raises(DeliveryFailed, match=r"after 1 attempt\(s\): HTTP 429 You have reached your monthly limit") as err:
        line.send(note)
    assert err.value.permanent and line.waits == [] and len(rx.requests) == 1
    rx = http((429, {}, b'{"message": "The API rate limit has been exceeded. Try again later."}'), (200, {}, b"{}"))
    line = _quick(LineNotifier(cfg.model_copy(update={"api_base": rx.base})))
    line.send(note)
    assert len(rx.requests) == 2 and len(line.waits) == 1


def test_line_already_accepted_retry_counts_as_delivered(note, http, monkeypatch):
    rx = http((409, {"x-line-accepted-request-id": "abc-123"}, b'{"message": "The retry key is already accepted"}'))
    monkeypatch.setenv("LINE_TOKEN", LINE_TOKEN)
    line = LineNotifier(LineOptions(id="ops-line", type="line", to="U1", token_env="LINE_TOKEN", api_base=rx.base))
    line.send(note)  # no error
    assert len(rx.requests) == 1


def test_line_text_is_cut_to_5000_characters(http, monkeypatch):
    rx = http()
    monkeypatch.setenv("LINE_TOKEN", LINE_TOKEN)
    long = Notification(text_th="ล่ม " * 2000 + "🔥" * 10, text_en="x", payload={})
    LineNotifier(LineOptions(id="l", type="line", to="U1", token_env="LINE_TOKEN", api_base=rx.base)).send(long)
    text = rx.requests[0].json()["messages"][0]["text"]
    assert len(text.encode("utf-16-le")) // 2 <= 5000 and text.endswith("…") and text.startswith("ล่ม ล่ม")
    assert truncate("🔥" * 3000).count("🔥") == 2499  # emoji are two UTF-16 units each
    assert truncate("สั้น") == "สั้น"


def test_line_text_is_cut_at_a_thai_syllable(http, monkeypatch):
    rx = http()
    monkeypatch.setenv("LINE_TOKEN", LINE_TOKEN)
    long = Notification(text_th="ก" * 4997 + "น้ำท่วมไม่ไหว", text_en="x", payload={})
    LineNotifier(LineOptions(id="l", type="line", to="U1", token_env="LINE_TOKEN", api_base=rx.base)).send(long)
    assert rx.requests[0].json()["messages"][0]["text"] == "ก" * 4997 + "…"  # น้ำ whole or not at all
    assert truncate("ข" * 4998 + "ไม่") == "ข" * 4998 + "…"  # no ไ left without its letter


# -- email -------------------------------------------------------------------


@dataclass
class Tls:
    ca_file: str
    server: ssl.SSLContext


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> Tls:
    """A private CA and a server certificate for 127.0.0.1 and localhost that it signed."""
    folder = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.timezone.utc)

    def cert(subject, key, issuer, issuer_key, *, ca):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        )
        if ca:
            usage = dict(key_cert_sign=True, crl_sign=True, digital_signature=False)
        else:
            usage = dict(key_cert_sign=False, crl_sign=False, digital_signature=True)
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        builder = builder.add_extension(
            x509.KeyUsage(content_commitment=False, key_encipherment=False, data_encipherment=False,
                          key_agreement=False, encipher_only=False, decipher_only=False, **usage),
            critical=True,
        )
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = cert("Sadap test CA", ca_key, "Sadap test CA", ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = cert("127.0.0.1", key, "Sadap test CA", ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "server.pem").write_bytes(leaf.public_bytes(pem))
    (folder / "server.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(folder / "server.pem", folder / "server.key")
    return Tls(str(folder / "ca.pem"), server)


class Mailbox:
    def __init__(self):
        self.messages: list[tuple[object, list[str], email.message.EmailMessage]] = []
        self.logins: list[str] = []
        self.rcpt_answers: list[str] = []  # answers to RCPT TO, in turn, before "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.rcpt_answers:
            return self.rcpt_answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.messages.append((session, list(envelope.rcpt_tos), msg))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data == (b"alerts", SMTP_PASSWORD.encode())
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(tls):
    """start(implicit_tls=False): an SMTP server on 127.0.0.1 that requires STARTTLS and AUTH
    (or speaks TLS from the first byte); returns (mailbox, port)."""
    controllers = []

    def start(*, implicit_tls=False):
        box = Mailbox()
        port = _free_port()
        if implicit_tls:
            c = Controller(box, hostname="127.0.0.1", port=port, ssl_context=tls.server)
        else:
            c = Controller(
                box, hostname="127.0.0.1", port=port, tls_context=tls.server, require_starttls=True,
                authenticator=box.authenticate, auth_required=True, auth_require_tls=True,
            )
        c.start()
        controllers.append(c)
        return box, port

    yield start
    for c in controllers:
        c.stop()


def _email(port, tls, **kw) -> EmailOptions:
    values = dict(id="ops-mail", type="email", host="127.0.0.1", port=port, ca_cert=tls.ca_file,
                  sender="สดับ <alerts@example.co.th>", to=["oncall@example.co.th", "pr@example.co.th"],
                  username="alerts", password_env="SMTP_PASSWORD")
    return EmailOptions(**{**values, **kw})


def test_email_over_starttls_with_login_has_thai_subject_steps_and_examples(note, smtp, tls, monkeypatch):
    box, port = smtp()
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    EmailNotifier(_email(port, tls)).send(note)
    ((session, rcpts, msg),) = box.messages
    assert box.logins == ["alerts"] and session.ssl is not None  # logged in, over TLS
    assert rcpts == ["oncall@example.co.th", "pr@example.co.th"]
    assert msg["Subject"] == SUBJECT and msg["From"].addresses[0].display_name == "สดับ"
    assert msg["X-Sadap-Incident"] == note.payload["incident"]["id"] and msg["X-Sadap-Severity"] == "P2"
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    body = msg.get_content()
    for step in note.payload["playbook"]["first_steps"]:
        assert step in body
    assert all(text in body for text in EXAMPLES)
    assert body.index(note.text_th) < body.index("English") < body.index(note.text_en)  # English below
    assert "sadap incidents ack INC-" in body


def test_email_over_implicit_tls_in_english(note, smtp, tls):
    box, port = smtp(implicit_tls=True)
    cfg = _email(port, tls, ssl=True, starttls=False, username=None, password_env=None, lang="en", to=["a@example.com"])
    EmailNotifier(cfg).send(note)
    ((session, rcpts, msg),) = box.messages
    assert msg["Subject"] == note.text_en.split("\n")[0] and "ธนาคารแสงทอง" in msg["Subject"]
    assert "Playbook: Service outage" in msg.get_content() and "แผนรับมือ" not in msg.get_content()


def test_email_subject_past_200_characters_is_cut_at_a_thai_syllable(smtp, tls):
    box, port = smtp(implicit_tls=True)
    cfg = _email(port, tls, ssl=True, starttls=False, username=None, password_env=None, lang="th")
    EmailNotifier(cfg).send(Notification(text_th="ค" * 198 + "ที่นี่น้ำท่วม\nรายละเอียด", text_en="x", payload={}))
    ((_, _, msg),) = box.messages
    assert msg["Subject"] == "ค" * 198 + "…"  # not คท…, a letter without its marks


def test_email_certificate_is_verified(note, smtp, tls, monkeypatch):
    box, port = smtp()
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    mail = _quick(EmailNotifier(_email(port, tls, ca_cert=None)))  # the test CA is not trusted by default
    with pytest.raises(NotifyError, match=r"^email 'ops-mail': delivery failed after 1 attempt\(s\): TLS certificate not trusted"):
        mail.send(note)
    assert box.messages == [] and mail.waits == []


def test_email_wrong_password_is_refused_without_retrying_or_leaking(note, smtp, tls, monkeypatch, caplog):
    box, port = smtp()
    monkeypatch.setenv("SMTP_PASSWORD", "wrong-" + SMTP_PASSWORD)
    mail = _quick(EmailNotifier(_email(port, tls)))
    with caplog.at_level(logging.DEBUG), pytest.raises(NotifyError) as err:
        mail.send(note)
    assert str(err.value) == "email 'ops-mail': delivery failed after 1 attempt(s): login refused (SMTP 535)"
    assert box.messages == [] and SMTP_PASSWORD not in caplog.text


def test_email_recipient_busy_is_tried_again_and_unknown_is_refused(note, smtp, tls, monkeypatch):
    """RCPT answered 450 (mailbox busy, greylisting) is temporary: tried again; 550 is not."""
    box, port = smtp()
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    box.rcpt_answers = ["450 4.2.1 Mailbox busy"]
    mail = _quick(EmailNotifier(_email(port, tls, to=["oncall@example.co.th"], retries=1)))
    mail.send(note)
    assert mail.waits == [0.5] and [rcpts for _, rcpts, _ in box.messages] == [["oncall@example.co.th"]]
    box.rcpt_answers = ["550 5.1.1 No such user"] * 3
    mail = _quick(EmailNotifier(_email(port, tls, to=["nobody@example.co.th"], retries=2)))
    with pytest.raises(DeliveryFailed, match=r"after 1 attempt\(s\): recipients refused \(SMTP 550\)$") as err:
        mail.send(note)
    assert err.value.permanent and mail.waits == []


def test_email_connection_dropped_in_the_tls_handshake_is_tried_again_not_given_up(note):
    """A server (or a middlebox) that reads the TLS greeting and closes the connection: SSLEOFError,
    a network failure like a reset, not refused settings."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[int] = []

    def drop_after_hello() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(1)
            with conn:
                conn.settimeout(2)
                data = b""
                try:  # the whole ClientHello record, then a clean close
                    while len(data) < 5 or len(data) < 5 + int.from_bytes(data[3:5], "big"):
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    pass
                conn.shutdown(socket.SHUT_RDWR)

    threading.Thread(target=drop_after_hello, daemon=True).start()
    try:
        cfg = EmailOptions(id="ops-mail", type="email", host="127.0.0.1", port=server.getsockname()[1], ssl=True,
                           starttls=False, sender="alerts@example.co.th", to=["oncall@example.co.th"], retries=2)
        mail = _quick(EmailNotifier(cfg))
        with pytest.raises(DeliveryFailed, match=r"after 3 attempt\(s\): TLS connection closed \(SSLEOFError\)") as err:
            mail.send(note)
    finally:
        server.close()
    assert not err.value.permanent and len(mail.waits) == 2 and len(accepted) == 3


# -- secrets never leak; failures never crash ----------------------------------


def test_failures_name_the_notifier_but_no_secret_in_errors_logs_or_timeline(note, http, smtp, tls, tmp_path, monkeypatch, caplog):
    rx = http((503, {}, b"{}"), (401, {}, b'{"message": "Authentication failed. Confirm that the access token is valid."}'))
    box, port = smtp()
    monkeypatch.setenv("HOOK_URL", rx.url(f"/hook?token={HOOK_TOKEN}"))
    monkeypatch.setenv("HOOK_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_URL", rx.url(f"/services/{SLACK_TOKEN}"))
    monkeypatch.setenv("TEAMS_URL", rx.url(f"/invoke?sig={TEAMS_TOKEN}"))
    monkeypatch.setenv("LINE_TOKEN", LINE_TOKEN)
    monkeypatch.setenv("SMTP_PASSWORD", "x" + SMTP_PASSWORD)
    configs = [
        WebhookOptions(id="ops-hook", type="webhook", url_env="HOOK_URL", secret_env="HOOK_SECRET", retries=1),
        SlackOptions(id="ops-slack", type="slack", url_env="SLACK_URL", retries=1),
        TeamsOptions(id="ops-teams", type="teams", url_env="TEAMS_URL", retries=1),
        LineOptions(id="ops-line", type="line", to="U1", token_env="LINE_TOKEN", api_base=rx.base, retries=1),
        _email(port, tls, retries=1),
    ]
    notifiers = [_quick(n) for n in build_notifiers(configs)]
    with caplog.at_level(logging.DEBUG):
        store, alert = _fire(tmp_path, notifiers)  # the alert and incident stand
    events = store.events(alert.incident)
    store.close()
    # All refused (401, 535): given up at once, not tried again for a day.
    failed = [e.text for e in events if e.kind == "gave_up"]
    assert "notify_failed" not in [e.kind for e in events]
    assert failed == [
        "webhook 'ops-hook': delivery failed after 2 attempt(s): HTTP 401",
        "slack 'ops-slack': delivery failed after 1 attempt(s): HTTP 401",
        "teams 'ops-teams': delivery failed after 1 attempt(s): HTTP 401",
        "line 'ops-line': delivery failed after 1 attempt(s): HTTP 401 Authentication failed. Confirm that the access token is valid.",
        "email 'ops-mail': delivery failed after 1 attempt(s): login refused (SMTP 535)",
    ]
    assert "HTTP Request: POST http://127.0.0.1" in caplog.text  # httpx did log the requests …
    logged = caplog.text + "\n".join(e.text for e in events)
    for secret in ALL_SECRETS:  # … but never a token, a secret URL or a password
        assert secret not in logged
    assert "/services/" not in logged and "sig=" not in logged


def test_a_host_name_that_cannot_be_encoded_is_refused_not_a_crash(note, monkeypatch):
    """``https://a..b/`` passes the start-up check but no IDNA encoding: a refusal, given up at once."""
    monkeypatch.setenv("HOOK_URL", f"https://sadap..example/hook?token={HOOK_TOKEN}")
    hook = _quick(WebhookNotifier(WebhookOptions(id="ops-hook", type="webhook", url_env="HOOK_URL")))
    with pytest.raises(DeliveryFailed) as err:
        hook.send(note)
    assert str(err.value) == "webhook 'ops-hook': delivery failed after 1 attempt(s): invalid URL"
    assert err.value.permanent and hook.waits == []


def test_missing_secret_at_send_time_is_a_notify_error(note, monkeypatch):
    monkeypatch.delenv("LINE_TOKEN", raising=False)
    line = LineNotifier(LineOptions(id="ops-line", type="line", to="U1", token_env="LINE_TOKEN"))
    with pytest.raises(NotifyError, match="^notifier 'ops-line': environment variable LINE_TOKEN is not set"):
        line.send(note)


# -- load time: missing secrets and bad settings fail with one clear line ------------


def test_engine_refuses_to_load_when_a_notifier_secret_is_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("LINE_TOKEN", raising=False)
    (tmp_path / "sadap.yaml").write_text(
        CONFIG + "notifiers:\n  - {id: ops-line, type: line, to: C1, token_env: LINE_TOKEN}\n", encoding="utf-8"
    )
    config = load_config_file(tmp_path / "sadap.yaml")
    store = SQLiteStore(tmp_path / "alerts.db")
    try:
        with pytest.raises(ConfigError) as err:
            build_engine(config, store)
        assert str(err.value) == "notifier 'ops-line': environment variable LINE_TOKEN is not set (token_env)"
        monkeypatch.setenv("LINE_TOKEN", LINE_TOKEN)
        assert [n.id for n in build_engine(config, store).notifiers] == ["ops-line"]
    finally:
        store.close()


@pytest.mark.parametrize(
    "settings, env, message",
    [
        ({"type": "webhook", "url_env": "X_URL"}, {}, "environment variable X_URL is not set (url_env)"),
        ({"type": "webhook", "url": "http://h/", "secret_env": "X_SECRET"}, {}, "X_SECRET is not set (secret_env)"),
        ({"type": "webhook", "url_env": "X_URL"}, {"X_URL": "hooks.example/" + HOOK_TOKEN}, "url_env must give a URL starting with https://"),
        ({"type": "webhook", "url_env": "X_URL"}, {"X_URL": "https://xn--.example/" + HOOK_TOKEN}, "url_env must give a URL"),
        ({"type": "slack", "url_env": "X_URL"}, {"X_URL": "https:///services/" + HOOK_TOKEN}, "naming a host"),
        ({"type": "webhook", "url": "http://:8080/hook"}, {}, "url must give a URL starting with https:// or http:// and naming a host"),
        ({"type": "line", "to": "U1", "token_env": "X_TOKEN", "api_base": "https://[::1/"}, {"X_TOKEN": "t"}, "api_base must give a URL"),
        ({"type": "slack", "url_env": "X_URL"}, {}, "X_URL is not set (url_env)"),
        ({"type": "teams", "url_env": "X_URL"}, {}, "X_URL is not set (url_env)"),
        ({"type": "line", "to": "U1", "token_env": "X_TOKEN"}, {}, "X_TOKEN is not set (token_env)"),
        ({"type": "email", "host": "h", "sender": "a@b", "to": ["c@d"], "username": "u", "password_env": "X_PASS"}, {}, "X_PASS is not set (password_env)"),
        ({"type": "email", "host": "h", "sender": "a@b", "to": ["c@d"], "ca_cert": "/nonexistent/ca.pem"}, {}, "ca_cert /nonexistent/ca.pem is not a file"),
    ],
)
def test_check_names_the_notifier_and_the_missing_setting(settings, env, message, monkeypatch):
    for name in ("X_URL", "X_SECRET", "X_TOKEN", "X_PASS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = Config.model_validate({"notifiers": [{"id": "n1", **settings}]})
    with pytest.raises(ConfigError) as err:
        build_notifiers(config.notifiers)
    text = str(err.value)
    assert text.startswith("notifier 'n1': ") and message in text
    assert "\n" not in text and HOOK_TOKEN not in text


@pytest.mark.parametrize(
    "settings, problem",
    [
        ({"type": "webhook"}, "set `url`"),
        ({"type": "webhook", "url": "http://h/", "url_env": "X"}, "not both"),
        ({"type": "email", "host": "h", "sender": "a@b", "to": ["c@d"], "ssl": True}, "exclude each other"),
        ({"type": "email", "host": "h", "sender": "a@b", "to": ["c@d"], "starttls": False, "username": "u", "password_env": "P"}, "unencrypted"),
        ({"type": "email", "host": "h", "sender": "a@b", "to": []}, "at least 1"),
        ({"type": "line", "to": "U1", "token_env": "T", "channel_secret": "x"}, "Extra inputs"),
    ],
)
def test_invalid_notifier_settings_are_refused(settings, problem):
    with pytest.raises(ValidationError, match=problem):
        Config.model_validate({"notifiers": [{"id": "n1", **settings}]})


def test_every_type_is_registered():
    assert set(NOTIFIERS) == {"console", "webhook", "email", "slack", "teams", "line"}


# -- the shared retry helper ---------------------------------------------------


def test_deliver_backs_off_exponentially_up_to_a_cap_and_redacts():
    class Flaky(Notifier):
        type_name = "flaky"
        backoff_seconds, max_backoff_seconds = 1.0, 5.0

    cfg = type("C", (), {"id": "f", "retries": 5})()
    notifier = _quick(Flaky(cfg))
    calls = []

    def attempt():
        calls.append(1)
        raise Retry(f"refused by server\nwith token {LINE_TOKEN}")

    with pytest.raises(NotifyError) as err:
        deliver(notifier, attempt, secrets=[LINE_TOKEN])
    assert len(calls) == 6 and notifier.waits == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert str(err.value) == "flaky 'f': delivery failed after 6 attempt(s): refused by server with token ***"

    def refused():
        calls.append(1)
        raise GiveUp("no")

    calls.clear()
    with pytest.raises(NotifyError, match=r"after 1 attempt\(s\): no$"):
        deliver(notifier, refused)
    assert len(calls) == 1
