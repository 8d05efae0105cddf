"""The DingTalk adapter (being built: docs/dingtalk.md): the Stream connection so far."""
