"""Sadap's configuration: one YAML file (``sadap.yaml``), each setting declared once here.

Found via ``--config``, then ``$SADAP_CONFIG``, then ``./sadap.yaml``; with none, the
built-in defaults apply. Secrets never live in the file: settings ending in ``_env``
name the environment variable that holds them.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, SkipValidation, ValidationError, ValidationInfo, field_validator

from alerts.maintenance import MaintenanceWindow
from alerts.notifiers import NotifierConfig
from alerts.notifiers.console import ConsoleOptions
from alerts.outbox import OutboxSettings
from alerts.registry import build_rules, rule_types
from alerts.rules.base import Rule
from enrich.sentiment import check_engine
from enrich.csr import check_csr_lexicon
from enrich.news import NewsSettings
from enrich.voc import check_lexicon
from enrich.voc_model import DEFAULT_VOC
from playbooks.loader import load_playbooks
from playbooks.schema import Playbook
from crawlers.options import SourceOptions
from sadap.app.sources import LazySourceConfig
from sadap.app.partners import PartnerConfig, check_unique_names
from sadap.core.errors import ConfigError
from sadap.core.files import private_dir, secret_once
from sadap.core.settings_types import Duration, PositiveDuration, Strict, secret_in_value
from sadap.core.urls import has_user_info, is_web_url
from sadap.core.yamlsource import LineMap, load_yaml, validation_lines

__all__ = ["Config", "Duration", "NotifierConfig", "load_config"]

CONFIG_ENV = "SADAP_CONFIG"
CONFIG_NAME = "sadap.yaml"


class ElasticsearchConfig(Strict):
    """The Elasticsearch cluster and indices (used when `store.backend` is `elasticsearch`; see docs/deploy.md)."""

    hosts: list[str] = Field(
        default_factory=lambda: ["https://localhost:9200"], description="Cluster node URLs (`https://host:9200`)."
    )
    index_prefix: str = Field(
        "sadap", description="Prefix of every index, alias and template Sadap creates (lower case, digits, - and _)."
    )
    api_key_env: str | None = Field(
        "SADAP_ES_API_KEY", description="Environment variable holding an API key (the encoded form); used when set."
    )
    username: str | None = Field(None, description="User for basic auth (when no API key is set).")
    password_env: str = Field("SADAP_ES_PASSWORD", description="Environment variable holding the basic-auth password.")
    verify_certs: bool = Field(True, description="Verify the cluster's TLS certificate. Keep on outside a lab.")
    ca_certs: str | None = Field(None, description="CA bundle (PEM) that signed the cluster's certificate, if not a public CA.")
    request_timeout: Duration = Field(timedelta(seconds=30), description="Time allowed per request.")
    max_retries: int = Field(
        3, ge=0, le=10, description="Retries (with exponential backoff) on 429, 5xx, timeouts and lost connections."
    )
    bulk_chunk_size: int = Field(500, ge=1, le=10000, description="Mentions per bulk request.")
    refresh_on_write: bool = Field(
        True, description="Refresh after each stored batch so alerts at ingest see it at once (off: up to 1 s later)."
    )
    spool_dir: str = Field(
        "es-spool", description="Folder (relative to `data_dir`) where mentions wait while the cluster is unreachable."
    )
    shards: int = Field(1, ge=1, le=64, description="Primary shards per monthly mentions index.")
    replicas: int = Field(1, ge=0, le=5, description="Replicas per index (0 on a single-node cluster).")
    retention_months: int | None = Field(
        None, ge=1, description="Delete monthly mentions indices older than this many months (PDPA); none: keep all."
    )
    auto_setup: bool = Field(
        True, description="Create missing templates, aliases and indices on first use, and give indices made by an "
        "earlier version the fields added since (else run `sadap es setup`)."
    )

    @field_validator("index_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_\-]*", value):
            raise ValueError("use lower-case letters, digits, - and _ (start with a letter or digit)")
        return value

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        if any(has_user_info(host) for host in value):
            raise secret_in_value("no user name or password in a host URL: set `username` and the environment "
                                  "variable password_env names (or an API key in the one api_key_env names)")
        if not value:
            raise ValueError("name at least one node URL, e.g. [https://es1.example.internal:9200]")
        for host in value:
            if not is_web_url(host):
                raise ValueError(f"{host!r} is not a node URL: use an http:// or https:// URL with the host (and port), "
                                 "e.g. https://es1.example.internal:9200")
        return value


class StoreConfig(Strict):
    """Where mentions, alerts and incidents are kept."""

    backend: Literal["sqlite", "elasticsearch"] = Field(
        "sqlite", description="Storage backend: `sqlite` (embedded default) or `elasticsearch` (production)."
    )
    path: str = Field("sadap.db", description="SQLite file, relative to `data_dir` unless absolute.")
    elasticsearch: ElasticsearchConfig = Field(
        default_factory=ElasticsearchConfig, description="Cluster settings for the `elasticsearch` backend."
    )


class PrivacyConfig(Strict):
    """Personal data handling (PDPA)."""

    keep_author_names: bool = Field(
        False, description="Store authors' display names. Off by default: only a keyed pseudonym is stored."
    )
    pseudonym_key_env: str = Field(
        "SADAP_PSEUDONYM_KEY",
        description="Environment variable holding the key for author pseudonyms; if unset, a random key "
        "is created once in `data_dir/pseudonym.key`.",
    )
    retention_days: int | None = Field(
        None,
        ge=1,
        le=36500,
        description="Delete mentions collected more than this many days ago (with their responses, "
        "search entries and ids in incident timelines), daily in `sadap run` and by `sadap privacy purge`, "
        "on either store; none: keep all. On Elasticsearch `store.elasticsearch.retention_months` "
        "also drops whole monthly indices.",
    )


class BackupConfig(Strict):
    """Backups of the data folder: by `sadap backup create`, and on a schedule in `sadap run` (docs/deploy.md)."""

    every: PositiveDuration | None = Field(
        None, description="Back up when the newest archive is older than this (e.g. `1d`), checked by `sadap run` "
        "every 10 minutes and at start; none: only by `sadap backup create`."
    )
    folder: str = Field("backups", description="Folder for the archives, relative to the config file.")
    keep: int = Field(14, ge=1, le=10000, description="Archives kept in `folder` after a scheduled backup; older ones are "
                      "deleted (backups hold personal data: keep them no longer than your retention period).")


class EntityConfig(Strict):
    """Something the organisation watches: a brand, product, person or topic, with its spellings."""

    name: str = Field(description="Canonical name, used as the entity's key in alerts and search; not empty, and "
                      "each entry's own (two entries with one name, capitals aside, are refused).")
    aliases: list[str] = Field(default_factory=list, description="Other spellings: Thai, English, short forms.")
    kind: Literal["brand", "product", "person", "organisation", "topic"] = Field("brand", description="What it is.")

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty: every watched entry needs a name (the name mentions carry and rules give)")
        return value


class EnrichConfig(Strict):
    """The Thai enrichment stage."""

    sentiment_model: str = Field(
        "ensemble-v4",
        description="Sentiment engine: `ensemble-v4` (shipped default: `linear-v3` and the Thai transformer "
        "combined, the transformer asked where `linear-v3` is less than 65 % sure), `ensemble-v3` (the same "
        "with the transformer asked below 75 %: slower, the default before), `mini-bert-v3` (the shipped transformer alone), "
        "`linear-v3` (fast classical model, for very high volume), `linear-v1` (an earlier one), or "
        "`transformers:<model directory or hub id>` for any Hugging Face sequence-classification model "
        "(see `docs/enrichment.md`).",
    )
    sentiment_label_map: dict[str, Literal["pos", "neu", "neg", "q"]] = Field(
        default_factory=dict,
        description="For a `transformers:` model whose labels are not named positive/neutral/negative/question: "
        "each of its labels mapped to `pos`, `neu`, `neg` or `q` (e.g. `LABEL_0: neg`).",
    )
    sentiment_hub_download: bool = Field(
        False,
        description="Let a `transformers:` hub id be downloaded from the Hugging Face hub when it is not in the local "
        "cache. Off by default: Sadap runs offline and air-gapped.",
    )
    near_duplicate_distance: int = Field(
        6, ge=0, le=16, description="Largest SimHash bit distance at which two texts count as near-duplicates."
    )
    english_sentiment: Literal["vader", "engine"] = Field(
        "vader",
        description="Plainly English posts (no Thai letter, 5+ English words): `vader` reads them with VADER, "
        "an English sentiment lexicon (the shipped Thai engines call nearly every English sentence neutral), "
        "and makes one the lexicons read as a complaint negative; `engine` leaves them to `sentiment_model` "
        "(see `docs/enrichment.md`, \"English posts\").",
    )
    custom_words: list[str] = Field(
        default_factory=list, description="Extra words kept whole by the tokeniser (entity names are added automatically)."
    )
    mask_personal_data: bool = Field(
        True,
        description="PDPA: before analysis and storage, replace in each mention's text and title URLs with `[URL]`, "
        "@handles with `[@]`, Thai phone numbers (mobile, landline, +66) with `[โทร]`, national ID numbers "
        "(13 digits with a valid check digit) with `[เลขบัตร]` and e-mail addresses with `[อีเมล]`. "
        "The mention's `url` is kept.",
    )
    categories: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Voice-of-customer category lexicons, `name: [words]`: words extend the shipped list of that "
        "name, a new name adds a category, an empty list removes one (see `docs/enrichment.md`).",
    )
    complaint_types: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Complaint type lexicons, `name: [words]`, merged with the shipped ones as `categories` is.",
    )
    expectation_words: dict[Literal["delighted", "satisfied", "disappointed", "negations"], list[str]] = Field(
        default_factory=dict,
        description="Expectation intensity words added to the shipped ones: `delighted` (strong praise), "
        "`satisfied` (mild praise), `disappointed`, `negations` (turn praise that follows into disappointment).",
    )
    not_complaints: list[str] = Field(
        default_factory=list,
        description="Phrases whose words are not complaint words, added to the shipped ones "
        "(e.g. `ผิวแพ้ง่าย`: sensitive skin, not an allergy complaint).",
    )
    complaint_signals: list[str] = Field(
        default_factory=list,
        description="Extra words that make a neutral mention or a question about an organisation's offer a complaint.",
    )
    replace_default_lexicons: bool = Field(
        False, description="Use only the lexicons configured here, not the shipped Thai ones."
    )
    csr: dict[str, list[str]] = Field(
        default_factory=dict,
        description="CSR words added to the shipped Thai lists (`enrich/lexicons/csr.yaml`): `activity` (what makes a "
        "mention about a CSR activity: โครงการ, บริจาค …) and the pillars `economy`, `society`, `environment`.",
    )
    voc: Literal["rules", "learned"] = Field(
        DEFAULT_VOC,
        description="How expectation and the complaint flag are decided: `learned` (a small logistic-regression "
        "classifier over the lexicon rules' result, the sentiment engine's answer and the words; refitted with your "
        "corrections by `sadap train`) or `rules` (the lexicon rules alone). Category, complaint type and the hits "
        "come from the rules either way (see `docs/enrichment.md`).",
    )
    news: NewsSettings = Field(
        default_factory=NewsSettings,
        description="How news and long posts are read: event tone, tone toward each watched name, news topic "
        "(see `docs/enrichment.md`, \"News and long texts\").",
    )

    @field_validator("categories", "complaint_types")
    @classmethod
    def _lexicon(cls, value: dict[str, list[str]], info: ValidationInfo) -> dict[str, list[str]]:
        kind = {"categories": "category", "complaint_types": "complaint type"}[str(info.field_name)]
        return {name: list(words) for name, words in check_lexicon(kind, value).items()}

    @field_validator("csr")
    @classmethod
    def _csr(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {name: list(words) for name, words in check_csr_lexicon(value).items()}

    @field_validator("sentiment_model")
    @classmethod
    def _engine(cls, value: str) -> str:
        try:
            check_engine(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value


class PlaybooksConfig(Strict):
    """Situation playbooks (see docs/playbooks.md)."""

    shipped: bool = Field(True, description="Load the shipped Thai playbook library.")
    paths: list[str] = Field(default_factory=list, description="Extra playbook files or folders (YAML).")


class ScheduleConfig(Strict):
    """The service's schedule."""

    alerts_every: PositiveDuration = Field(timedelta(minutes=1), description="How often `sadap run` evaluates windowed rules.")


class ConsoleConfig(Strict):
    """The web workspace (`sadap serve`, `sadap run --port`, `sadap demo --serve`; see docs/workspace.md)."""

    bind: str = Field("127.0.0.1", description="Address the server listens on. Keep 127.0.0.1 behind a reverse proxy.")
    port: int = Field(8470, ge=0, le=65535, description="Port the server listens on (0: any free port).")
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost"],
        description="Host names the workspace answers to (the `Host` header, port left out); others get 400. "
        "Add the public name when serving behind a reverse proxy.",
    )
    public_read: bool = Field(
        False, description="Let anyone who can reach the server read pages and the JSON API without signing in."
    )
    trusted_proxies: list[str] = Field(
        default_factory=lambda: ["127.0.0.1"],
        description="Addresses of reverse proxies whose `X-Forwarded-Proto`/`X-Forwarded-For` are believed "
        "(so cookies are marked Secure behind TLS).",
    )
    secure_cookies: Literal["auto", "always", "never"] = Field(
        "auto", description="Mark session cookies Secure: `auto` when the request came over https (directly or "
        "through a trusted proxy), `always`, or `never`.",
    )
    session_hours: int = Field(12, ge=1, le=24 * 30, description="How long a sign-in lasts.")
    session_secret_env: str = Field(
        "SADAP_SESSION_SECRET",
        description="Environment variable holding the key that signs session cookies; if unset, a random key "
        "is created once in `data_dir/session.key`.",
    )
    max_body_bytes: int = Field(1_000_000, ge=1024, description="Largest request body accepted (larger: 413).")
    sign_in_attempts: int = Field(
        5, ge=1, le=100, description="Failed sign-ins allowed per user name and per address within 15 minutes."
    )
    language: Literal["th", "en"] = Field("th", description="Default page language (each user can switch).")
    line_webhook: bool = Field(
        False,
        description="Take users' messages to the organisation's LINE Official Account as mentions of kind `line` "
        "at `POST /webhooks/line` (set that URL as the channel's webhook; see docs/crawlers.md).",
    )
    line_channel_secret_env: str = Field(
        "LINE_CHANNEL_SECRET",
        description="Environment variable holding the LINE channel secret that signs webhook calls "
        "(`X-Line-Signature`); with `line_webhook` on, the workspace does not start without it.",
    )

class DeliveryConfig(Strict):
    """The notification outbox: how long and how often undelivered notifications are retried
    (see docs/alerts.md#delivery-the-outbox)."""

    every: PositiveDuration = Field(
        timedelta(seconds=30), description="How often `sadap run` sends what is waiting in the outbox."
    )
    first_retry: PositiveDuration = Field(
        timedelta(seconds=30), description="Wait after a failed delivery; doubles after each failure."
    )
    max_backoff: PositiveDuration = Field(
        timedelta(minutes=10), description="The longest wait between two tries."
    )
    max_age: PositiveDuration = Field(
        timedelta(hours=24),
        description="Keep retrying while the receiver is down for this long after the alert; then the delivery "
        "is marked `gave_up` and the other notifiers are told.",
    )

    def settings(self) -> OutboxSettings:
        return OutboxSettings(max_age=self.max_age, first_retry=self.first_retry, max_backoff=self.max_backoff)


class DistributedConfig(Strict):
    """Several machines (see docs/deploy.md#several-machines): workers share one crawl queue in Redis,
    and one scheduler at a time evaluates rules and sends notifications (a lease, in Redis when it is
    set, else in the SQLite store)."""

    redis_url: str | None = Field(
        None,
        description="Redis that workers and schedulers share (`redis://host:6379/0`, `rediss://` for TLS); the "
        "password comes from `redis_password_env`, never from this URL. None: one machine, no Redis.",
    )
    redis_password_env: str = Field(
        "SADAP_REDIS_PASSWORD", description="Environment variable holding the Redis password (used when set)."
    )
    key_prefix: str = Field("sadap", description="Prefix of every Redis key Sadap uses (letters, digits, - and _).")
    worker_id: str | None = Field(
        None,
        description="This process's name among the workers (its own Elasticsearch spool folder, logs); "
        "default `$SADAP_WORKER_ID`, and for `sadap worker` the host name.",
    )
    lease: PositiveDuration = Field(
        timedelta(seconds=15),
        description="How long the active scheduler's lease lasts without renewal (renewed every third of it): "
        "a standby scheduler takes over at most about this long after the active one dies.",
    )

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise ValueError("use redis://host:port/db or rediss://host:port/db")
        if parts.password:
            raise secret_in_value("no password in the URL: put it in the environment variable redis_password_env names")
        return value

    @field_validator("key_prefix", "worker_id")
    @classmethod
    def _key_part(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", value):
            raise ValueError("use letters, digits, ., - and _ (start with a letter or digit)")
        return value
class ReportConfig(Strict):
    """Reports: equal response (`sadap report responses`) and the quarterly and yearly CRM reports
    (`sadap report quarterly`, `sadap report yearly`; see docs/pr-crm.md)."""

    fiscal_year_start: int = Field(
        1, ge=1, le=12,
        description="The month the organisation's year begins, for `sadap report quarterly` and `sadap report yearly`: "
        "1, calendar quarters and years (`2026Q4`: October–December 2026); 10, the Thai government's fiscal year "
        "(ปีงบประมาณ), named by the year it ends (`2570Q1` or `FY2027Q1`: October–December 2026; `2570` or `FY2027`: "
        "October 2026–September 2027), as state enterprises report.",
    )
    organisation: str | None = Field(
        None,
        description="The watched name (`watch[].name`) that is the organisation itself: the report's share of voice "
        "compares it with the other watched names, and its CSR activities are the mentions naming it "
        "(default: the first watched name).",
    )
    response_sla: PositiveDuration | None = Field(
        None,
        description="A complaint or question is answered in time when its first response comes within this "
        "(default: the `complaint_sla` rule's `sla`, else 24 hours).",
    )
    slower_factor: float = Field(
        1.5, gt=1.0,
        description="A group is flagged as served markedly slower when its median first-response time is more "
        "than this many times the median of the other groups' first responses (at least a minute); the same test "
        "on time to resolution flags a group resolved markedly slower.",
    )
    min_answered: int = Field(
        3, ge=1, description="Groups with fewer complaints and questions than this are never flagged (those not yet "
        "answered count, with the time they have waited so far).",
    )
    top_topics: int = Field(10, ge=1, le=50, description="How many top topics the quarterly and yearly reports list.")


def _console_only() -> list[NotifierConfig]:
    return [ConsoleOptions(id="console", type="console")]


class Config(Strict):
    """The whole ``sadap.yaml``."""

    data_dir: str = Field("sadap-data", description="Folder for the store and keys, relative to the config file.")
    store: StoreConfig = Field(default_factory=StoreConfig, description="Storage backend and file.")
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig, description="Personal data handling (PDPA).")
    backup: BackupConfig = Field(default_factory=BackupConfig, description="Backups of the data folder.")
    enrich: EnrichConfig = Field(default_factory=EnrichConfig, description="Thai enrichment settings.")
    watch: list[EntityConfig] = Field(default_factory=list, description="Brands, products, people and topics to watch.")
    sources: list[LazySourceConfig] = Field(default_factory=list, description="Where mentions are collected from.")
    # Each rule is checked by its type (alerts/registry.py), which also says, in one line, when
    # an entry is not a mapping: pydantic's own line for it would be a second line for one error.
    rules: list[SkipValidation[dict[str, Any]]] = Field(default_factory=list, description="Alert rules (see `docs/alerts.md`).")
    notifiers: list[NotifierConfig] = Field(
        default_factory=_console_only,
        description="Where alerts are sent (default: the console).",
    )
    playbooks: PlaybooksConfig = Field(default_factory=PlaybooksConfig, description="Which situation playbooks to load.")
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig, description="How often `sadap run` evaluates rules.")
    maintenance: list[MaintenanceWindow] = Field(default_factory=list, description="Planned periods without alerts.")
    console: ConsoleConfig = Field(default_factory=ConsoleConfig, description="The web workspace: address, hosts, sign-in.")
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig, description="Retrying notifications (the outbox).")
    partners: list[PartnerConfig] = Field(
        default_factory=list, description="Partners that receive a masked feed of chosen mentions and incidents (see docs/partners.md)."
    )
    distributed: DistributedConfig = Field(
        default_factory=DistributedConfig, description="Several machines: the shared crawl queue and one scheduler."
    )
    report: ReportConfig = Field(default_factory=ReportConfig, description="Equal-response and the quarterly and yearly CRM reports.")

    _path: Path | None = PrivateAttr(None)
    _shown_path: str | None = PrivateAttr(None)
    _lines: LineMap = PrivateAttr(default_factory=LineMap)
    _rules: list[Rule] | None = PrivateAttr(None)

    # -- where things are -------------------------------------------------
    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def base_dir(self) -> Path:
        return self._path.parent if self._path else Path.cwd()

    @property
    def data_path(self) -> Path:
        p = Path(self.data_dir)
        return p if p.is_absolute() else self.base_dir / p

    @property
    def backup_path(self) -> Path:
        """``backup.folder``, relative to the config file unless absolute."""
        p = Path(self.backup.folder)
        return p if p.is_absolute() else self.base_dir / p

    @property
    def store_path(self) -> Path:
        p = Path(self.store.path)
        return p if p.is_absolute() else self.data_path / p

    @property
    def worker_id(self) -> str | None:
        """This worker's name (``distributed.worker_id``, else ``$SADAP_WORKER_ID``); None on one machine."""
        value = self.distributed.worker_id or os.environ.get("SADAP_WORKER_ID") or None
        if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", value):
            raise ConfigError(f"SADAP_WORKER_ID {value!r}: use letters, digits, ., - and _ (start with a letter or digit)")
        return value

    def source(self, name: str) -> SourceOptions:
        for src in self.sources:
            if src.name == name:
                return src
        known = ", ".join(s.name for s in self.sources) or "none configured"
        raise ConfigError(f"unknown source {name!r} (configured: {known})")

    def pseudonym_key(self) -> bytes:
        value = os.environ.get(self.privacy.pseudonym_key_env)
        if value:
            return value.encode("utf-8")
        key_file = self.data_path / "pseudonym.key"
        if not key_file.exists():
            private_dir(key_file.parent)
        return secret_once(key_file)

    def session_secret(self) -> bytes:
        """The key that signs workspace session cookies: from the environment, else a file made once."""
        value = os.environ.get(self.console.session_secret_env)
        if value:
            return value.encode("utf-8")
        self.data_path.mkdir(parents=True, exist_ok=True)
        return secret_once(self.data_path / "session.key")

    def custom_words(self) -> list[str]:
        words = list(self.enrich.custom_words)
        for entity in self.watch:
            words.append(entity.name)
            words.extend(entity.aliases)
        return words

    # -- rules, validated against the registered rule types -----------------
    @property
    def alert_rules(self) -> list[Rule]:
        if self._rules is None:
            self._rules = build_rules(self.rules, self._shown_path, self._lines)
        return self._rules

    @staticmethod
    def rule_type_names() -> list[str]:
        """The registered rule types (what playbooks' ``when.rule_types`` may name)."""
        return sorted(rule_types())

    @field_validator("partners")
    @classmethod
    def _unique_partners(cls, value: list[PartnerConfig]) -> list[PartnerConfig]:
        return check_unique_names(value)

    def partner(self, name: str) -> PartnerConfig:
        for p in self.partners:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.partners) or "none configured"
        raise ConfigError(f"no partner named {name!r} (partners: {known})")

    def validate_all(self) -> None:
        """Validate the parts checked lazily (rules and the playbooks they name; notifier
        secrets are checked at use). All problems in one ConfigError."""
        problems: list[str] = []
        try:
            rules = self.alert_rules
        except ConfigError as err:
            problems.append(str(err))
            rules = []
        if any(r.options.playbook for r in rules):
            try:
                known = {p.id for p in configured_playbooks(self, check_references=False)}
                problems.extend(rule_playbook_problems(self, rules, known))
            except ConfigError as err:
                problems.append(str(err))
        problems.extend(rule_entity_problems(self, rules))
        problems.extend(maintenance_rule_problems(self, rules))
        if problems:
            raise ConfigError("\n".join(problems))


def configured_playbooks(config: Config, *, check_references: bool = True) -> list[Playbook]:
    """The playbooks ``config`` asks for (its ``playbooks.paths``, then the shipped library if
    ``playbooks.shipped``). With ``check_references``, rule and notifier ids named in them must
    exist in that config; rule types are always checked against the registered ones."""
    return load_playbooks(
        [config.base_dir / p for p in config.playbooks.paths],
        shipped=config.playbooks.shipped,
        known_rules={r.id for r in config.alert_rules} if check_references else None,
        known_notifiers={n.id for n in config.notifiers} if check_references else None,
        known_rule_types=set(config.rule_type_names()),
    )


def rule_playbook_problems(config: Config, rules: list[Any], known: set[str]) -> list[str]:
    """One ``file:line: rule 'r1': playbook 'x' does not exist`` line per rule naming an unknown playbook."""
    return [
        f"{_rule_where(config, rule.id)}rule {rule.id!r}: playbook {rule.options.playbook!r} does not exist "
        f"(loaded: {', '.join(sorted(known))})"
        for rule in rules
        if rule.options.playbook and rule.options.playbook not in known
    ]


def maintenance_rule_problems(config: Config, rules: list[Any]) -> list[str]:
    """One line per rule id a maintenance window names that no rule has (a typo would silence nothing)."""
    known = [r.id for r in rules]
    problems = []
    for i, window in enumerate(config.maintenance):
        for j, rule_id in enumerate(window.rules):
            if rule_id not in known:
                line = config._lines.line(("maintenance", i, "rules", j)) if config._shown_path else None
                where = f"{config._shown_path}:{line}: " if line else (f"{config._shown_path}: " if config._shown_path else "")
                problems.append(f"{where}maintenance[{i}].rules: no rule {rule_id!r}, so the window would silence nothing "
                                f"(rules: {', '.join(known) or 'none'})")
    return problems


def rule_entity_problems(config: Config, rules: list[Any]) -> list[str]:
    """One line per name in a rule's ``entities`` that is not a watched entity's name (mentions
    carry the canonical names of ``watch``, so such a rule would never fire)."""
    names = [e.name for e in config.watch]
    canonical = {alias.strip().lower(): e.name for e in config.watch for alias in e.aliases}
    problems = []
    for rule in rules:
        for entity in getattr(rule.options, "entities", None) or []:
            if entity in names:
                continue
            hint = (f"it is an alias of {canonical[entity.strip().lower()]!r}: name that" if entity.strip().lower() in canonical
                    else f"watched: {', '.join(names)}" if names else "nothing is watched: add it under watch:")
            problems.append(f"{_rule_where(config, rule.id, 'entities')}rule {rule.id!r}: entity {entity!r} is not a "
                            f"watched name, so the rule would never fire ({hint})")
    return problems


def _rule_where(config: Config, rule_id: str, key: str = "playbook") -> str:
    """``file:line: `` of a configured rule's ``key``, when the config came from a file."""
    path = config._shown_path
    if not path:
        return ""
    for i, raw in enumerate(config.rules):
        if isinstance(raw, dict) and raw.get("id") == rule_id:
            line = config._lines.line(("rules", i, key)) or config._lines.line(("rules", i))
            return f"{path}:{line}: " if line else f"{path}: "
    return f"{path}: "


def find_config_path(explicit: str | Path | None = None) -> Path | None:
    if explicit:
        path = Path(explicit)
        if not path.exists():
            raise ConfigError(f"{path}: config file not found")
        return path
    env = os.environ.get(CONFIG_ENV)
    if env:
        path = Path(env)
        if not path.exists():
            raise ConfigError(f"{path}: config file not found (from ${CONFIG_ENV})")
        return path
    local = Path.cwd() / CONFIG_NAME
    return local if local.exists() else None


def load_config(explicit: str | Path | None = None, *, validate: bool = True) -> Config:
    """Find and load the configuration; with no file, the built-in defaults."""
    path = find_config_path(explicit)
    if path is None:
        return Config()
    return load_config_file(path, validate=validate)


def load_config_file(path: str | Path, *, validate: bool = True) -> Config:
    """Load and check a config file. Every problem found is reported in one ConfigError, one
    line each (settings, duplicate source names and rules together)."""
    path = Path(path)
    data, lines = load_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the config must be a mapping of settings (got {type(data).__name__})")
    problems: list[str] = []
    config: Config | None = None
    try:
        config = Config.model_validate(data)
    except ValidationError as err:
        problems.extend(validation_lines(err, str(path), lines, Config))
    for section, field, what in (("sources", "name", "source name"), ("notifiers", "id", "notifier id"),
                                 ("watch", "name", "watched name")):
        entries = data.get(section)
        names = [s.get(field) if isinstance(s, dict) else None for s in entries] if isinstance(entries, list) else []
        if section == "watch":  # one entity under two entries: its aliases and kind would be split between them
            names = [n.strip().casefold() if isinstance(n, str) and n.strip() else None for n in names]
        for i, name in enumerate(names):
            if name is not None and name in names[:i]:  # (two notifiers with one id: one would never be used)
                problems.append(f"{path}:{lines.line((section, i, field))}: {section}[{i}].{field}: duplicate {what} "
                                f"{name!r} (first at {section}[{names.index(name)}])")
    if validate:
        # The rules are checked even when other settings are wrong, so one run shows every error.
        raw_rules = data.get("rules")
        probe = config if config is not None else Config.model_construct(rules=raw_rules if isinstance(raw_rules, list) else [])
        probe._path = path.resolve()
        probe._shown_path = str(path)
        probe._lines = lines
        if config is None and isinstance(data.get("playbooks"), dict):
            try:
                probe.playbooks = PlaybooksConfig.model_validate(data["playbooks"])
            except ValidationError:
                pass
        try:
            probe.validate_all()
        except ConfigError as err:
            problems.extend(line for line in str(err).splitlines() if line not in problems)
    if problems:
        raise ConfigError("\n".join(problems))
    assert config is not None
    config._path = path.resolve()
    config._shown_path = str(path)
    config._lines = lines
    return config
