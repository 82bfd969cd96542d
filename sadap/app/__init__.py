"""The app layer: the CLI, the web console, the demo, the service and scheduler, ingest orchestration and the assembled configuration."""
