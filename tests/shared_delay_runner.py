"""One article crawl of a site with the Redis settings `sadap worker` gives its crawlers, for the tests
of the Crawl-delay that workers keep together (tests/test_crawl_delay_shared.py)::

    python -m tests.shared_delay_runner SADAP_YAML SITE_URL SOURCE [NAME=VALUE ...]

Only the settings that reach Redis for the delay are taken (``REDIS_URL``, ``REDIS_PARAMS``: the
answer timeout and retries of a worker, and ``SADAP_REDIS_CRAWL_DELAY_KEY``) and, as a worker has for a
one-site source, ``CONCURRENT_REQUESTS`` at ``CONCURRENT_REQUESTS_PER_DOMAIN``; the crawl itself runs
from its own start requests (each process crawls the whole site), not from the shared queue.
"""

from __future__ import annotations

import sys

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from sadap.app.config import load_config_file
from sadap.app.distributed import scrapy_settings

SHARED = ("REDIS_URL", "REDIS_PARAMS", "SADAP_REDIS_CRAWL_DELAY_KEY")


def main(argv: list[str]) -> None:
    config_path, url, source, *extra = argv
    worker = scrapy_settings(load_config_file(config_path), source)
    settings = get_project_settings()
    settings.setdict({name: worker[name] for name in SHARED if name in worker}, priority="cmdline")
    # As a worker takes from a one-site source: only what it may send the site at once.
    settings.set("CONCURRENT_REQUESTS", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), priority="cmdline")
    settings.setdict(dict(pair.split("=", 1) for pair in extra), priority="cmdline")
    process = CrawlerProcess(settings)
    process.crawl("article", url=url, follow=r"/news/\d+\.html", source=source)
    process.start()


if __name__ == "__main__":
    main(sys.argv[1:])
