"""The rows that put a proposal before the people who decide next (through the outbox), beside
the queries (`storage/proposal_views.py`). What a proposal goes through (submit, approve,
reject, choose the helper, the elimination) is the feature's: `conversations/proposals/
workflow.py`; who may decide and where a decision leads: `monitoring/proposals.py`. Never
commits."""

from __future__ import annotations

from datetime import date, datetime

from storage.models import Proposal
from storage.outbox import Outbox
from storage.proposal_views import ProposalQueries


class Proposals(ProposalQueries):
    """The queries, and the outbox rows that ask a proposal's holders."""

    def ask_holders(self, proposal: Proposal, now: datetime, *, late_on: date | None = None) -> int:
        """Queue the proposal's step to each person holding it (the village heads, the
        township's staff, the county's): once per step, or with `late_on` once a day while
        the step is past its deadline."""
        outbox = Outbox(self.session)
        queued = 0
        for holder in self.holders(proposal):
            assert holder.platform_user_id is not None
            queued += outbox.enqueue(
                key=f"proposal:{proposal.id}:{proposal.status}:{holder.id}"
                if late_on is None
                else f"proposal:{proposal.id}:late:{late_on.isoformat()}:{holder.id}",
                kind="proposal",
                chat_id=holder.platform_user_id,
                now=now,
                payload={"proposal_id": proposal.id, "step": proposal.status}
                | ({} if late_on is None else {"late": True}),
            )
        return queued
