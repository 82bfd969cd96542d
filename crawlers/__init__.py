"""Sadap's Scrapy project: one spider per kind of source, pipelines that validate and hand off.

Run a spider on its own from the repository root, for example::

    scrapy crawl rss -a url=https://example.co.th/rss.xml -a source=example-news -O out.jsonl

or crawl configured sources in-process with :func:`sadap.app.crawl.crawl`.
"""
