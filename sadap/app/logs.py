"""Logging for the command line. Scrapy installs its own root handler when a crawl starts;
ours steps aside then, so no line is printed twice."""

from __future__ import annotations

import logging

_MARK = "_sadap_cli_handler"


def setup_cli_logging(level: int = logging.WARNING) -> None:
    root = logging.getLogger()
    if any(getattr(h, _MARK, False) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("sadap: %(levelname)s %(name)s: %(message)s"))
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(level)
    quiet_client_loggers()


def quiet_client_loggers() -> None:
    """The Elasticsearch client logs every failed attempt with a traceback (tens of thousands of
    lines during an outage); the store reports an outage once, with counts, instead."""
    for name in ("elastic_transport", "elasticsearch"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


class _ServiceLines(logging.Filter):
    """Sadap's own INFO lines (what the service is doing), and warnings or worse from anything."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name == "sadap" or record.name.startswith("sadap.")


def show_service_logs() -> None:
    """For `sadap run`: also print Sadap's INFO lines (jobs run, alerts fired) on stderr."""
    setup_cli_logging()
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, _MARK, False):
            handler.setLevel(logging.INFO)
            if not any(isinstance(f, _ServiceLines) for f in handler.filters):
                handler.addFilter(_ServiceLines())
    root.setLevel(logging.INFO)
    logging.getLogger("sadap").setLevel(logging.INFO)


def remove_cli_logging() -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
