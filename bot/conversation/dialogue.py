"""Dialogues: one question at a time, answers kept in the database, preview before publishing.

A `Flow` is a list of `Step`s. Each step asks one question (with the allowed range in its text),
accepts a typed answer through its `parse` function or a button from its `options`, and keeps
the step with a clear reason when the answer is bad. State lives in the `dialogues` table, so a
restart resumes the dialogue where it was.

Edit: a preview offers the flow's asked steps that have a `label`; the chosen one is asked
again, then whatever depends on it (see `Dialogues._pending`), then the preview comes back.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.conversation.callbacks import DialogueAnswer
from bot.conversation.listing import CHOICES_PER_PAGE, page_of, turning
from bot.conversation.replies import Button, PickUser, Reply
from bot.conversation.session import Session
from bot.infra.clock import Clock
from bot.infra.i18n import Html, Texts
from storage.database import Database
from storage.dialogues import DialogueRepository
from storage.models import Dialogue

SKIP = "~skip"
PUBLISH = "~pub"
CANCEL = "~cancel"
BACK = "~back"
PAGE = "~p"  # followed by a page number: turns the page of a step's options
EDIT = "~edit"
FIELD = "~f"  # followed by a step's name: the field to answer again
PREVIEW = "preview"
# The answers' key holding, during an edit, the steps still to be asked again.
EDITING = "~editing"
# The request id of a step's user picker: one picker is open at a time, the current step's.
PICK_REQUEST = 1


class Formatted(str):
    """A typed answer as Telegram HTML (formatting kept), with its plain text beside it."""

    plain: str

    def __new__(cls, html: str, plain: str) -> Formatted:
        value = super().__new__(cls, html)
        value.plain = plain
        return value


class Invalid(Exception):
    """A bad answer: the text key (and values) explaining why, with an example."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Option:
    value: str
    key: str | None = None
    label: str | None = None

    def render(self, texts: Texts) -> str:
        return self.label if self.label is not None else texts(self.key or self.value)


# A parser returns the answer's value (or an awaitable of it) or raises Invalid.
Parser = Callable[[str, Session, dict[str, Any]], object]
Options = Callable[[Session, dict[str, Any]], Sequence[Option]]


@dataclass(frozen=True)
class Step:
    name: str
    # A catalog key, or a function choosing one (a question that depends on earlier answers).
    question: str | Callable[[Session, dict[str, Any]], str]
    parse: Parser | None = None
    options: Options | Sequence[Option] = ()
    optional: bool = False
    back: bool = False
    formatted: bool = False
    # A catalog key: the label of a user-picker button that answers this step with the chosen
    # person's id (as if typed, through `parse`); such a step has no inline buttons.
    pick_user: str | None = None
    # The step's buttons answer as if their value were typed: it goes through `parse` (the
    # date buttons of a date question are checked like a typed date).
    as_typed: bool = False
    when: Callable[[dict[str, Any]], bool] = lambda answers: True
    # A catalog key naming the field on the preview's Edit menu; a step without one is not
    # offered there.
    label: str | None = None
    # Steps asked again whenever an edit changes this one's answer (a city's time zone).
    then: tuple[str, ...] = ()
    # Whether the kept answer still holds after another answer changed: raises Invalid (the
    # end must stay after the start). A step of choices is also asked again when its answer is
    # no longer among them.
    check: Callable[[Session, dict[str, Any]], None] | None = None
    question_values: Callable[[Session, dict[str, Any]], dict[str, object]] = (
        lambda session, answers: {}
    )

    def choices(self, session: Session, answers: dict[str, Any]) -> Sequence[Option]:
        return self.options(session, answers) if callable(self.options) else self.options


@dataclass(frozen=True)
class Flow:
    name: str
    steps: tuple[Step, ...]
    finish: Callable[[Session, dict[str, Any]], Awaitable[Reply]]
    preview: Callable[[Session, dict[str, Any]], Awaitable[str]] | None = None
    publish_label: str = "button.publish"
    cancel_label: str = "button.cancel"
    on_back: Callable[[Session], Awaitable[Reply]] | None = None
    # Answers as an earlier version stored them, read as the steps expect them now; None when
    # they cannot be (the dialogue then starts afresh).
    stored: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None

    def step(self, name: str) -> Step | None:
        return next((step for step in self.steps if step.name == name), None)

    def editable(self, answers: dict[str, Any]) -> list[Step]:
        """The steps the person may answer again: labelled, and asked (their `when` holds)."""
        return [step for step in self.steps if step.label is not None and step.when(answers)]

    def next_step(self, after: str | None, answers: dict[str, Any]) -> Step | None:
        names = [step.name for step in self.steps]
        start = 0 if after is None else names.index(after) + 1
        return next((step for step in self.steps[start:] if step.when(answers)), None)


def _say(texts: Texts, key: str, values: dict[str, object]) -> str:
    """A question or a reason; with a `count` among its values its text has plural forms."""
    values = dict(values)
    count = values.pop("count", None)
    return texts(key, **values) if count is None else texts.plural(key, count, **values)


class NotAvailable(Exception):
    """A button that does not belong to the person's current question."""


class Dialogues:
    """Runs flows for people, one dialogue per person, state in the database."""

    def __init__(self, repo: DialogueRepository, database: Database, clock: Clock) -> None:
        self._repo = repo
        self._database = database
        self._clock = clock
        self._flows: dict[str, Flow] = {}

    def register(self, *flows: Flow) -> None:
        for flow in flows:
            self._flows[flow.name] = flow

    async def start(
        self, session: Session, flow_name: str, answers: dict[str, Any] | None = None
    ) -> Reply:
        flow = self._flows[flow_name]
        answers = dict(answers or {})
        step = flow.next_step(None, answers)
        assert step is not None, f"flow {flow_name} has no step to ask"
        await self._save(session, flow, step.name, answers)
        return self.ask(session, step, answers)

    async def start_edit(
        self, session: Session, flow_name: str, answers: dict[str, Any], field: str
    ) -> Reply:
        """Answer one step of a flow again (what was published), then the steps depending on
        it, then finish."""
        flow = self._flows[flow_name]
        step = flow.step(field)
        assert step is not None, f"flow {flow_name} has no step {field}"
        return await self._edit(session, flow, step, answers)

    async def current(self, tg_id: int) -> Dialogue | None:
        return await self._repo.get(tg_id)

    async def cancel(self, tg_id: int) -> bool:
        return await self._repo.clear(tg_id)

    async def reminder(self, session: Session, before: Dialogue) -> Reply | None:
        """The open question once more, after a command answered in the middle of a dialogue
        that the command left as it was (the person's next message still answers it)."""
        state = await self.current(session.user.tg_id)
        if state != before:
            return None
        resolved = await self._resolve(session, state)
        if isinstance(resolved, Reply):
            return resolved
        flow, step, answers = resolved
        question = (await self._preview(session, flow, answers) if step is None
                    else self.ask(session, step, answers))
        return Reply(session.texts("dialogue.still_open", question=Html(question.text)),
                     question.buttons)

    async def answer_text(
        self, session: Session, text: str, html: str | None = None
    ) -> Reply | None:
        """Take a typed answer; None when the person is not in a dialogue.

        A step marked `formatted` receives the answer as Telegram HTML (`Formatted`).
        """
        state = await self.current(session.user.tg_id)
        if state is None:
            return None
        resolved = await self._resolve(session, state)
        if isinstance(resolved, Reply):
            return resolved
        flow, step, answers = resolved
        if step is None:
            return Reply(session.texts("dialogue.use_preview_buttons"))
        if step.parse is None:
            return self._retry(session, step, answers, "dialogue.use_buttons")
        answer = Formatted(html or text, text) if step.formatted else text
        return await self._parsed(session, flow, step, answers, answer)

    async def _parsed(
        self, session: Session, flow: Flow, step: Step, answers: dict[str, Any], answer: str
    ) -> Reply:
        assert step.parse is not None
        try:
            value = step.parse(answer, session, answers)
            if inspect.isawaitable(value):
                value = await value
        except Invalid as invalid:
            return self._retry(session, step, answers, invalid.key, **invalid.values)
        return await self._advance(session, flow, step, answers, value)

    async def answer_pick(self, session: Session, request_id: int, tg_id: int) -> Reply:
        """A person chosen with the current step's user picker; NotAvailable if the step has
        none (an old picker, or a dialogue that moved on)."""
        state = await self.current(session.user.tg_id)
        flow = self._flows.get(state.flow) if state is not None else None
        step = flow.step(state.step) if flow is not None else None
        if step is None or step.pick_user is None or request_id != PICK_REQUEST:
            raise NotAvailable
        reply = await self.answer_text(session, str(tg_id))
        assert reply is not None
        return reply

    async def answer_button(self, session: Session, step_name: str, value: str) -> Reply:
        """Take a pressed button; NotAvailable if it is not for the current question."""
        state = await self.current(session.user.tg_id)
        if state is None or state.step != step_name:
            raise NotAvailable
        resolved = await self._resolve(session, state)
        if isinstance(resolved, Reply):
            return resolved
        flow, step, answers = resolved
        if step is None:
            return await self._decide(session, flow, answers, value)
        if value == BACK and step.back and flow.on_back is not None:
            await self.cancel(session.user.tg_id)
            return await flow.on_back(session)
        if value == SKIP and step.optional:
            return await self._advance(session, flow, step, answers, None)
        if value.startswith(PAGE) and value[len(PAGE):].isdigit():
            return self.ask(session, step, answers, page=int(value[len(PAGE):]))
        choices = {option.value for option in step.choices(session, answers)}
        if value not in choices:
            raise NotAvailable
        if step.as_typed:
            return await self._parsed(session, flow, step, answers, value)
        return await self._advance(session, flow, step, answers, value)

    def ask(self, session: Session, step: Step, answers: dict[str, Any], page: int = 0) -> Reply:
        texts = session.texts
        key = step.question(session, answers) if callable(step.question) else step.question
        text = _say(texts, key, step.question_values(session, answers))
        choices = step.choices(session, answers)
        page, shown = page_of(choices, page, CHOICES_PER_PAGE)
        rows = [[Button(option.render(texts), DialogueAnswer(step.name, option.value))]
                for option in shown]
        if turned := turning(texts, page, len(choices), lambda number: (
                DialogueAnswer(step.name, f"{PAGE}{number}")), CHOICES_PER_PAGE, "button.previous"):
            rows.append(turned)
        extra = []
        if step.optional:
            extra.append(Button(texts("button.skip"), DialogueAnswer(step.name, SKIP)))
        if step.back:
            extra.append(Button(texts("button.back"), DialogueAnswer(step.name, BACK)))
        if extra:
            rows.append(extra)
        if step.pick_user is not None:
            assert not rows, f"step {step.name}: a user picker and inline buttons"
            return Reply(text, pick_user=PickUser(texts(step.pick_user), PICK_REQUEST))
        return Reply(text, rows)

    async def _resolve(
        self, session: Session, state: Dialogue
    ) -> tuple[Flow, Step | None, dict[str, Any]] | Reply:
        """The flow and step a stored state points to, and its answers as the flow reads them
        (`Flow.stored`), or a plain reset if any of them is gone."""
        flow = self._flows.get(state.flow)
        step = None if flow is None or state.step == PREVIEW else flow.step(state.step)
        answers = state.answers if flow is None or flow.stored is None else (
            flow.stored(state.answers))
        if flow is None or (step is None and state.step != PREVIEW) or answers is None:
            await self.cancel(session.user.tg_id)
            return Reply(session.texts("dialogue.reset"))
        return flow, step, answers

    async def _advance(
        self, session: Session, flow: Flow, step: Step, answers: dict[str, Any], value: object
    ) -> Reply:
        if EDITING in answers:
            queue = [name for name in answers[EDITING] if name != step.name]
            if step.name not in answers or answers[step.name] != value:
                queue += [name for name in step.then if name not in queue]
            answers = {**answers, step.name: value, EDITING: queue}
        else:
            answers = {**answers, step.name: value}
        reply = await self._next(session, flow, step, answers)
        if step.pick_user is not None:
            reply.closing = session.texts("dialogue.picked")
        return reply

    async def _next(
        self, session: Session, flow: Flow, step: Step, answers: dict[str, Any]
    ) -> Reply:
        if EDITING in answers:
            return await self._pending(session, flow, answers)
        following = flow.next_step(step.name, answers)
        if following is not None:
            await self._save(session, flow, following.name, answers)
            return self.ask(session, following, answers)
        return await self._done(session, flow, answers)

    async def _done(self, session: Session, flow: Flow, answers: dict[str, Any]) -> Reply:
        if flow.preview is None:
            return await self._finish(session, flow, answers)
        await self._save(session, flow, PREVIEW, answers)
        return await self._preview(session, flow, answers)

    async def _preview(self, session: Session, flow: Flow, answers: dict[str, Any]) -> Reply:
        assert flow.preview is not None
        texts = session.texts
        buttons = [Button(texts(flow.publish_label), DialogueAnswer(PREVIEW, PUBLISH)),
                   Button(texts(flow.cancel_label), DialogueAnswer(PREVIEW, CANCEL))]
        if flow.editable(answers):
            buttons.insert(1, Button(texts("button.edit"), DialogueAnswer(PREVIEW, EDIT)))
        return Reply(await flow.preview(session, answers), [buttons])

    def _edit_menu(self, session: Session, flow: Flow, answers: dict[str, Any]) -> Reply:
        texts = session.texts
        fields = [Button(texts(step.label), DialogueAnswer(PREVIEW, f"{FIELD}{step.name}"))
                  for step in flow.editable(answers) if step.label is not None]
        rows = [fields[start:start + 2] for start in range(0, len(fields), 2)]
        rows.append([Button(texts("button.back"), DialogueAnswer(PREVIEW, BACK))])
        return Reply(texts("dialogue.edit.ask"), rows)

    async def _edit(
        self, session: Session, flow: Flow, step: Step, answers: dict[str, Any]
    ) -> Reply:
        answers = {**answers, EDITING: [step.name]}
        await self._save(session, flow, step.name, answers)
        return self.ask(session, step, answers)

    async def _pending(self, session: Session, flow: Flow, answers: dict[str, Any]) -> Reply:
        """The next question an edit calls for, in the flow's order: the step chosen and those
        its change queued (`then`), a step whose `when` now holds and was never answered, a
        kept answer that no longer holds (with the reason). A step whose `when` no longer
        holds loses its answer. With none left, the preview again (or the end of the flow)."""
        answers = dict(answers)
        for step in flow.steps:
            if not step.when(answers):
                answers.pop(step.name, None)
                continue
            if step.name in answers[EDITING] or step.name not in answers:
                await self._save(session, flow, step.name, answers)
                return self.ask(session, step, answers)
            if (broken := self._broken(session, step, answers)) is not None:
                await self._save(session, flow, step.name, answers)
                return self._retry(session, step, answers, broken.key, **broken.values)
        del answers[EDITING]
        return await self._done(session, flow, answers)

    @staticmethod
    def _broken(session: Session, step: Step, answers: dict[str, Any]) -> Invalid | None:
        """Why a kept answer no longer holds, or None."""
        value = answers[step.name]
        if value is None:
            return None
        if step.parse is None and value not in {
                option.value for option in step.choices(session, answers)}:
            return Invalid("dialogue.choice_gone")
        try:
            if step.check is not None:
                step.check(session, answers)
        except Invalid as invalid:
            return invalid
        return None

    async def _decide(
        self, session: Session, flow: Flow, answers: dict[str, Any], value: str
    ) -> Reply:
        if value == CANCEL:
            await self.cancel(session.user.tg_id)
            return Reply(session.texts("dialogue.cancelled"))
        if value == PUBLISH:
            return await self._finish(session, flow, answers)
        if value == BACK:
            return await self._preview(session, flow, answers)
        if value == EDIT:
            return self._edit_menu(session, flow, answers)
        step = flow.step(value[len(FIELD):]) if value.startswith(FIELD) else None
        if step is None or step not in flow.editable(answers):
            raise NotAvailable
        return await self._edit(session, flow, step, answers)

    async def _finish(self, session: Session, flow: Flow, answers: dict[str, Any]) -> Reply:
        """End the dialogue and act on it atomically: all of it is saved, or none."""
        async with self._database.transaction():
            await self.cancel(session.user.tg_id)
            return await flow.finish(session, answers)

    def _retry(
        self, session: Session, step: Step, answers: dict[str, Any], key: str, **values: object
    ) -> Reply:
        question = self.ask(session, step, answers)
        reason = _say(session.texts, key, values)
        return Reply(f"{reason}\n\n{question.text}", question.buttons)

    async def _save(self, session: Session, flow: Flow, step: str, answers: dict[str, Any]) -> None:
        dialogue = Dialogue(tg_id=session.user.tg_id, flow=flow.name, step=step, answers=answers)
        await self._repo.save(dialogue, self._clock.now())

    async def keep_answers(self, state: Dialogue, answers: dict[str, Any]) -> None:
        """Store new answers of an open dialogue at its current step (a choice that several
        presses build up)."""
        dialogue = Dialogue(tg_id=state.tg_id, flow=state.flow, step=state.step, answers=answers)
        await self._repo.save(dialogue, self._clock.now())
