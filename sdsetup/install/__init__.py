"""The install pipeline: mirror listings and lock → plan → downloads → venv → proof (see pipeline)."""
