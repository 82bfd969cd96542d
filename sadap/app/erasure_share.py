"""The erasure register on several machines (``distributed.redis_url``): an erase made on one machine
reaches the writers on every other, so none stores the erased person's posts again.

An erase pushes its register line (:func:`sadap.app.erasure_register.record` under the shared salt)
to the Redis list ``<prefix>:privacy:erased``, without the salt: the hashes and the salt's id only,
nothing that names anyone. Each writer (:class:`Follower`, one per ingest) asks the list's length
once a batch and fetches only the lines it has not seen, appending those its own register lacks to
its folder's file — which :func:`~sadap.app.erasure_register.current` then reads — so they outlive a
Redis emptied or restarted without its data. While Redis does not answer, the writer goes on with
its local register (one line per outage, :class:`crawlers.redis_errors.Outage`) and catches up when
it answers.

Every machine must pseudonymise with the same key, or the same author gets another pseudonym on each
(complaint cases joined by author, erasure by author and these lines would not meet). The first writer
leaves its salt's id (a check value of the key, the id already in every line) at
``<prefix>:privacy:pseudonym-key``; a writer under another key refuses to start (:class:`ConfigError`).
"""

from __future__ import annotations

import json
import logging
import os
from typing import TYPE_CHECKING, Any

from crawlers.redis_errors import Outage, outage_errors
from sadap.app import erasure_register
from sadap.app.config import Config
from sadap.app.distributed import ANSWER_WITHIN_S, key, redis_client
from sadap.core.errors import ConfigError

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)
_HASHES = ("ids", "authors", "keys")


def list_key(config: Config) -> str:
    return key(config, "privacy", "erased")


def key_check_key(config: Config) -> str:
    return key(config, "privacy", "pseudonym-key")


def publish(config: Config, line: dict[str, Any], client: Redis | None = None) -> bool:
    """Push an erase's register line (made under :func:`~sadap.app.erasure_register.shared_salt`) to
    Redis for the other machines; False (one warning line) when Redis does not answer."""
    salt = bytes.fromhex(line["salt"])
    shared = {"at": line["at"], "salt_id": erasure_register.salt_id(salt), **{n: line[n] for n in _HASHES}}
    from redis.exceptions import RedisError

    own = client is None
    client = client or redis_client(config, retries=True)
    try:
        client.rpush(list_key(config), json.dumps(shared, sort_keys=True))
        return True
    except RedisError as err:  # the erase here goes on: it is recorded in this folder's register
        log.warning("erasure register: Redis at %s did not take the erase (%s: %s); the other machines do not "
                    "know of it until it is made again once Redis answers", config.distributed.redis_url,
                    type(err).__name__, err)
        return False
    finally:
        if own:
            client.close()


class Follower:
    """One writer's view of the erasures made on other machines (see the module's doc)."""

    def __init__(self, config: Config, client: Redis | None = None) -> None:
        self.config = config
        self.salt = erasure_register.shared_salt(config.pseudonym_key())
        self.salt_id = erasure_register.salt_id(self.salt)
        self.key = list_key(config)
        self.client = client or redis_client(config, ANSWER_WITHIN_S, retries=True)
        self.outage = Outage("erasure register", self.client, log,
                             "erasures made on other machines wait; this machine's register still applies",
                             float(os.environ.get("SADAP_REDIS_RETRY") or 5.0), ANSWER_WITHIN_S)
        self.seen = 0  # lines of the list read so far
        self._foreign_told = False
        self._check_key()

    def _check_key(self) -> None:
        """Refuse (one line) when the other machines pseudonymise with another key; Redis silent: go on."""
        check = key_check_key(self.config)
        try:
            self.client.set(check, self.salt_id, nx=True)
            held = self.client.get(check)
        except outage_errors() as err:
            self.outage.failed(err)
            return
        held_id = held.decode() if isinstance(held, bytes) else held
        if held_id and held_id != self.salt_id:
            self.close()
            env = self.config.privacy.pseudonym_key_env
            raise ConfigError(
                f"${env}: this machine's pseudonym key is not the one the other machines use (Redis "
                f"{self.config.distributed.redis_url}, {check}): the same author would get another pseudonym here; "
                f"set ${env} to the same value on every machine (or copy the first machine's "
                f"{self.config.data_path / 'pseudonym.key'}); if every machine's key was changed on purpose, delete {check}")

    def catch_up(self) -> int:
        """Fetch the lines added to Redis since the last call and keep those this folder's register
        lacks; how many were added to it. One ``LLEN`` when nothing is new; nothing during an outage."""
        if not self.outage.usable():
            return 0
        try:
            length = int(self.client.llen(self.key))
            if length < self.seen:  # Redis emptied (restarted without its data, flushed): read it all again
                self.seen = 0
            raw: list[bytes | str] = list(self.client.lrange(self.key, self.seen, length - 1)) if length > self.seen else []
        except outage_errors() as err:
            self.outage.failed(err)
            return 0
        self.outage.answered("erasures made on other machines are read again")
        self.seen += len(raw)
        lines = [line for line in map(self._line, raw) if line is not None]
        added = erasure_register.merge(self.config.data_path, lines) if lines else 0
        if added:  # a count only: the lines are hashes, but say no more than the ingest's own line
            log.info("erasure register: %d erase(s) made on other machines added", added)
        return added

    def _line(self, raw: bytes | str) -> dict[str, Any] | None:
        """The register line for a Redis entry (under this machine's shared salt), or None."""
        try:
            entry = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(entry, dict) or not all(isinstance(entry.get(n), list) for n in _HASHES):
            return None
        if entry.get("salt_id") != self.salt_id:
            if not self._foreign_told:
                self._foreign_told = True
                log.warning("erasure register: erases in Redis were made under another pseudonym key and do not "
                            "apply here: give every machine the same $%s", self.config.privacy.pseudonym_key_env)
            return None
        line: dict[str, Any] = {"at": str(entry.get("at", "")), "salt": self.salt.hex()}
        for name in _HASHES:
            line[name] = [v for v in entry[name] if isinstance(v, str)]
        return line

    def close(self) -> None:
        self.outage.close()
        self.client.close()
