"""The interactive card template the DingTalk adapter sends every text with buttons as, and
the names it reads back: shipped as `card_template.json`, a file in the shape DingTalk's card
platform exports and imports (README, docs/dingtalk.md: how to import it).

- `markdown` (string): the card's text, shown as plain text (a text component: the bot's
  texts are plain, as on Telegram; a Markdown component would take `**` in a masked name
  for bold, and needs `<br>` for a line break);
- `buttons` (a list, `loopArray`): the buttons, one per line, each `{text, data}`; a loop
  renders each as a button whose action is "回传请求" (a callback over Stream) with two
  parameters: `data`, the button's own data, and `markdown`, the text the card shows (so the
  adapter knows it after a restart too).

DingTalk sends a pressed button's parameters in the callback's
`content.cardPrivateData.params`, by the names the template gives them (DingTalk's card
callback page; `actionIds` may be the component's node id, so it is not read)."""

from __future__ import annotations

from pathlib import Path

TEMPLATE_FILE = Path(__file__).with_name("card_template.json")

TEXT = "markdown"  # card variable: the text
BUTTONS = "buttons"  # card variable: the buttons, a JSON list of {text, data}
BUTTON_LABEL = "text"  # in each button: its label
BUTTON_DATA = "data"  # in each button: its data
PRESSED_DATA = "data"  # a press's parameter: the pressed button's data
PRESSED_TEXT = "markdown"  # a press's parameter: the text the card showed
