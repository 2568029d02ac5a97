"""The issue's story, through the API as a phone and a supervisor would use it: download the
work, go offline, check a business with a photo, upload everything twice, and end with
exactly one copy of each; the supervisor sees the outcome and the rectification order."""
import hashlib
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.auth.models import User
from backend.auth.tokens import issue_pair, open_family
from backend.extensions import db
from backend.inspections.models import Attachment, Check, InspectionTask, RectificationOrder
from tests.factories import PASSWORD, check_body, password_hash
from tests.test_attachments import gps_exif, jpeg

pytestmark = pytest.mark.committing


def test_an_inspectors_day_offline_and_back(app, committed_field, committed):
    field = committed_field(114.47, 37.16)
    phone, headers = app.test_client(), field["headers"]
    with app.app_context():
        task = InspectionTask(kind="routine", facility_id=field["facility"].id, cell_id=field["cell_id"],
                              region_code="130502", assignee_id=field["inspector_id"],
                              due_at=datetime.now(timezone.utc) + timedelta(days=7))
        db.session.add(task)
        supervisor = User(username=f"story-{uuid.uuid4().hex[:8]}", display_name="s", role="supervisor",
                          region_code="130502", password_hash=password_hash(PASSWORD))
        db.session.add(supervisor)
        db.session.flush()
        committed["users"].append(supervisor.id)
        office = {"Authorization": f"Bearer {issue_pair(supervisor, open_family(supervisor)).access_token}"}
        db.session.commit()
        task_id = str(task.id)

    # Morning: download the work.
    work = phone.get("/api/v1/sync", headers=headers).get_json()
    assert task_id in {t["id"] for t in work["tasks"]}
    assert str(field["facility"].id) in {f["id"] for f in work["facilities"]}

    # Offline: a non-compliant check (a key item failed) and a photo of it, both kept on the phone.
    check = check_body(field["template"], field["facility"], failed=("K1",), task_id=task_id)
    photo_id, photo = str(uuid.uuid4()), jpeg(exif=gps_exif(37.165, 114.475))

    # Back in signal: everything is sent, then sent again (the phone never saw the answers).
    for _ in range(2):
        stored = phone.post("/api/v1/checks:batch", json={"checks": [check]}, headers=headers).get_json()
        uploaded = phone.put(f"/api/v1/attachments/{photo_id}?owner_type=check&owner_id={check['id']}",
                             data=photo, content_type="image/jpeg", headers=headers)
        assert uploaded.status_code in (200, 201)
    assert stored["results"][0]["status"] == "replayed"

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Check).where(Check.id == check["id"])) == 1
        assert db.session.scalar(select(func.count()).select_from(Attachment)
                                 .where(Attachment.owner_id == check["id"])) == 1
        sha = hashlib.sha256(photo).hexdigest()
        assert len(list(Path(app.config["MEDIA_ROOT"]).rglob(sha))) == 1
        assert db.session.scalar(select(func.count()).select_from(RectificationOrder)
                                 .where(RectificationOrder.check_id == check["id"])) == 1

    # The next sync: the routine task is done and a follow-up (复查) is due at the deadline.
    later = phone.get("/api/v1/sync", query_string={"cursor": work["cursor"]}, headers=headers).get_json()
    statuses = {t["kind"]: t["status"] for t in later["tasks"]}
    assert statuses == {"routine": "done", "follow_up": "open"}

    # The office: the outcome, the photo and the order.
    seen = phone.get(f"/api/v1/checks/{check['id']}", headers=office).get_json()
    assert seen["outcome"] == "non_compliant"
    orders = phone.get("/api/v1/rectification-orders?status=open", headers=office).get_json()
    assert seen["rectification_order"]["id"] in {order["id"] for order in orders}
    meta = phone.get(f"/api/v1/attachments/{photo_id}/meta", headers=office).get_json()
    assert meta["exif_location"]["coordinates"] == pytest.approx([114.475, 37.165], abs=1e-4)
    assert phone.get(f"/api/v1/attachments/{photo_id}", headers=office).data == photo
