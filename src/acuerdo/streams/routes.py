"""GET /api/v1/stream: a user's live stream of new and revoked versions, as server-sent events.

Resumable with the standard Last-Event-ID header (or `last_event_id`); without one it starts
at the newest version. See docs/taxii.md ("Live streams").
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from acuerdo.api.auth import CurrentUser, NodeDep
from acuerdo.api.problems import Problem
from acuerdo.ledger.reader import CursorError
from acuerdo.ledger.stix import TYPE_RE
from acuerdo.streams.events import event_stream, scope_of, stream_cursors, tail
from acuerdo.streams.signal import CommitSignal

router = APIRouter(prefix="/api/v1", tags=["streams"])


def commit_signal(request: Request) -> CommitSignal:
    """The app's commit signal, registered with the node's writer on first use."""
    state = request.app.state
    signal: CommitSignal | None = getattr(state, "commit_signal", None)
    if signal is None or getattr(state, "commit_signal_node", None) is not state.node:
        signal = CommitSignal()
        state.node.context.commit_listeners.append(signal.notify)
        state.commit_signal, state.commit_signal_node = signal, state.node
    return signal


@router.get("/stream", response_class=StreamingResponse)
async def stream(
    request: Request,
    node: NodeDep,
    user: CurrentUser,
    type: Annotated[list[str] | None, Query(description="only these record types")] = None,
    last_event_id: Annotated[str | None, Query(description="resume after this event")] = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    replay: Annotated[bool, Query(description="start from the first event, not now")] = False,
    follow: Annotated[bool, Query(description="false: send what is there, then end")] = True,
) -> StreamingResponse:
    """Server-sent events of every version released to you on the stream channel.

    `follow=false` ends the stream once it has caught up (a catch-up read); `replay=true`
    starts from the first event instead of now.
    """
    types = sorted(set(type or []))
    if len(types) > 20 or any(not TYPE_RE.match(t) for t in types):
        raise Problem(422, "type filters: at most 20 STIX type names", code="validation")
    resume = last_event_id_header or last_event_id
    if resume:
        try:
            after = stream_cursors(node).open(resume, scope_of(user))
        except CursorError:
            raise Problem(
                400, "Last-Event-ID is not an event id of your stream", code="invalid-cursor"
            ) from None
    else:
        after = 0 if replay else await tail(node)
    body = event_stream(
        node, user, commit_signal(request), after=after, types=types,
        heartbeat=node.settings.stream_heartbeat_seconds, follow=follow,
    )  # fmt: skip
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
