"""A large upload goes to disk as it arrives: the server's memory does not grow with it."""

import time

import httpx

from tests.server.conftest import sse_events, upload

PADDING_MB = 192


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        line = next(line for line in fh if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def test_large_upload_is_streamed_to_disk(serve_process, store, media):
    process, url, token = serve_process()
    video = media("videos/mmpose_demo.mp4").read_bytes()
    boundary = "ambientposeboundary"
    chunk = b"\0" * (1 << 20)

    def body():
        # A real video followed by zero padding (FFmpeg ignores it), sent in 1 MB chunks.
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
               f"filename=\"long.mp4\"\r\nContent-Type: video/mp4\r\n\r\n").encode() + video
        for _ in range(PADDING_MB):
            yield chunk
        yield (f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"config\"\r\n\r\n"
               f'{{"backend": "fake"}}\r\n--{boundary}--\r\n').encode()

    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                      timeout=120) as client:
        # A small upload first: its content probe loads FFmpeg, which is not the upload's cost.
        assert upload(client, media("videos/mmpose_demo.mp4")).status_code == 201
        before = peak_rss_mb(process.pid)
        started = time.monotonic()
        response = client.post("/tasks", content=body(), headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        elapsed = time.monotonic() - started
        assert response.status_code == 201, response.text
        growth = peak_rss_mb(process.pid) - before
        size_mb = PADDING_MB + len(video) / 2**20
        print(f"\nupload of {size_mb:.0f} MB: {elapsed:.2f} s ({size_mb / elapsed:.0f} MB/s), "
              f"server peak memory +{growth:.1f} MB")
        assert growth < 16
        task_id = response.json()["id"]
        assert sse_events(client, task_id)[-1]["event"] == "finished"
    repo, artefacts = store
    stored = artefacts.upload_dir(task_id) / "long.mp4"
    assert stored.stat().st_size == len(video) + PADDING_MB * 2**20
    assert repo.get(task_id).filename == "long.mp4"
