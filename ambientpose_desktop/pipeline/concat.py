"""Videos joined end to end without re-encoding (packets copied, timestamps moved on)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path


def concat_videos(parts: Sequence[Path], final: Path) -> bool:
    """One MP4 video from parts encoded with the same settings: each part's packets follow the
    one before, their timestamps moved on, nothing re-encoded, so every frame decodes exactly
    as it did in its part. ``False`` (and nothing at ``final``) when they do not fit together
    (other size or codec parameters). For the scrub proxy of a resumed run (the frames before
    its checkpoint and after) and of a chunked one, and for long test videos (a clip looped)."""
    import av

    from ambientpose_desktop.core.atomic import atomic_path

    with contextlib.ExitStack() as stack:
        containers = [stack.enter_context(av.open(str(part))) for part in parts]
        streams = [container.streams.video[0] for container in containers]
        a = streams[0]
        if any(b.codec_context.extradata != a.codec_context.extradata
               or (a.width, a.height, a.time_base) != (b.width, b.height, b.time_base)
               for b in streams[1:]):
            return False
        with atomic_path(final, suffix=".mp4") as tmp, av.open(str(tmp), "w", format="mp4") as out:
            stream = out.add_stream_from_template(a)
            offset = 0
            for source, container in zip(streams, containers, strict=True):
                last = 0
                for packet in container.demux(source):
                    if packet.dts is None:
                        continue
                    last = max(last, packet.pts + (packet.duration or 0))
                    packet.pts += offset
                    packet.dts += offset
                    packet.stream = stream
                    out.mux(packet)
                offset += last
    return True
