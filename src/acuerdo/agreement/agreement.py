"""An adopted agreement: the validated file, its canonical hash, and look-ups over it."""

from __future__ import annotations

import copy
from pathlib import Path

from pydantic import JsonValue

from acuerdo.agreement.evaluate import evaluate
from acuerdo.agreement.facts import HOST_REF, SENDING_REF
from acuerdo.agreement.periods import Period, period_of
from acuerdo.agreement.questions import Citation, Decision, Question, Reason
from acuerdo.agreement.schema import (
    AgreementFile,
    Article,
    Basis,
    Category,
    Parameter,
    Party,
    RecordTypeDefault,
)


class Agreement:
    """One agreement file, validated, identified by the SHA-256 of its canonical JSON form.

    ``model`` is the typed file; ``document`` the parsed YAML as JSON data (what ``hash``
    is computed over, and what a node serves as "the agreement"). Two nodes exchange
    records only while their hashes agree.
    """

    def __init__(
        self,
        model: AgreementFile,
        document: JsonValue,
        hash: str,
        source_path: Path | None = None,
        source_name: str | None = None,
    ) -> None:
        self.model = model
        self.hash = hash
        self.source_path = source_path
        self.source_name = source_name or (str(source_path) if source_path else "<text>")
        self._document = document
        self._articles = {a.id: a for a in model.articles}
        self._parties = {p.code: p for p in model.parties}
        self._parameters = {p.id: p for p in model.parameters}
        self._categories = {c.id: c for c in model.coverage.categories}

    def __repr__(self) -> str:
        return f"<Agreement {self.id} {self.model.agreement.version} sha256:{self.hash[:12]}>"

    @property
    def id(self) -> str:
        return self.model.agreement.id

    @property
    def version(self) -> str:
        return self.model.agreement.version

    @property
    def document(self) -> JsonValue:
        """A copy of the parsed file as JSON data (callers cannot alter the adopted one)."""
        return copy.deepcopy(self._document)

    # --- parties -------------------------------------------------------------------------

    def party(self, code: str) -> Party:
        """The party with ISO code ``code``; KeyError if it is not a party to this agreement."""
        try:
            return self._parties[code]
        except KeyError:
            raise KeyError(f"{code!r} is not a party to agreement {self.id}") from None

    @property
    def host_party(self) -> Party:
        return next(p for p in self.model.parties if p.role == "host")

    @property
    def sending_parties(self) -> list[Party]:
        return [p for p in self.model.parties if p.role == "sending"]

    def resolve_parties(self, ref: str, sending: str | None = None) -> list[str]:
        """Party codes meant by ``ref``: ``$host``, ``$sending`` (narrowed to ``sending``
        when given), or a literal code (returned as is)."""
        if ref == HOST_REF:
            return [self.host_party.code]
        if ref == SENDING_REF:
            if sending is not None:
                return [sending]
            return [p.code for p in self.sending_parties]
        return [ref]

    # --- look-ups --------------------------------------------------------------------------

    def parameter(self, parameter_id: str) -> Parameter:
        """The parameter ``parameter_id``; KeyError if the file declares none by that id."""
        try:
            return self._parameters[parameter_id]
        except KeyError:
            raise KeyError(f"agreement {self.id} declares no parameter {parameter_id!r}") from None

    def period(self, parameter_id: str) -> Period:
        """Parameter ``parameter_id`` as a period counted in its calendar (see periods.py)."""
        return period_of(self.parameter(parameter_id), self.model.calendars)

    def article(self, article_id: str) -> Article:
        return self._articles[article_id]

    def category(self, category_id: str) -> Category | None:
        """The covered-person category ``category_id``, or None if the file does not name it."""
        return self._categories.get(category_id)

    def sharing_default(self, record_type: str, record_class: str) -> RecordTypeDefault | None:
        """The sharing default for a record: its exact type first, else its class (``*intel*``)."""
        by_type = {r.type: r for r in self.model.sharing.record_types}
        return by_type.get(record_type) or by_type.get(f"*{record_class}*")

    def citation(self, basis: Basis) -> Citation:
        """Cite ``basis`` with the title and publicity its article declares."""
        article = self._articles[basis.article]
        return Citation(
            article=article.id,
            paragraph=basis.paragraph,
            title=article.title,
            public=article.public,
            source_note=basis.note or article.source,
        )

    def reason(self, text: str, basis: Basis) -> Reason:
        return Reason(text=text, citation=self.citation(basis))

    # --- decisions -------------------------------------------------------------------------

    def decision(
        self,
        question: Question,
        outcome: str,
        reasons: list[Reason],
        details: dict[str, JsonValue] | None = None,
    ) -> Decision:
        """A decision on ``question`` under this agreement (its id, version and hash)."""
        return Decision(
            question=question.kind,
            outcome=outcome,
            details=details or {},
            reasons=reasons,
            agreement_id=self.id,
            agreement_version=self.version,
            agreement_hash=self.hash,
        )

    def evaluate(self, question: Question) -> Decision:
        """Answer ``question`` by the file's rules, with reasons citing its articles."""
        return evaluate(self, question)
