"""A video submitted over HTTP is checked in the background; its task carries the findings."""

from __future__ import annotations

from tests.polling import wait_for
from tests.server.conftest import upload


def test_uploaded_task_carries_its_media_check(served, media_variants, media):
    api = served()
    with api.client() as client:
        damaged = upload(client, media_variants["damaged"], config={"backend": "fake"})
        good = upload(client, media("videos/mmaction2_demo_skeleton.mp4"),
                      config={"backend": "fake"})
        assert damaged.status_code == good.status_code == 201, damaged.text

        def checked(task_id: str) -> dict | None:
            return client.get(f"/tasks/{task_id}").json()["media_check"]

        found = wait_for(lambda: checked(damaged.json()["id"]), what="the damaged file's check")
        assert found["ok"] is False and found["damaged_from_frame"] is not None
        assert found["frames"] < 205 and "damaged from frame" in found["problems"][0]
        found = wait_for(lambda: checked(good.json()["id"]), what="the good file's check")
        assert found["ok"] is True and found["frames"] == 72 and found["vfr"] is True
        listed = {t["id"]: t for t in client.get("/tasks").json()["items"]}
        assert listed[good.json()["id"]]["media_check"] == found
