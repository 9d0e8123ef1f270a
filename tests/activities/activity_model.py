"""A reference model of activity state and of who may write what, written from the issue's
words alone. It does not import acuerdo: the property test compares the two.

* The proposer writes versions (a proposal, amendments, a draft, a cancellation) and the
  after-action report; the host never amends.
* The host decides the current version only, only when it is proposed, only through the
  agency competent for the path: "mre" for the regular path, "mdn" for the emergency path,
  and the emergency path only for an urgent request.
* State: cancelled, draft, completed (a report), else the latest regular decision on the
  current version, else the latest emergency decision on it, else proposed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COMPETENT = {"regular": "mre", "emergency": "mdn"}


@dataclass(frozen=True)
class Decision:
    version: int
    outcome: str
    path: str
    order: int


@dataclass
class ActivityModel:
    emergency: bool
    lifecycles: list[str] = field(default_factory=list)  # one per version
    decisions: list[Decision] = field(default_factory=list)
    reported: bool = False

    @property
    def current(self) -> int:
        return len(self.lifecycles) - 1

    def amend(self, lifecycle: str) -> bool:
        self.lifecycles.append(lifecycle)
        return True

    def decide(self, version: int, outcome: str, path: str, agency: str, order: int) -> bool:
        """Record the decision if the rules allow it; say whether they did."""
        allowed = (
            agency == COMPETENT[path]
            and version == self.current
            and self.lifecycles[version] == "proposed"
            and (path == "regular" or self.emergency)
        )
        if allowed:
            self.decisions.append(Decision(version, outcome, path, order))
        return allowed

    def report(self) -> bool:
        self.reported = True
        return True

    def state(self) -> str:
        lifecycle = self.lifecycles[self.current]
        if lifecycle in ("cancelled", "draft"):
            return lifecycle
        if self.reported:
            return "completed"
        on_current = [d for d in self.decisions if d.version == self.current]
        for path in ("regular", "emergency"):
            taken = [d for d in on_current if d.path == path]
            if taken:
                return max(taken, key=lambda d: d.order).outcome
        return "proposed"
