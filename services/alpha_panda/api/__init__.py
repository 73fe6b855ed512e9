"""The HTTP API: JWT-protected read models, strategy control and health, built by `create_app`."""
