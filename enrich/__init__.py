"""Enrichment: turn a raw mention into an enriched one (Thai NLP). Importing loads no model."""
