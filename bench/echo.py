"""The framework's own ceiling: a bare python-telegram-bot echo bot, run as its own process
against the same stand-in. Its built-in Updater polls; a message is answered with one
message carrying one button, a button press with answerCallbackQuery and one message.

With a third argument, it sends under fangfanpin's own flood limiter set to that many
messages a second (`flood_limiter` in `platforms/telegram/app.py`), so both bots meet
the limit the same way. With `--strict`, the strictest baseline: every update, a message or
a press, is answered with one message and nothing else (no answerCallbackQuery): one Bot
API call per update.

    python -m bench.echo API_URL TOKEN [SEND_RATE] [--strict]"""

from __future__ import annotations

import logging
import sys

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler

BUTTON = InlineKeyboardMarkup([[InlineKeyboardButton("好", callback_data="ok")]])


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("echo", reply_markup=BUTTON)


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    await query.answer()
    await context.bot.send_message(update.effective_chat.id, "echo", reply_markup=BUTTON)


async def on_press_strict(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, "echo", reply_markup=BUTTON)


def main(api_url: str, token: str, send_rate: str | None = None, strict: bool = False) -> None:
    logging.basicConfig(level=logging.WARNING)
    builder = ApplicationBuilder().token(token).base_url(api_url)
    if send_rate is not None:
        from platforms.telegram.app import flood_limiter

        builder = builder.rate_limiter(flood_limiter(float(send_rate)))
    app = builder.build()
    app.add_handler(MessageHandler(None, on_message))
    app.add_handler(CallbackQueryHandler(on_press_strict if strict else on_press))
    app.run_polling(poll_interval=0.0, timeout=10)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--strict"]
    main(*args[:3], strict="--strict" in sys.argv[1:])
