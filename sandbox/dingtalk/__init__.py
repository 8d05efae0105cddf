"""A DingTalk stand-in (Stream gateway, OpenAPI, control API) for the DingTalk adapter's
end-to-end tests and the sandbox page; see `server.py`."""
