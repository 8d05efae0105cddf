"""Each outbox kind's payload is a typed value (`storage/payloads.py`): a producer's mistake
fails its own transaction (nothing queued), and a row read back is typed for the renderer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import OutboxMessage
from storage.outbox import Outbox
from storage.payloads import MODELS, Notice, PayloadError, ProposalStep, Reminder, parse

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "payload", "why"),
    [
        ("notice", {}, "text"),  # a notice without its text
        ("proposal", {"proposal_id": "seven", "step": "village"}, "integer"),
        ("reminder", {"week": "2026-W49", "households": [[1, "H1"]]}, "households"),
        ("alert_detail", {"update": True, "amount": 5000}, "amount"),  # nothing unknown kept
        ("postcard", {"text": "x"}, "no outbox kind"),
    ],
)
def test_a_payload_that_does_not_fit_its_kind_is_refused_and_nothing_is_queued(
    session_factory: sessionmaker[Session], kind: str, payload: dict[str, object], why: str
) -> None:
    with session_factory() as s, s.begin():
        with pytest.raises(PayloadError, match=why):
            Outbox(s).enqueue(key="k", kind=kind, chat_id=501, now=NOW, payload=payload)
        with pytest.raises(PayloadError):
            Outbox(s).enqueue_many(
                [{"key": "m", "kind": kind, "chat_id": 501, "payload": payload}], now=NOW
            )
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_row_is_read_back_typed_and_a_model_of_another_kind_is_refused(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s, s.begin():
        outbox = Outbox(s)
        outbox.enqueue(
            key="p",
            kind="proposal",
            chat_id=501,
            now=NOW,
            payload=ProposalStep(proposal_id=7, step="village"),
        )
        outbox.enqueue(
            key="r",
            kind="reminder",
            chat_id=502,
            now=NOW,
            payload={"week": "2026-W49", "households": [[1, "H1", "王*山"]]},
        )
        with pytest.raises(PayloadError, match="no payload of 'reminder'"):
            outbox.enqueue(
                key="x", kind="reminder", chat_id=503, now=NOW, payload=Notice(text="hi")
            )
    with session_factory() as s, s.begin():
        outbox = Outbox(s)
        rows = {chat: row for row, chat in outbox.due(NOW, stale_after=timedelta(minutes=2))}
        proposal = outbox.claim(rows[501], NOW, stale_after=timedelta(minutes=2))
        reminder = outbox.claim(rows[502], NOW, stale_after=timedelta(minutes=2))
        assert 503 not in rows
    assert proposal is not None and reminder is not None
    assert proposal.payload == ProposalStep(proposal_id=7, step="village", late=False)
    assert isinstance(reminder.payload, Reminder)
    assert reminder.payload.households == [(1, "H1", "王*山")]
    assert reminder.payload.period is None  # weekly visits: no period


def test_every_kind_the_renderer_knows_has_a_model() -> None:
    from conversations.reports.job_texts import JOB_KINDS
    from conversations.warnings.texts import UNDELIVERED_WHAT

    assert set(MODELS) >= JOB_KINDS
    assert set(UNDELIVERED_WHAT) <= set(MODELS)
    assert parse(
        "weekly_chart",
        {
            "week": "2026-W48",
            "township": "龙溪镇",
            "at": "x",
            "late_proposals": [],
            "villages": [],
            "open_red": [],
        },
    )
