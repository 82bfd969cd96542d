"""Scrapy settings for Sadap's crawlers: polite by default (robots.txt, throttling)."""

from sadap import __version__

BOT_NAME = "sadap"

SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# Name the crawler honestly; deployments may append a contact URL for their organisation.
USER_AGENT = f"Sadap/{__version__} (Thai social-listening crawler; obeys robots.txt)"

ROBOTSTXT_OBEY = True

# Few requests per site, spaced out; AutoThrottle slows down further when a site is slow.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
DOWNLOAD_TIMEOUT = 30
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 2
# robots.txt's Crawl-delay is obeyed (crawlers.middlewares.CrawlDelayMiddleware), never below
# DOWNLOAD_DELAY and at most this many seconds: one robots.txt must not stall a crawl.
SADAP_CRAWL_DELAY_MAX = 60.0
# Several machines: the prefix of the Redis keys through which all the workers keep a site's
# Crawl-delay together (crawlers/shared_delay.py); `sadap worker` sets it. Unset, each keeps its own.
SADAP_REDIS_CRAWL_DELAY_KEY = None

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

DEFAULT_REQUEST_HEADERS = {
    "Accept": (
        "text/html,application/xhtml+xml,application/xml;q=0.9,"
        "application/rss+xml,application/atom+xml,application/json;q=0.8,*/*;q=0.5"
    ),
    "Accept-Language": "th,en;q=0.8",
}

# Safety: only http/https are fetched (file://, ftp://, s3://, data: are never downloaded,
# and refused before robots.txt is asked); failed downloads are one counted line each.
DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.WebOnlyMiddleware": 50,
    # Right after Scrapy's RobotsTxtMiddleware (100), which reads robots.txt first.
    "crawlers.middlewares.CrawlDelayMiddleware": 110,
    # Below Scrapy's decompression (590): answers come back through it first, so this sees plain bytes.
    "crawlers.middlewares.ThaiCharsetMiddleware": 580,
    "crawlers.middlewares.RedirectLoopMiddleware": 650,
    # API keys go on just before the download and come off as the answer returns (after Scrapy's
    # retry and redirect middlewares in the request's way, before them on the way back), so that no
    # queued request holds one. Only for spiders with `uses_auth`.
    "crawlers.middlewares.ApiAuthMiddleware": 890,
}
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}
# A news page or feed is well under a megabyte; a 10 MiB answer is a mistake or an attack.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 10
# WebOnlyMiddleware writes the one error line for a download that failed after retries.
RETRY_GIVE_UP_LOG_LEVEL = "INFO"

# Several machines (crawlers/distributed.py): off unless SADAP_REDIS_START_KEY is set, as
# `sadap worker` does together with scrapy-redis's SCHEDULER and DUPEFILTER_CLASS.
SPIDER_MIDDLEWARES = {"crawlers.distributed.StartOnSchedule": 10}
EXTENSIONS = {"crawlers.distributed.RedisRounds": 500}
SADAP_REDIS_START_KEY = None
# How often (seconds) an idle worker looks at the shared queue and the start list.
SADAP_REDIS_POLL = 1.0
# While Redis does not answer, how often (seconds) a worker tries it again with a PING (crawlers.redis_errors.Outage).
SADAP_REDIS_RETRY = 5.0

ITEM_PIPELINES = {
    "crawlers.pipelines.ValidatePipeline": 100,
    "crawlers.pipelines.DuplicatesPipeline": 200,
    "crawlers.pipelines.SadapIngestPipeline": 900,
}

# SADAP_CONFIG: a sadap.app.config.Config (or a path to sadap.yaml). Unset, the ingest
# pipeline switches itself off and items only go to feed exports (-O out.jsonl).
SADAP_CONFIG = None
# Builds the ingest that batches go to, given these settings (a callable or its dotted path).
# Named by path so the crawlers stage never imports the app layer.
SADAP_INGEST_FACTORY = "sadap.app.ingest.from_scrapy_settings"
SADAP_BATCH_SIZE = 50
# Processes that enrich the batches while the crawl goes on (0: one per CPU core, shared by
# all the crawl's spiders; 1: enrich in the crawl's own process, batch by batch).
SADAP_ENRICH_WORKERS = 0
# Folder for each source's small state between crawls (crawlers/state.py); `sadap crawl` sets it
# to <data_dir>/crawl-state. Unset, incremental spiders crawl everything each time.
SADAP_STATE_DIR = None
# Several machines: the Redis key holding each source's state instead (`sadap worker` sets it).
SADAP_REDIS_STATE_KEY = None
# ...and the prefix of the budget counters every worker adds to (YouTube's quota, a sitemap's pages).
SADAP_REDIS_COUNTER_KEY = None

# Scrapy 2.19 uses the asyncio reactor and the current request fingerprinter by default;
# REQUEST_FINGERPRINTER_IMPLEMENTATION no longer exists there, so it is not set.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# Dropped items are logged as their one-line reason, not as a dump of the whole item.
LOG_FORMATTER = "crawlers.pipelines.SadapLogFormatter"

# Scrapy 2.19's remote-control server runs Python sent to it over HTTP: not wanted in a
# monitoring service (like the Telnet console, off).
REMOTE_CONTROL_ENABLED = False
