"""Replays a context's JetStream stream from its first event with an ephemeral ordered consumer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import msgspec
import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from fitshop_common.events import Envelope, decode_envelope, stream_for
from order_view.application.ports import EventLog

log = logging.getLogger(__name__)


class JetStreamLog(EventLog):
    """No durable state on the server: the ordered consumer vanishes when we unsubscribe."""

    def __init__(self, js: JetStreamContext, *, idle_timeout: float = 10.0) -> None:
        self._js = js
        self._idle_timeout = idle_timeout

    async def replay(self, context: str) -> AsyncIterator[Envelope]:
        stream = stream_for(context)
        try:
            info = await self._js.stream_info(stream)
        except nats.js.errors.NotFoundError:
            return  # nothing was ever published
        last = info.state.last_seq
        if info.state.messages == 0:
            return
        sub = await self._js.subscribe(f"fitshop.{context}.>", stream=stream, ordered_consumer=True,
                                       deliver_policy=DeliverPolicy.ALL)
        try:
            while True:
                msg = await sub.next_msg(timeout=self._idle_timeout)
                meta = msg.metadata
                try:
                    event: Envelope | None = decode_envelope(msg.data)
                except (msgspec.DecodeError, msgspec.ValidationError):
                    log.warning("replay skipped an undecodable message",
                                extra={"stream": stream, "stream_seq": meta.sequence.stream})
                    event = None
                if event is not None:
                    yield event
                # Stop at the end as of the call; later events reach the new keyspace live.
                if meta.sequence.stream >= last or meta.num_pending == 0:
                    return
        finally:
            await sub.unsubscribe()
