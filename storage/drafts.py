"""Conversations in progress: one draft row per person, whatever the flow. Never commits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Draft


class Drafts:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, person_id: int) -> Draft | None:
        """The person's open conversation, of whichever flow."""
        return self.session.get(Draft, person_id)

    def of(self, person_id: int, flow: str) -> Draft | None:
        """The person's open conversation if it is of `flow`."""
        draft = self.get(person_id)
        return draft if draft is not None and draft.flow == flow else None

    def start(
        self,
        person_id: int,
        flow: str,
        *,
        subject_id: int | None = None,
        week: str | None = None,
        answers: Mapping[str, Any] | None = None,
        screen_id: int | None = None,
        now: datetime,
    ) -> Draft:
        """A new conversation, in place of whatever was open (the caller decided that it may
        replace it); `screen_id`: the message that shows it, when known."""
        draft = self.get(person_id)
        if draft is None:
            draft = Draft(person_id=person_id)
            self.session.add(draft)
        draft.flow, draft.subject_id, draft.week = flow, subject_id, week
        draft.answers, draft.editing, draft.screen_id = dict(answers or {}), None, screen_id
        draft.started_at = draft.updated_at = now
        return draft

    def show_on(self, person_id: int, flow: str, screen_id: int | None) -> None:
        """The message now showing the person's `flow` conversation (if still open)."""
        draft = self.of(person_id, flow)
        if draft is not None:
            draft.screen_id = screen_id

    def save(
        self,
        draft: Draft,
        *,
        answers: Mapping[str, Any] | None = None,
        editing: str | bool | None = False,
        week: str | None = None,
        now: datetime,
    ) -> None:
        """Store a change; `editing=False` leaves the question being edited as it is."""
        if answers is not None:
            draft.answers = dict(answers)  # a new object, so the JSON column sees the change
        if editing is not False:
            draft.editing = editing if isinstance(editing, str) else None
        if week is not None:
            draft.week = week
        draft.updated_at = now

    def drop(self, person_id: int, flow: str | None = None) -> str | None:
        """End the person's conversation (only if of `flow`, when given); its flow, or None
        when there was none."""
        draft = self.get(person_id) if flow is None else self.of(person_id, flow)
        if draft is None:
            return None
        self.session.delete(draft)
        self.session.flush()
        return draft.flow

    def close_about(self, flow: str, subject_id: int) -> list[int]:
        """End every conversation of `flow` about `subject_id` (a household's check-ins
        being answered); the people whose conversation it was."""
        drafts = self.session.scalars(
            select(Draft).where(Draft.flow == flow, Draft.subject_id == subject_id)
        ).all()
        for draft in drafts:
            self.session.delete(draft)
        self.session.flush()
        return [draft.person_id for draft in drafts]
