"""Sign-in for the web workspace: users and password hashes (argon2id), API tokens (stored as
SHA-256), signed session cookies, CSRF tokens and sign-in rate limiting.

Nothing here reads the request body into an actor: every change is recorded as the user the
session or API token belongs to."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sadap.core.errors import InputError
from sadap.core.signing import same_secret
from sadap.core.timeutil import now_utc
from sadap.core.users import ROLES, ApiToken, User
from sadap.store import Store

USERNAME = re.compile(r"[a-z0-9][a-z0-9_.\-]{1,31}")
MIN_PASSWORD = 10
TOKEN_PREFIX = "sdp_"
_TOKEN_SHAPE = re.compile(r"sdp_[A-Za-z0-9_\-]{20,100}")

if TYPE_CHECKING:
    from argon2 import PasswordHasher


def _hasher() -> PasswordHasher:  # argon2-cffi is imported only where passwords are handled
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    return str(_hasher().hash(password))


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# A hash to verify against when the user does not exist, so both cases take the same time.
_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_hex(16)))
    return _DUMMY_HASH[0]


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password: too short ({len(password)} characters; at least {MIN_PASSWORD})")


def add_user(store: Store, username: str, role: str, password: str) -> User:
    if not USERNAME.fullmatch(username):
        raise InputError(
            f"user name {username!r}: use 2 to 32 lower-case letters, digits, '.', '_' or '-' (starting with a letter or digit)"
        )
    if role not in ROLES:
        raise InputError(f"role {role!r}: unknown (allowed: {', '.join(ROLES)})")
    check_password_rules(password)
    if store.get_user(username) is not None:
        raise InputError(f"user {username!r} already exists (use `sadap users passwd` to change the password)")
    user = User(username=username, role=role, password_hash=hash_password(password), created_at=now_utc())
    store.save_user(user)
    return user


def _existing(store: Store, username: str) -> User:
    user = store.get_user(username)
    if user is None:
        raise InputError(f"no user {username!r} (see `sadap users list`)")
    return user


def set_password(store: Store, username: str, password: str) -> User:
    check_password_rules(password)
    user = _existing(store, username)
    user = user.model_copy(update={"password_hash": hash_password(password), "session_version": user.session_version + 1})
    store.save_user(user)
    return user


def set_disabled(store: Store, username: str, disabled: bool = True) -> User:
    user = _existing(store, username)
    user = user.model_copy(update={"disabled": disabled, "session_version": user.session_version + 1})
    store.save_user(user)
    return user


def end_sessions(store: Store, username: str) -> None:
    """Sign ``username`` out everywhere: every session cookie made before stops working (a
    signed cookie cannot be recalled one by one, so signing out ends them all)."""
    user = _existing(store, username)
    store.save_user(user.model_copy(update={"session_version": user.session_version + 1}))


def set_role(store: Store, username: str, role: str) -> User:
    if role not in ROLES:
        raise InputError(f"role {role!r}: unknown (allowed: {', '.join(ROLES)})")
    user = _existing(store, username).model_copy(update={"role": role})
    store.save_user(user)
    return user


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The user if the name and password match and the account is enabled."""
    user = store.get_user(username) if USERNAME.fullmatch(username or "") else None
    if user is None:
        verify_password(_dummy_hash(), password)  # same work either way
        return None
    if not verify_password(user.password_hash, password) or user.disabled:
        return None
    return user


# -- API tokens ---------------------------------------------------------------------------
def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_api_token(store: Store, username: str, name: str = "") -> tuple[str, ApiToken]:
    """A new token for ``username``: returns the token (shown once) and what is stored."""
    _existing(store, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(token_hash=token_hash(token), prefix=token[:10], username=username, name=name[:80],
                      created_at=now_utc())
    store.save_api_token(record)
    return token, record


def revoke_api_token(store: Store, hashed: str) -> None:
    record = store.find_api_token(hashed)
    if record is None:
        raise InputError("no such API token")
    store.save_api_token(record.model_copy(update={"revoked": True}))


def user_for_token(store: Store, token: str) -> User | None:
    if not _TOKEN_SHAPE.fullmatch(token):
        return None
    record = store.find_api_token(token_hash(token))
    if record is None or record.revoked:
        return None
    user = store.get_user(record.username)
    return user if user is not None and not user.disabled else None


# -- sessions and CSRF ----------------------------------------------------------------------
@dataclass(frozen=True)
class Session:
    username: str
    version: int
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_session(secret: bytes, user: User, lifetime_s: int) -> str:
    payload = f"{user.username}|{user.session_version}|{int(time.time()) + lifetime_s}|{secrets.token_hex(8)}"
    mac = hmac.new(secret, b"session|" + payload.encode("utf-8"), hashlib.sha256).digest()
    return _b64(payload.encode("utf-8")) + "." + _b64(mac)


def read_session(secret: bytes, cookie: str | None) -> Session | None:
    if not cookie or len(cookie) > 400 or cookie.count(".") != 1:
        return None
    try:
        payload_b, mac_b = (_unb64(p) for p in cookie.split("."))
        payload = payload_b.decode("utf-8")
        username, version, expires, _nonce = payload.split("|")
        good = hmac.new(secret, b"session|" + payload_b, hashlib.sha256).digest()
        if not hmac.compare_digest(good, mac_b) or int(expires) < time.time():
            return None
        return Session(username, int(version), int(expires))
    except (ValueError, UnicodeError):
        return None


def csrf_token(secret: bytes, csrf_cookie: str, session_cookie: str | None = None) -> str:
    """The token forms and htmx send back: bound to the browser's random CSRF cookie and to its
    session cookie (none before sign-in). Bound to the cookie alone, a token would be forged by
    whoever can plant a cookie in the browser (a sibling subdomain, a plain-http answer): they
    fetch the sign-in page, plant its CSRF cookie and send its token with the victim's session.
    The session cookie is HttpOnly and never planted with a known value, so that pair fails."""
    bound = csrf_cookie + "|" + (session_cookie or "")
    return hmac.new(secret, b"csrf|" + bound.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, csrf_cookie: str | None, given: str | None, session_cookie: str | None = None) -> bool:
    if not csrf_cookie or not given:
        return False
    return same_secret(csrf_token(secret, csrf_cookie, session_cookie), given)


class SignInLimiter:
    """Failed sign-ins per key (a user name, an address) in a sliding window."""

    def __init__(self, attempts: int, window_s: float = 900.0):
        self.attempts = attempts
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] < now - self.window_s:
            q.popleft()
        return q

    def begin(self, *keys: str) -> float | None:
        """Start one sign-in attempt: None when a key is blocked, else the attempt is counted as
        a failure at once (its stamp returned, for :meth:`succeeded` to take back). Checking
        and counting in one step: checked first and counted after the (slow) password hash,
        attempts sent side by side would all pass the check before any was counted."""
        now = time.monotonic()
        with self._lock:
            if any(len(self._recent(k, now)) >= self.attempts for k in keys):
                return None
            for k in keys:
                self._recent(k, now).append(now)
            self._forget_idle()
            return now

    def _forget_idle(self) -> None:
        if len(self._failures) > 10000:
            for k in [k for k, q in self._failures.items() if not q]:
                del self._failures[k]

    def succeeded(self, key: str, *others: str, stamp: float | None = None) -> None:
        """A good password: ``key``'s failures are forgotten, and the attempt :meth:`begin`
        counted (``stamp``) is taken back from ``others``."""
        with self._lock:
            self._failures.pop(key, None)
            for k in others:
                q = self._failures.get(k)
                if q is not None and stamp is not None and stamp in q:
                    q.remove(stamp)
