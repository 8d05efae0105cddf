"""The application: settings, wiring, commands, alerts, the CLI and the sandbox Bot API."""
