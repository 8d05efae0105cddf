"""The weekly check-in: `/checkin`, one question at a time, a summary, Confirm or Edit.

- `start.py`: `/checkin` and the household buttons (also on reminders);
- `conversation.py`: the check-in being answered, taken by the router one answer per
  transaction;
- `texts.py`: the questions, the summary and the result, as the helper reads them;
- `actions.py`: its buttons. The questions themselves and the risk are in `monitoring/`."""
