"""Every conversation that keeps a draft, in one router: the platform adapters route private
messages and these conversations' buttons through it, and flows reach it as
`Services.router` (to say what is open before starting another)."""

from __future__ import annotations

from conversations.checkin.conversation import CONVERSATION as CHECKIN
from conversations.engine.router import Router
from conversations.leads import selfreport
from conversations.leads.reason import CONVERSATION as EXCLUSION
from conversations.proposals.decide import CONVERSATION as REASON
from conversations.proposals.propose import CONVERSATION as PROPOSAL
from conversations.tasks.refuse import CONVERSATION as REFUSAL
from conversations.warnings.measures import CONVERSATION as MEASURE

ROUTER = Router([CHECKIN, MEASURE, PROPOSAL, REASON, REFUSAL, EXCLUSION], stranger=selfreport.typed)
