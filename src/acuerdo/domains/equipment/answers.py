"""The host's answers: an acknowledgement, a customs decision, a frequency assignment.

Each names the exact version it answers and is written only by the host's competent agency
for its provision (the agreement file says which agency), by a user holding the deciding
role. Anyone else is refused before anything is signed; so is an answer naming a version
this node does not hold, or one that is no longer current (answering version 1 says
nothing of version 2, so it is refused rather than written to no effect).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from acuerdo.domains.equipment.common import (
    CRAFT_ACK,
    CRAFT_MOVEMENT,
    CRAFT_PROVISION,
    CUSTOMS_DECISION,
    DECIDER_ROLE,
    DECLARATION,
    DUTY_FREE,
    FREQUENCY_ASSIGNMENT,
    FREQUENCY_REQUEST,
    TELECOMS,
    Seen,
    current_body,
    held_version,
    new_record,
    provision,
    role_of,
    version_key_of,
    visible_one,
)
from acuerdo.ledger.record import Draft, RecordError
from acuerdo.ledger.writes import Appended, WriteRefused
from acuerdo.node import Node
from acuerdo.users import User


@dataclass(frozen=True)
class Answer:
    """One kind of host answer: its type, the field naming the version, what it answers."""

    record_type: str
    field: str
    answers_type: str
    provision_id: str
    what: str

    def who_may(self, node: Node) -> str:
        agency = provision(node, self.provision_id).deciding_agency
        host = node.agreement.host_party.code
        return f"users with the role {DECIDER_ROLE} in the host agency {agency!r} ({host})"

    def refuse_unless_decider(self, node: Node, party: str, user: User | None) -> None:
        """Refuse (403) a writer who is not the host's competent agency for this answer."""
        p = provision(node, self.provision_id)
        if p.deciding_agency is None:
            raise RecordError(f"the adopted agreement names no agency that writes {self.what}")
        cite = node.agreement.citation(p.basis)
        rule = f"(provision {p.id}, Art. {cite.article})"
        if role_of(node, party) != "host":
            raise WriteRefused(
                "forbidden", f"{self.what} are written by the host party only {rule}", 403
            )
        if user is None or user.agency != p.deciding_agency or DECIDER_ROLE not in user.roles:
            you = (
                "the node itself"
                if user is None
                else f"{user.principal} has roles {', '.join(sorted(user.roles))} "
                f"in agency {user.agency!r}"
            )
            raise WriteRefused(
                "forbidden", f"only {self.who_may(node)} may write {self.what} {rule}; {you}", 403
            )

    def check_author(self, node: Node, draft: Draft, user: User | None) -> None:
        self.refuse_unless_decider(node, draft.owner, user)
        assert user is not None
        if draft.obj.get("agency") != user.agency:
            raise RecordError(f"$.agency must be the deciding user's agency {user.agency!r}")

    async def check(
        self, node: Node, draft: Draft, drafts: Sequence[Draft], user: User | None
    ) -> None:
        """The author check installed for `record_type` (acuerdo.node.AuthorCheck)."""
        del drafts
        self.check_author(node, draft, user)
        ref = draft.obj[self.field]
        name = f"{ref['id']} (modified {ref['modified']}, sha256 {str(ref['sha256'])[:12]}...)"
        if not str(ref["id"]).startswith(self.answers_type + "--"):
            raise RecordError(f"${self.field}.id must name an {self.answers_type}")
        async with node.engines.reader.connect() as conn:
            named = await held_version(conn, ref)
            current = await current_body(conn, str(ref["id"]))
        if named is None or current is None:
            raise RecordError(f"${self.field} names a version this node does not hold: {name}")
        if version_key_of(current) != version_key_of(ref):
            raise RecordError(
                f"${self.field} names {name}, which is no longer current (modified "
                f"{current['modified']} is): answer the current version"
            )
        if current.get("revoked", False):
            raise RecordError(f"${self.field} names {name}, which was withdrawn (revoked)")


ANSWERS = (
    Answer(CRAFT_ACK, "notification", CRAFT_MOVEMENT, CRAFT_PROVISION, "craft acknowledgements"),
    Answer(CUSTOMS_DECISION, "declaration", DECLARATION, DUTY_FREE, "customs decisions"),
    Answer(FREQUENCY_ASSIGNMENT, "request", FREQUENCY_REQUEST, TELECOMS, "frequency assignments"),
)
BY_TYPE = {a.record_type: a for a in ANSWERS}


async def write_answer(
    node: Node,
    user: User,
    answer_type: str,
    object_id: str,
    props: Mapping[str, Any] | Callable[[Seen], Mapping[str, Any]],
    version: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], Appended, Seen]:
    """Write the host's answer to a record: by default to its current version, or to the
    version the user names (refused unless that is the current one). `props` may be a
    function of the record answered (an acknowledgement records when it was received)."""
    answer = BY_TYPE[answer_type]
    # What the user may not see is absent to them, whoever they are; then who may answer.
    seen = await visible_one(node, user, object_id, answer.answers_type)
    answer.refuse_unless_decider(node, node.party, user)
    ref = {"id": seen.id, "modified": str(seen.body["modified"]), "sha256": seen.version.sha256}
    if version is not None:
        ref = {"id": seen.id, **{k: version[k] for k in ("modified", "sha256") if k in version}}
    content = props(seen) if callable(props) else props
    obj = new_record(answer_type, {answer.field: ref, **content, "agency": user.agency})
    (appended,) = await node.write([obj], user=user)
    return obj, appended, seen
