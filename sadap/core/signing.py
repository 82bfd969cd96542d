"""Signed bodies between Sadap and its partners: HMAC-SHA256 over a timestamp and the body.

The sender adds ``X-Sadap-Timestamp`` (Unix seconds) and ``X-Sadap-Signature: sha256=<hex>``;
the receiver recomputes it with the shared token and refuses a body whose signature differs
or whose timestamp is too far from its own clock (a replayed old body).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Sadap-Signature"
TIMESTAMP_HEADER = "X-Sadap-Timestamp"
MAX_SKEW_SECONDS = 15 * 60


def same_secret(expected: str, given: str) -> bool:
    """Whether ``given`` (from a request: any characters) is ``expected``, in constant time. As
    bytes: ``hmac.compare_digest`` raises TypeError for a str with non-ASCII characters."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "surrogatepass"))


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, timestamp, body)}


def check_signature(secret: str, body: bytes, given_signature: str | None, given_timestamp: str | None,
                    now: float) -> str | None:
    """None when the body is signed with ``secret`` and recent; else why not, in one line."""
    if not given_signature or not given_timestamp:
        return f"not signed (no {SIGNATURE_HEADER} / {TIMESTAMP_HEADER} header)"
    try:
        timestamp = int(given_timestamp)
    except ValueError:
        return f"{TIMESTAMP_HEADER} is not a Unix time in seconds"
    if abs(now - timestamp) > MAX_SKEW_SECONDS:
        return f"signed {int(now - timestamp)} s ago; more than {MAX_SKEW_SECONDS} s apart is refused"
    if not same_secret(signature(secret, timestamp, body), given_signature.strip()):
        return "signature does not match the shared token"
    return None
