"""Reading what reached JetStream, and waiting for it, in catalog tests."""

from __future__ import annotations

from nats.js import JetStreamContext


async def stream_messages(js: JetStreamContext, stream: str = "CATALOG") -> list[tuple[str, bytes]]:
    """(Nats-Msg-Id, payload) of every message stored in `stream`, in stream order."""
    info = await js.stream_info(stream)
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        if info.state.messages == 0:
            break
        msg = await js.get_msg(stream, seq)
        found.append(((msg.headers or {})["Nats-Msg-Id"], msg.data or b""))
    return found
