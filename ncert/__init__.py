"""ncert: the national cyber-incident coordination platform.

The core package holds configuration, the domain model, the services that own
all domain logic and access control, and the thin doors into them: the web
console, the REST API and the CLI.
"""

__version__ = "0.1.0"
