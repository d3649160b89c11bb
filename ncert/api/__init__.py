"""Machine doors into the services. ``ncert.api.v1`` is the REST API (JSON, bearer API keys)."""
