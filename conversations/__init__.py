"""The flows, platform-neutral: neutral events in, neutral replies out, one engine (`engine/`),
the one dispatch (`dispatch.py`) and one folder per feature (`checkin/`, `proposals/`,
`warnings/`, `reports/`, `people/`, `outbox/`). Imports no platform."""
