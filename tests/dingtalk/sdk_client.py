"""The official `dingtalk-stream` SDK against the stand-in, as a separate process: it reads
its OpenAPI base from DINGTALK_OPENAPI_ENDPOINT when imported (its documented setting), so
it runs in a process of its own. Prints one JSON line per message or card press it handles,
and acknowledges each as the SDK does."""

from __future__ import annotations

import json
import logging
import sys

import dingtalk_stream
from dingtalk_stream import AckMessage


class Messages(dingtalk_stream.ChatbotHandler):
    async def process(self, callback: dingtalk_stream.CallbackMessage) -> tuple[int, str]:
        message = dingtalk_stream.ChatbotMessage.from_dict(callback.data)
        text = message.text.content if message.text else None
        print(json.dumps({"text": text, "from": message.sender_staff_id}), flush=True)
        return AckMessage.STATUS_OK, "OK"


class Cards(dingtalk_stream.CallbackHandler):
    async def process(self, callback: dingtalk_stream.CallbackMessage) -> tuple[int, str]:
        press = dingtalk_stream.CardCallbackMessage.from_dict(callback.data)
        params = press.content["cardPrivateData"]["params"]
        print(json.dumps({"card": press.card_instance_id, "params": params}), flush=True)
        return AckMessage.STATUS_OK, "OK"


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    client_id, client_secret = sys.argv[1], sys.argv[2]
    client = dingtalk_stream.DingTalkStreamClient(
        dingtalk_stream.Credential(client_id, client_secret)
    )
    client.register_callback_handler(dingtalk_stream.ChatbotMessage.TOPIC, Messages())
    client.register_callback_handler(dingtalk_stream.CallbackHandler.TOPIC_CARD_CALLBACK, Cards())
    print(json.dumps({"started": True}), flush=True)
    client.start_forever()


if __name__ == "__main__":
    main()
