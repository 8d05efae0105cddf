"""DingTalk: the Stream connection for what people send, callbacks into neutral events, replies
as cards and robot messages, and the OpenAPI client the outbox sends with (docs/dingtalk.md)."""
