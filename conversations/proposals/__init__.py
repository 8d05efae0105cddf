"""Bringing households into monitoring and out of it, in the chat:

- `propose.py`: `/propose`, a short conversation (its draft row is the state), then Submit;
- `decide.py`: village review, township approval, choosing the helper; a reason asked for
  on Reject (and on a referral to the county); `/proposals`;
- `eliminate.py`: `/eliminate` with the criteria checked, and `/reinstate`;
- `questions.py`, `texts.py`: what the person reads; `actions.py`: the proposal's buttons.

The state machine and the criteria are in `monitoring/proposals.py`; every step is stored
with who, when and why, and audited."""
