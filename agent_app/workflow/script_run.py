"""One call's script: the variant shown, the path the agent takes through its steps, the
answers given and the disclosures read to the caller.

A :class:`ScriptRun` holds the script document it was started with, so a newer version
arriving by sync applies from the next call only. The path is the list of steps reached
from the first one; each step left records how it was left (an answer's index, or its
``next``). Back and forward move along that path; a different answer at an earlier step
cuts off what followed. A disclosure step must be marked as read before the agent moves
on. Merge fields (``{{patient.given_name}}``) are filled only from the values the call's
identity gate allows at that moment (:func:`merge_values`); any other field shows its
label. Plain Python: the script panel shows a run and the desk saves its snapshot.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from agent_app.workflow.identity_gate import IdentityStatus

MAX_VISITS = 500
"""A script may loop ("repeat the question"): the path stops growing here."""
SNAPSHOT_FORMAT = 1
DEFAULT_LANGUAGE = "en"

_MERGE = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\s*\}\}")


class ScriptError(ValueError):
    """A script document (or a snapshot) that cannot be read; the message names no text."""


class StepKind(StrEnum):
    SAY = "say"
    DISCLOSURE = "disclosure"


@dataclass(frozen=True)
class Branch:
    answer: str
    next: str


@dataclass(frozen=True)
class Step:
    id: str
    text: str
    branches: tuple[Branch, ...] = ()
    next: str | None = None
    kind: StepKind = StepKind.SAY

    @property
    def disclosure(self) -> bool:
        return self.kind is StepKind.DISCLOSURE

    @property
    def ends(self) -> bool:
        """The script ends here: no answer and no ``next`` leads on."""
        return not self.branches and self.next is None

    def targets(self) -> tuple[str, ...]:
        return tuple(b.next for b in self.branches) + ((self.next,) if self.next else ())

    def as_document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "branches": [{"answer": b.answer, "next": b.next} for b in self.branches],
            "next": self.next,
            "kind": self.kind.value,
        }


@dataclass(frozen=True)
class Variant:
    """The steps of one language, the first being where the script starts."""

    language: str
    steps: Mapping[str, Step]

    @property
    def first(self) -> str:
        return next(iter(self.steps))

    def step(self, step_id: str) -> Step:
        return self.steps[step_id]


@dataclass(frozen=True)
class ScriptDocument:
    """A script as the cache holds it (the server's ScriptOut)."""

    id: str
    name: str
    version: int
    variants: Mapping[str, Variant]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.variants)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], *, complete: bool = True) -> ScriptDocument:
        """Read a cached script; ``complete=False`` allows steps that lead outside the
        document (a snapshot keeps only the steps on its path)."""
        try:
            script_id, name, version = str(doc["id"]), str(doc["name"]), int(doc["version"])
            raw_variants = doc["variants"]
            if not isinstance(raw_variants, Mapping) or not raw_variants:
                raise ScriptError("a script needs at least one variant")
            variants = {
                str(lang): _variant(str(lang), raw, complete) for lang, raw in raw_variants.items()
            }
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ScriptError):
                raise
            raise ScriptError(f"malformed script document ({type(exc).__name__})") from None
        return cls(script_id, name, version, variants)


def _variant(language: str, raw: Any, complete: bool) -> Variant:
    steps: dict[str, Step] = {}
    for item in raw["steps"]:
        kind = StepKind.DISCLOSURE if item.get("kind") == "disclosure" else StepKind.SAY
        branches = tuple(
            Branch(str(b["answer"]), str(b["next"])) for b in item.get("branches") or ()
        )
        nxt = item.get("next")
        step = Step(
            str(item["id"]), str(item["text"]), branches, None if nxt is None else str(nxt), kind
        )
        if step.id in steps:
            raise ScriptError(f"variant {language}: step ids must be unique")
        steps[step.id] = step
    if not steps:
        raise ScriptError(f"variant {language} has no steps")
    if complete:
        for step in steps.values():
            if any(target not in steps for target in step.targets()):
                raise ScriptError(f"variant {language}: step {step.id} leads to an unknown step")
    return Variant(language, steps)


def choose_language(
    languages: Sequence[str], preferred: str | None, default: str | None = None
) -> str | None:
    """The variant for a patient who prefers ``preferred``: theirs when the script has it
    (``es-MX`` finds ``es`` and the other way round), else ``default``, else English,
    else the first. None when ``languages`` is empty."""
    if not languages:
        return None
    for wanted in (preferred, default, DEFAULT_LANGUAGE):
        found = _same_language(languages, wanted)
        if found is not None:
            return found
    return languages[0]


def _same_language(languages: Sequence[str], wanted: str | None) -> str | None:
    if not wanted:
        return None
    wanted = wanted.casefold()
    for lang in languages:
        if lang.casefold() == wanted:
            return lang
    primary = wanted.split("-")[0]
    for lang in languages:
        if lang.casefold().split("-")[0] == primary:
            return lang
    return None


# -- merge fields -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeField:
    """A ``{{key}}`` in a step's text, with its value when the call allows it now."""

    key: str
    value: str | None = None

    @property
    def label(self) -> str:
        """The field's name in words (English; the panel translates the known ones)."""
        return FIELD_LABELS.get(self.key) or _words(self.key)


Segment = str | MergeField

FIELD_LABELS: dict[str, str] = {
    "agent.display_name": "your name",
    "campaign.name": "campaign",
    "patient.given_name": "first name",
    "patient.family_name": "last name",
    "patient.full_name": "full name",
    "patient.birth_date": "date of birth",
    "patient.mrn": "MRN",
    "patient.phone": "phone number",
    "patient.care_program": "care program",
    "appointment.time": "appointment time",
}
GREETING_FIELDS = frozenset({"patient.given_name"})
"""Shown as soon as the call is linked to a patient, as the card shows it: the agent asks
for the patient by first name before the caller proves who they are."""


def _words(key: str) -> str:
    tail = key.split(".", 1)[-1] if key.startswith(("patient.", "agent.")) else key
    return tail.replace(".", " ").replace("_", " ")


class CardRecord(Protocol):
    """What merge fields read from a patient (``PatientRecord`` has these)."""

    @property
    def id(self) -> str: ...
    @property
    def given_name(self) -> str: ...
    @property
    def family_name(self) -> str: ...
    @property
    def birth_date(self) -> str: ...
    @property
    def mrn(self) -> str: ...
    @property
    def care_program(self) -> str | None: ...


def merge_values(
    *,
    agent_name: str = "",
    campaign_name: str = "",
    patient: CardRecord | None = None,
    linked_patient_id: str | None = None,
    identity: IdentityStatus | None = None,
    phone: str = "",
) -> dict[str, str]:
    """The merge values a call allows now: the agent's and the campaign's always; the
    patient's first name once the call is linked to that patient; the rest of the record
    only while the identity gate shows it (verified, or revealed for a reason). Before that
    a field is left out, so it shows its label, never a masked value."""
    values: dict[str, str] = {}
    if agent_name:
        values["agent.display_name"] = agent_name
    if campaign_name:
        values["campaign.name"] = campaign_name
    if patient is None or linked_patient_id != patient.id:
        return values
    if patient.given_name:
        values["patient.given_name"] = patient.given_name
    if identity is None or not identity.sensitive_visible:
        return values
    full = f"{patient.given_name} {patient.family_name}".strip()
    sensitive = {
        "patient.family_name": patient.family_name,
        "patient.full_name": full,
        "patient.birth_date": patient.birth_date,
        "patient.mrn": patient.mrn,
        "patient.phone": phone,
        "patient.care_program": patient.care_program or "",
    }
    values.update({key: value for key, value in sensitive.items() if value})
    return values


def merge(text: str, values: Mapping[str, str]) -> tuple[Segment, ...]:
    """``text`` cut into plain text and merge fields (filled from ``values`` when there)."""
    segments: list[Segment] = []
    at = 0
    for found in _MERGE.finditer(text):
        if found.start() > at:
            segments.append(text[at : found.start()])
        key = found.group(1)
        segments.append(MergeField(key, values.get(key)))
        at = found.end()
    if at < len(text):
        segments.append(text[at:])
    return tuple(segments)


def plain_text(
    segments: Iterable[Segment], label: Callable[[MergeField], str] | None = None
) -> str:
    """The segments as one string; an empty field shows ``[label]`` (``label(field)``
    gives the words, the field's own label by default)."""
    parts = []
    for segment in segments:
        if isinstance(segment, str):
            parts.append(segment)
        elif segment.value is not None:
            parts.append(segment.value)
        else:
            parts.append(f"[{label(segment) if label else segment.label}]")
    return "".join(parts)


# -- the run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """A step reached; ``choice`` is the answer it was left by (None: left by ``next``,
    or not left yet)."""

    step: str
    choice: int | None = None


@dataclass(frozen=True)
class Progress:
    position: int
    """The step shown, 1 for the first on the path."""
    done: int
    """Steps completed: every step left, and the last one once the script is finished."""
    on_path: int
    """Steps on the path so far (branches not taken are not counted)."""
    ahead: int | None
    """The fewest steps still to come after the path's last one (0 at an end); None when
    no end can be reached from there."""
    complete: bool


@dataclass
class _State:
    language: str
    path: list[Visit]
    position: int = 0
    complete: bool = False
    read: set[str] = field(default_factory=set)


class ScriptRun:
    """The script of one call; see the module docstring. Intents return False when they
    do not apply now (an unread disclosure, no step to go back to)."""

    def __init__(
        self,
        document: ScriptDocument,
        *,
        preferred: str | None = None,
        default_language: str | None = None,
        campaign_id: str | None = None,
    ) -> None:
        self.document = document
        self.campaign_id = campaign_id
        self.preferred = preferred
        self.default_language = default_language
        self.switched = False
        """The agent chose the language: a patient's preference learnt later changes nothing."""
        self.frozen = False
        """Restored onto a script version the cache no longer has: the path can be looked
        at, not changed."""
        self.touched = False
        language = choose_language(document.languages, preferred, default_language)
        assert language is not None  # a document has at least one variant
        self._s = _State(language, [Visit(document.variants[language].first)])

    def __repr__(self) -> str:
        return (
            f"ScriptRun(script_id={self.script_id!r}, version={self.version}, "
            f"language={self.language!r}, visits={len(self._s.path)})"
        )

    # -- reading ---------------------------------------------------------------------------

    @property
    def script_id(self) -> str:
        return self.document.id

    @property
    def name(self) -> str:
        return self.document.name

    @property
    def version(self) -> int:
        return self.document.version

    @property
    def language(self) -> str:
        return self._s.language

    @property
    def languages(self) -> tuple[str, ...]:
        return self.document.languages

    @property
    def preferred_missing(self) -> bool:
        """The patient prefers a language this script has no version in."""
        return bool(self.preferred) and _same_language(self.languages, self.preferred) is None

    @property
    def shown_instead(self) -> bool:
        """The variant shown is not the patient's language (missing, or the agent's choice):
        the panel says so."""
        if not self.preferred:
            return False
        return _same_language([self.language], self.preferred) is None

    @property
    def variant(self) -> Variant:
        return self.document.variants[self._s.language]

    @property
    def path(self) -> tuple[Visit, ...]:
        return tuple(self._s.path)

    @property
    def position(self) -> int:
        """Index in :attr:`path` of the step shown."""
        return self._s.position

    @property
    def complete(self) -> bool:
        return self._s.complete

    @property
    def current(self) -> Step:
        return self.variant.step(self._s.path[self._s.position].step)

    @property
    def chosen(self) -> int | None:
        """The answer the step shown was left by, if the agent came back to it."""
        visit = self._s.path[self._s.position]
        return visit.choice if self._s.position < len(self._s.path) - 1 else None

    def is_read(self, step_id: str) -> bool:
        return step_id in self._s.read

    @property
    def needs_reading(self) -> bool:
        """The step shown is a disclosure not yet marked as read: the agent cannot move on."""
        step = self.current
        return step.disclosure and step.id not in self._s.read

    def can_back(self) -> bool:
        return self._s.position > 0

    def can_forward(self) -> bool:
        s = self._s
        if self.needs_reading:
            return False
        if s.position < len(s.path) - 1:
            return True
        if self.frozen:
            return False
        step = self.current
        if step.ends:
            return not s.complete
        return step.next is not None and len(s.path) < MAX_VISITS

    def can_answer(self, index: int) -> bool:
        step = self.current
        return (
            not self.frozen
            and 0 <= index < len(step.branches)
            and not self.needs_reading
            and (self._s.position < len(self._s.path) - 1 or len(self._s.path) < MAX_VISITS)
        )

    def can_unmark(self) -> bool:
        """A disclosure may be unmarked (a slip of the key) until the agent moved on past it."""
        s = self._s
        step = self.current
        left_before = any(v.step == step.id for v in s.path[: s.position])
        return (
            not self.frozen
            and step.id in s.read
            and s.position == len(s.path) - 1
            and not s.complete
            and not left_before
        )

    def progress(self) -> Progress:
        s = self._s
        done = len(s.path) - 1 + (1 if s.complete else 0)
        return Progress(s.position + 1, done, len(s.path), self._ahead(), s.complete)

    def _ahead(self) -> int | None:
        if self.frozen:
            return None
        start = self._s.path[-1].step
        steps = self.variant.steps
        distance = {start: 0}
        queue = deque([start])
        while queue:
            step = steps[queue.popleft()]
            if step.ends:
                return distance[step.id]
            for target in step.targets():
                if target not in distance:
                    distance[target] = distance[step.id] + 1
                    queue.append(target)
        return None

    def text(self, values: Mapping[str, str] | None = None) -> tuple[Segment, ...]:
        """The step shown, its merge fields filled from ``values`` (see :func:`merge_values`)."""
        return merge(self.current.text, values or {})

    # -- intents ---------------------------------------------------------------------------

    def answer(self, index: int) -> bool:
        """The caller's answer ``index`` (0-based) to the step shown: on to its branch's step."""
        if not self.can_answer(index):
            return False
        s = self._s
        visit = s.path[s.position]
        if s.position < len(s.path) - 1 and visit.choice == index:
            s.position += 1  # the same answer again: the rest of the path still holds
        else:
            target = self.current.branches[index].next
            del s.path[s.position :]
            s.path += [Visit(visit.step, index), Visit(target)]
            s.position += 1
            s.complete = False
        self.touched = True
        return True

    def forward(self) -> bool:
        """On along the path; past its end by the step's ``next``; at an end, finish."""
        if not self.can_forward():
            return False
        s = self._s
        if s.position < len(s.path) - 1:
            s.position += 1
        elif self.current.ends:
            s.complete = True
        else:
            nxt = self.current.next
            assert nxt is not None
            s.path.append(Visit(nxt))
            s.position += 1
        self.touched = True
        return True

    def back(self) -> bool:
        if not self.can_back():
            return False
        self._s.position -= 1
        self.touched = True
        return True

    def mark_read(self, read: bool = True) -> bool:
        """The disclosure shown was read to the caller (or, ``False``, it was not after all)."""
        step = self.current
        if not step.disclosure or self.frozen:
            return False
        if read:
            if step.id in self._s.read:
                return False
            self._s.read.add(step.id)
        else:
            if not self.can_unmark():
                return False
            self._s.read.discard(step.id)
        self.touched = True
        return True

    def switch_language(self, language: str) -> bool:
        """Show the script's ``language`` version. The path is kept as far as the new
        version has the same steps, leading to the same places."""
        if self.frozen or language not in self.document.variants or language == self.language:
            return False
        self._move_to(language)
        self.switched = True
        return True

    def prefer(self, language: str | None) -> bool:
        """The patient's preferred language became known (the patient was chosen): a run
        the agent has not used yet follows it."""
        if language == self.preferred:
            return False
        self.preferred = language
        if self.touched or self.switched or self.frozen:
            return False
        wanted = choose_language(self.languages, language, self.default_language)
        if wanted is None or wanted == self.language:
            return False
        self._move_to(wanted)
        return True

    def _move_to(self, language: str) -> None:
        s, variant = self._s, self.document.variants[language]
        path = _fitting_path(s.path, variant, s.read)
        if not path:
            path = [Visit(variant.first)]
        complete = s.complete and len(path) == len(s.path)
        self._s = _State(language, path, min(s.position, len(path) - 1), complete, s.read)

    # -- records ---------------------------------------------------------------------------

    def as_record(self) -> dict[str, Any]:
        """What the call record keeps: the version used, the answers given, in order, and
        the disclosures read."""
        answers = []
        for visit in self._s.path:
            if visit.choice is not None:
                answer = self.variant.step(visit.step).branches[visit.choice].answer
                answers.append({"step": visit.step, "answer": answer})
        return {
            "script_id": self.script_id,
            "version": self.version,
            "language": self.language,
            "answers": answers,
            "disclosures": dict.fromkeys(sorted(self._s.read), True),
        }

    def snapshot(self) -> dict[str, Any]:
        """Everything needed to rebuild the run, with the steps on its path (so that the
        record survives a newer version replacing this one in the cache)."""
        s = self._s
        on_path = dict.fromkeys(v.step for v in s.path)
        return {
            "format": SNAPSHOT_FORMAT,
            "script_id": self.script_id,
            "name": self.name,
            "version": self.version,
            "campaign_id": self.campaign_id,
            "language": s.language,
            "preferred": self.preferred,
            "default_language": self.default_language,
            "switched": self.switched,
            "touched": self.touched,
            "path": [[v.step, v.choice] for v in s.path],
            "position": s.position,
            "complete": s.complete,
            "read": sorted(s.read),
            "steps": [self.variant.step(step_id).as_document() for step_id in on_path],
        }

    @classmethod
    def restore(cls, snapshot: Mapping[str, Any], document: Mapping[str, Any] | None) -> ScriptRun:
        """The run a :meth:`snapshot` was taken of. ``document``: the script as the cache
        has it now; when it is not the snapshot's version, the run keeps the steps it had
        and is :attr:`frozen`."""
        try:
            if snapshot.get("format") != SNAPSHOT_FORMAT:
                raise ScriptError("unknown script snapshot format")
            script_id, version = str(snapshot["script_id"]), int(snapshot["version"])
            language = str(snapshot["language"])
            path = [Visit(str(step), None if c is None else int(c)) for step, c in snapshot["path"]]
            position = int(snapshot["position"])
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ScriptError):
                raise
            raise ScriptError(f"malformed script snapshot ({type(exc).__name__})") from None
        parsed: ScriptDocument | None = None
        if document is not None:
            try:
                parsed = ScriptDocument.from_document(document)
            except ScriptError:
                parsed = None
        frozen = (
            parsed is None
            or parsed.id != script_id
            or parsed.version != version
            or language not in parsed.variants
        )
        if frozen:
            kept = {"steps": snapshot.get("steps") or []}
            parsed = ScriptDocument.from_document(
                {
                    "id": script_id,
                    "name": snapshot.get("name", ""),
                    "version": version,
                    "variants": {language: kept},
                },
                complete=False,
            )
        assert parsed is not None
        run = cls(
            parsed,
            preferred=snapshot.get("preferred"),
            default_language=snapshot.get("default_language"),
            campaign_id=snapshot.get("campaign_id"),
        )
        variant = parsed.variants[language]
        read = {str(r) for r in snapshot.get("read") or ()}
        fitting = _fitting_path(path, variant, read) or [Visit(variant.first)]
        run._s = _State(
            language,
            fitting,
            max(0, min(position, len(fitting) - 1)),
            bool(snapshot.get("complete")) and len(fitting) == len(path),
            read,
        )
        run.switched = bool(snapshot.get("switched"))
        run.touched = bool(snapshot.get("touched"))
        run.frozen = frozen
        return run


def _fitting_path(path: Sequence[Visit], variant: Variant, read: set[str]) -> list[Visit]:
    """The longest start of ``path`` that ``variant`` can walk the same way: the same
    steps, each left by the same answer to the same step; a disclosure left unread ends it."""
    kept: list[Visit] = []
    if not path or path[0].step != variant.first:
        return kept
    for index, visit in enumerate(path):
        step = variant.steps.get(visit.step)
        if step is None:
            break
        last = index == len(path) - 1
        if last:
            kept.append(Visit(visit.step))
            break
        following = path[index + 1].step
        if visit.choice is None:
            fits = step.next == following
        else:
            fits = 0 <= visit.choice < len(step.branches) and (
                step.branches[visit.choice].next == following
            )
        if not fits or (step.disclosure and step.id not in read):
            kept.append(Visit(visit.step))
            break
        kept.append(visit)
    return kept
