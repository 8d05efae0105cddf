"""The check-in being answered: one question at a time, a summary, Confirm or Edit.

The draft row is the conversation's state. Each answer (typed, a photo or a button) is taken
in the router's one transaction, with the update's id, so a crash at any point loses nothing
and an update delivered again is never applied twice; the next message simply continues at
the first unanswered question."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.checkin.actions import (
    ANSWER,
    BACK_TO_SUMMARY,
    CONFIRM,
    DISCARD,
    EDIT,
    EDIT_ONE,
)
from conversations.checkin.confirm import confirm_draft
from conversations.checkin.income import draft_view, with_preview
from conversations.checkin.taken import SHOWN_IN_PLACE, Taken, What
from conversations.checkin.texts import (
    edit_keyboard,
    household_line,
    in_place,
    result_text,
    show,
    value_text,
)
from conversations.engine.replies import Button, Edit, Reply, Say, Toast
from conversations.engine.router import Open
from conversations.engine.turn import Turn
from conversations.texts import level_text, week_label
from monitoring.checkin import (
    QUESTION_BY_ID,
    AnswerError,
    Kind,
    clear_for_edit,
    editable,
    next_step,
    parse_answer,
    record,
)
from monitoring.i18n import N_
from monitoring.people import checked_in
from monitoring.weeks import week_of
from storage.checkins import (
    FLOW,
    CheckIns,
    DraftView,
    draft_view_of,
)
from storage.drafts import Drafts
from storage.models import CheckIn, Household

log = logging.getLogger(__name__)

HINTS = {
    Kind.PHOTO: N_("Please send a photo, or press No photo."),
    Kind.AMOUNT: N_("Please type an amount in yuan, such as 4500, 4,500 or 1.2万."),
    Kind.COUNT: N_(
        "Please type the number of people living together, a whole number from 1 to 30."
    ),
    Kind.TEXT: N_("Please type the note as text, or press No note."),
}
PRESS = N_("Please press one of the buttons (or type 是 or 否).")
STALE = N_("That question was already answered; here is where we are.")
CONFIRM_PLEASE = N_("Please press Confirm to save the check-in, or Edit to change an answer.")


class CheckinConversation:
    flow = FLOW
    prefix = "ci"
    about_household = True  # the router reads the household with the person
    # Also what a Confirm pressed again meets (its card not changed: the process stopped
    # after saving): it says the check-in is kept.
    none = N_(
        "There is no check-in in progress (a check-in you confirmed is saved). Send /checkin "
        "to start one."
    )

    # ------------------------------------------------------------------ in the transaction

    def take(self, at: Open) -> Taken:
        # The household was read by the router with the person (`about_household`): an
        # answer reads nothing more.
        assert at.household is not None
        view = draft_view_of(at.person.id, at.draft, at.household)
        data = at.event.button
        if data is None:
            # What is said next is a new message: the one showing the question now loses its
            # buttons, and the new one (`_shown`) shows it.
            screen, at.draft.screen_id = at.draft.screen_id, None
            taken = replace(self._typed(at, view), screen=screen, before=view)
            return self._previewed(at, taken)
        taken = self._previewed(at, self._pressed(at, view, data))
        if taken.what in SHOWN_IN_PLACE and at.event.message_text is not None:
            screen = at.draft.screen_id
            if taken.what is What.STALE and screen not in (None, at.event.message_id):
                taken = replace(taken, screen=screen)  # it loses its buttons
            at.draft.screen_id = at.event.message_id  # the pressed message shows it now
        return taken

    @staticmethod
    def _previewed(at: Open, taken: Taken) -> Taken:
        """With the income figure the answers give, when the summary is what is shown."""
        if taken.draft is None:
            return taken
        services = at.services
        view = with_preview(
            at.session, taken.draft, now=at.now, tz=services.tz, policy=services.policy
        )
        return replace(taken, draft=view)

    def _pressed(self, at: Open, view: DraftView, data: str) -> Taken:
        answer = ANSWER.read(data)
        if answer is not None:
            value = answer["value"]
            return self._answer(at, view, answer["question"], value, True)
        if CONFIRM.read(data) is not None:
            return self._confirm(at, view)
        if EDIT.read(data) is not None:
            return Taken(What.EDIT_LIST, view)
        if BACK_TO_SUMMARY.read(data) is not None:
            return Taken(What.IN_PLACE, view)
        edit_one = EDIT_ONE.read(data)
        if edit_one is not None and edit_one["question"] in editable(
            view.answers, view.household.facts
        ):
            return self._edit(at, view, edit_one["question"])
        discard = DISCARD.read(data)
        if discard is not None and discard["discard"] == "1":
            shown = view
            Drafts(at.session).drop(at.person.id, FLOW)
            return Taken(What.DISCARDED, household=household_line(shown.household) if shown else "")
        if discard is not None and discard["discard"] == "0":
            return Taken(What.KEPT, view)
        return Taken(What.INVALID)

    def _typed(self, at: Open, view: DraftView) -> Taken:
        draft = at.draft
        step = next_step(dict(draft.answers or {}), view.household.facts, draft.editing)
        if step is None:
            return Taken(What.SHOW, view, CONFIRM_PLEASE)
        question, photo, text = step.question, at.event.photo, at.event.text
        if question.kind is Kind.PHOTO and photo:
            return self._answer(at, view, question.id, None, False, photo=photo)
        if text is not None and question.kind is not Kind.PHOTO:
            return self._answer(at, view, question.id, text, False)
        return Taken(What.SHOW, view, HINTS.get(question.kind, PRESS))

    def _answer(
        self,
        at: Open,
        view: DraftView,
        qid: str,
        value: str | None,
        pressed: bool,
        *,
        photo: str | None = None,
    ) -> Taken:
        draft = at.draft
        facts = view.household.facts
        answers, editing = dict(draft.answers or {}), draft.editing
        step = next_step(answers, facts, editing)
        if step is None or step.question.id != qid:
            return Taken(What.STALE, view, STALE)
        try:
            given: Any = (
                photo if value is None else parse_answer(step, answers, value, pressed=pressed)
            )
        except AnswerError as exc:
            return Taken(What.SHOW, view, exc.hint)
        updated = record(answers, step, given)
        if editing and next_step(updated, facts, editing) is None:
            editing = None  # editing ends when the walker has nothing more to ask
        Drafts(at.session).save(draft, answers=updated, editing=editing, now=at.now)
        after = replace(view, answers=updated, editing=editing)
        return Taken(What.ANSWERED, after, answered=qid if pressed else None)

    def _edit(self, at: Open, view: DraftView, qid: str) -> Taken:
        draft = at.draft
        answers = dict(draft.answers or {})
        if next_step(answers, view.household.facts, draft.editing) is not None:
            return Taken(What.SHOW, view)  # the summary is not what is shown
        cleared = clear_for_edit(answers, qid)
        Drafts(at.session).save(draft, answers=cleared, editing=qid, now=at.now)
        return Taken(What.IN_PLACE, replace(view, answers=cleared, editing=qid))

    def _confirm(self, at: Open, view: DraftView) -> Taken:
        draft = at.draft
        status = CheckIns(at.session).household_status(view.household.id)
        if status is None or not checked_in(status):
            # Its risk was marked eliminated while this was open: nothing is saved.
            Drafts(at.session).drop(at.person.id, FLOW)
            return Taken(What.NOT_MONITORED, household=household_line(view.household))
        if next_step(dict(draft.answers or {}), view.household.facts, draft.editing):
            return Taken(What.SHOW, view)
        week = str(week_of(at.now, at.services.tz))
        if draft.week != week:
            # Started in a week that has ended: it must not replace that week's check-in,
            # and the new week must not stay due while the helper thinks it is done. The
            # answers move to this week, and the helper confirms again, knowingly.
            started = str(draft.week)
            Drafts(at.session).save(draft, week=week, now=at.now)
            return Taken(What.MOVED, replace(view, week=week), started=started)
        result = confirm_draft(
            at.session,
            draft,
            entered_by=at.person.id,
            now=at.now,
            policy=at.services.policy,
            close_after_green=at.services.close_after_green,
            tz=at.services.tz,
        )
        return Taken(What.CONFIRMED, result=result)

    # ------------------------------------------------------------------ after the commit

    async def reply(self, turn: Turn, taken: Taken) -> list[Reply]:
        t, event = turn.t, turn.event
        draft = taken.draft
        note = t._(taken.note) if taken.note else None
        if taken.what is What.INVALID:
            return [Toast(t._("This button is no longer valid."))]
        if taken.what is What.DISCARDED:
            return [
                Say(
                    t._("The check-in for {household} was discarded.").format(
                        household=taken.household
                    )
                ),
                *self._close(turn),
            ]
        if taken.what is What.NOT_MONITORED:
            text = t._(
                "{household} is no longer monitored (risk eliminated or a natural end): this "
                "check-in was not saved, and none is needed."
            ).format(household=taken.household)
            return [Say(text), *self._close(turn)]
        if taken.what is What.CONFIRMED:
            assert taken.result is not None
            turn.services.wake_outbox()
            log.info(
                "check-in %s confirmed for household %s: %s",
                taken.result.check_in_id,
                taken.result.household_number,
                taken.result.assessment.level,
            )
            # The summary stays as it was answered, without its buttons.
            return [Say(result_text(taken.result, t)), *self._close(turn)]
        if draft is None:
            return [Say(t._(self.none))]
        if taken.what is What.KEPT:  # "Keep going": the question again; Discard? goes
            return [self._shown(turn, show(draft, t)), *self._close(turn)]
        if taken.what is What.MOVED:
            note = t._(
                "This check-in was started in {started}, which has ended. It will be "
                "recorded for this week, {week}: please check the answers and confirm again."
            ).format(started=week_label(taken.started, t), week=week_label(draft.week, t))
            return [self._shown(turn, show(draft, t, note)), *self._close(turn)]
        if event.button is None:  # typed (or a photo): the next question is a new message
            return [*self._unbutton(turn, taken), self._shown(turn, show(draft, t, note))]
        pressed = event.message_text is not None
        if taken.what is What.ANSWERED:
            if not taken.answered or not pressed:
                return [self._shown(turn, show(draft, t))]
            # A button answer: its question becomes the next one, under a line saying what
            # was answered (one message per answer: Telegram's flood limit counts them).
            question = QUESTION_BY_ID[taken.answered]
            value = draft.answers.get(taken.answered)
            shown = value[-1] if isinstance(value, list) and value else value
            trail = f"✓ {t._(question.label)}：{value_text(question, shown, t)}"
            return [in_place(show(draft, t, trail))]
        if taken.what is What.STALE:
            # Pressed again (its answer taken, the message not changed yet: a double tap, or
            # the process stopped in between, and DingTalk does not deliver it again) or on
            # an older copy: the pressed message shows where the check-in stands.
            if not pressed:  # a message the platform no longer shows: a new one
                return [Toast(""), self._shown(turn, show(draft, t, note))]
            older = []
            if taken.screen is not None:  # the message that showed it until now
                older = [Edit(show(draft, t).text, message_id=taken.screen, best_effort=True)]
            return [Toast(""), *older, in_place(show(draft, t, note))]
        if taken.what is What.EDIT_LIST:
            summary = next_step(draft.answers, draft.household.facts, draft.editing) is None
            if summary and event.message_text is not None:
                return [Edit(event.message_text, edit_keyboard(draft, t), best_effort=True)]
            return [show(draft, t)]
        if taken.what is What.IN_PLACE and pressed:
            return [in_place(show(draft, t, note))]
        return [self._shown(turn, show(draft, t, note))]

    @staticmethod
    def _close(turn: Turn) -> list[Reply]:
        """Take the buttons off the message pressed (it has been answered)."""
        text = turn.event.message_text
        return [Edit(text, best_effort=True)] if turn.event.button and text is not None else []

    @staticmethod
    def _unbutton(turn: Turn, taken: Taken) -> list[Reply]:
        """Take the buttons off the message that showed the question a typed answer (or a
        photo) answered: it shows the question as it was asked."""
        if taken.screen is None or taken.before is None:
            return []
        asked = show(taken.before, turn.t).text
        return [Edit(asked, message_id=taken.screen, best_effort=True)]

    @staticmethod
    def _shown(turn: Turn, say: Say) -> Say:
        """`say`, remembered as the message that shows the check-in (when it has buttons)."""
        person = turn.person
        if not say.keyboard or person is None:
            return say

        async def remember(message_id: int) -> None:
            await turn.services.tx(lambda s: Drafts(s).show_on(person.id, FLOW, message_id))

        return replace(say, shown=remember)

    async def where(self, turn: Turn, busy: bool = False) -> list[Reply]:
        draft = await _draft(turn)
        if draft is None:
            return []
        if busy:
            note = turn.t._(
                "You are in the middle of the check-in for {household}. Please answer the "
                "question below, or send /cancel to discard the check-in first."
            ).format(household=household_line(draft.household))
            return [show(draft, turn.t, note)]
        # A press delivered again after a restart: the pressed message shows where we are.
        if turn.event.button is not None and turn.event.message_text is not None:
            return [in_place(show(draft, turn.t))]
        return [show(draft, turn.t)]

    async def ended(self, turn: Turn) -> list[Reply]:
        person, t = turn.person, turn.t
        latest = await turn.services.tx(lambda s: _latest(s, person.id)) if person else None
        if latest is None:
            return []
        number, level = latest
        return [
            Say(
                t._("Saved: check-in for household {number}.").format(number=number)
                + "\n"
                + t._("Risk level: {level}").format(level=level_text(level, t))
            ),
            *self._close(turn),
        ]

    async def cancel(self, turn: Turn) -> list[Reply] | None:
        draft = await _draft(turn)
        if draft is None:
            return None
        t = turn.t
        return [
            Say(
                t._(
                    "Discard the unfinished check-in for {household}? The answers given "
                    "so far will be lost."
                ).format(household=household_line(draft.household)),
                (
                    (
                        Button(t._("Discard"), DISCARD.data(discard=1)),
                        Button(t._("Keep going"), DISCARD.data(discard=0)),
                    ),
                ),
            )
        ]


def _latest(session: Session, person_id: int) -> tuple[str, str] | None:
    """The household number and level of the check-in this person confirmed last."""
    row = session.execute(
        select(Household.number, CheckIn.level)
        .join(Household, Household.id == CheckIn.household_id)
        .where(CheckIn.entered_by == person_id)
        .order_by(CheckIn.entered_at.desc(), CheckIn.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


async def _draft(turn: Turn) -> DraftView | None:
    person, services = turn.person, turn.services
    if person is None:
        return None
    now = services.now()
    week = week_of(now, services.tz)
    return await services.tx(
        lambda s: draft_view(s, person.id, week, now=now, tz=services.tz, policy=services.policy)
    )


CONVERSATION = CheckinConversation()
