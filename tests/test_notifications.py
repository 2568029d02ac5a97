"""The outbox, `flask worker` and in-app notifications (DESIGN.md §1, §5, §8)."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from backend.common.outbox import OutboxEvent, emit
from backend.extensions import db
from backend.notifications import delivery, worker
from backend.notifications.models import Notification

NOON = datetime(2026, 11, 25, 4, 0, tzinfo=timezone.utc)


@pytest.fixture
def frozen(monkeypatch):
    """The clock stopped at NOON; `frozen(delta)` moves it."""
    def move(delta=timedelta(0)):
        monkeypatch.setattr("backend.common.clock.now", lambda: NOON + delta)
    move()
    return move


def _inbox(user):
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)).all()


def _pending(topic):
    return db.session.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic)).all()


def test_event_notifies_the_supervisors_covering_its_region_once(make_user):
    county, city = make_user("supervisor", "130502"), make_user("supervisor", "130500")
    others = [make_user("supervisor", "130503"), make_user("supervisor", "130502", is_active=False),
              make_user("inspector", "130502")]
    emit("task.overdue", {"region_code": "130502", "kind": "routine", "facility_name": "老王面馆"})
    worker.process_batch()
    assert [n.title for n in _inbox(county)] == [n.title for n in _inbox(city)] == ["检查任务逾期"]
    assert "老王面馆的日常检查任务已逾期" in _inbox(county)[0].body
    assert not any(_inbox(user) for user in others)


def test_processing_again_delivers_nothing_more(make_user):
    supervisor = make_user("supervisor", "130502")
    emit("sample.unqualified", {"region_code": "130502", "sample_no": "S-1"})
    worker.process_batch()
    assert worker.process_batch() == 0
    assert len(_inbox(supervisor)) == 1


def test_redelivered_event_notifies_nobody_twice(make_user):
    supervisor = make_user("supervisor", "130502")
    emit("sample.unqualified", {"region_code": "130502", "sample_no": "S-2"})
    worker.process_batch()
    db.session.execute(text("UPDATE outbox SET processed_at = NULL WHERE topic = 'sample.unqualified'"))
    worker.process_batch()
    [event] = _pending("sample.unqualified")
    assert (event.processed_at is not None, event.attempts, len(_inbox(supervisor))) == (True, 0, 1)


def test_unknown_topic_is_marked_processed_with_an_error():
    emit("no.such.topic", {"x": 1})
    worker.process_batch()
    [event] = _pending("no.such.topic")
    assert event.processed_at is not None and event.last_error == "no handler"


def test_failing_event_is_retried_later_and_does_not_hold_up_others(make_user, frozen, monkeypatch):
    supervisor = make_user("supervisor", "130502")
    monkeypatch.setitem(delivery.TOPICS, "test.broken", (lambda payload: 1 / 0, ("t",) * 4))
    emit("test.broken", {})
    emit("sample.unqualified", {"region_code": "130502"})
    worker.process_batch()
    [broken] = _pending("test.broken")
    assert (broken.processed_at, broken.attempts, broken.available_at) == (None, 1, NOON + timedelta(seconds=30))
    assert "ZeroDivisionError" in broken.last_error and len(_inbox(supervisor)) == 1


def test_enterprise_users_of_the_producer_hear_of_its_recall(make_user, make_cell, make_facility):
    make_cell()
    producer = make_facility(kind="producer")
    operator = make_user("enterprise", "130502", facility_id=producer.id)
    emit("recall.initiated", {"region_code": producer.region_code, "producer_facility_id": producer.id, "level": 1,
                              "number": "ZH-130502-2026-0001", "start_deadline": NOON, "complete_deadline": NOON})
    worker.process_batch()
    [notice] = _inbox(operator)
    assert notice.title == "1级召回已启动：ZH-130502-2026-0001" and "2026-11-25 12:00" in notice.body


def test_transition_message_names_the_new_status(make_user):
    supervisor = make_user("supervisor", "130500")
    emit("recall.transition", {"region_code": "130502", "action": "start", "status": "in_progress"})
    worker.process_batch()
    assert _inbox(supervisor)[0].body == "召回 （未编号） 现为「实施中」。"


def test_overdue_task_is_escalated_once_to_the_region_supervisor(make_user, make_cell, make_facility, frozen):
    from backend.inspections.models import InspectionTask

    supervisor, facility = make_user("supervisor", "130502"), (make_cell(), make_facility())[1]
    task = InspectionTask(kind="routine", facility_id=facility.id, region_code=facility.region_code,
                          due_at=NOON + timedelta(hours=1))
    db.session.add(task)
    db.session.flush()
    assert worker.escalate_overdue() == 0
    frozen(timedelta(hours=2))
    assert worker.escalate_overdue() == 1
    assert worker.escalate_overdue() == 0
    worker.process_batch()
    db.session.refresh(task)
    assert task.escalated_at == NOON + timedelta(hours=2)
    assert [(n.topic, n.payload["task_id"]) for n in _inbox(supervisor)] == [("task.overdue", str(task.id))]


def test_recall_is_escalated_once_per_missed_deadline(make_cell, make_facility, frozen):
    from backend.recalls.models import Recall

    make_cell()
    recall = Recall(status="initiated", level=1, trigger="manual", region_code="130502", reason="test",
                    producer_facility_id=make_facility(kind="producer").id, number="ZH-TEST-1",
                    start_deadline=NOON + timedelta(days=1), complete_deadline=NOON + timedelta(days=14))
    db.session.add(recall)
    db.session.flush()
    stages = []
    for days in (0, 2, 3, 15, 16):
        frozen(timedelta(days=days))
        worker.escalate_overdue()
        stages = [event.payload["stage"] for event in _pending("recall.overdue")]
    assert stages == ["start", "complete"]


# ---------------------------------------------------------------- the API

def _notify(user, title="t", read_at=None):
    note = Notification(user_id=user.id, topic="test", title=title, body="b", payload={}, read_at=read_at)
    db.session.add(note)
    db.session.flush()
    return note


def test_list_shows_only_the_callers_notifications(client, make_user, auth_headers):
    me, other = make_user("supervisor"), make_user("supervisor")
    _notify(me, "mine"), _notify(other, "theirs")
    response = client.get("/api/v1/notifications", headers=auth_headers(me))
    assert [n["title"] for n in response.json] == ["mine"]


def test_unread_filter_and_mark_read(client, make_user, auth_headers):
    me = make_user("inspector")
    note, headers = _notify(me), auth_headers(me)
    _notify(me, "old", read_at=NOON)
    first = client.post(f"/api/v1/notifications/{note.id}/read", headers=headers)
    again = client.post(f"/api/v1/notifications/{note.id}/read", headers=headers)
    assert first.status_code == again.status_code == 200 and first.json["read_at"] == again.json["read_at"]
    assert client.get("/api/v1/notifications?unread=true", headers=headers).json == []


def test_marking_another_users_notification_is_not_found(client, make_user, auth_headers):
    note = _notify(make_user("supervisor"))
    response = client.post(f"/api/v1/notifications/{note.id}/read", headers=auth_headers(make_user("supervisor")))
    assert response.status_code == 404 and note.read_at is None


# --- next year's calendar -------------------------------------------------------------------

def _calendar_inbox(user):
    return [n for n in _inbox(user) if n.topic == "calendar.year_unknown"]


def _remind_and_deliver():
    queued = worker.remind_unknown_calendar()
    worker.process_batch()
    return queued


def _first_unknown_year() -> int:
    """2027 with chinese-calendar 1.11.0 (it covers 2004-2026); later with a newer package."""
    from backend.calendar import service as workdays

    return workdays.package_years().stop


def test_admins_hear_once_from_1_december_that_next_year_is_unknown(make_user, time_machine):
    year = _first_unknown_year()  # 2027: so the clock runs 2026-11-30, 2026-12-01, 2026-12-20
    admin, other_admin, supervisor = make_user("admin", "130500"), make_user("admin", "130502"), \
        make_user("supervisor", "130500")
    time_machine.move_to(datetime(year - 1, 11, 30, 23, 0, tzinfo=delivery.LOCAL), tick=False)
    assert _remind_and_deliver() == 0 and not _calendar_inbox(admin)
    time_machine.move_to(datetime(year - 1, 11, 30, 16, 30, tzinfo=timezone.utc), tick=False)  # 1 Dec 00:30 local
    assert _remind_and_deliver() == 1
    assert _remind_and_deliver() == 0  # the second round (and any other worker) queues nothing more
    time_machine.move_to(datetime(year - 1, 12, 20, 10, 0, tzinfo=delivery.LOCAL), tick=False)
    assert _remind_and_deliver() == 0
    for user in (admin, other_admin):
        [notice] = _calendar_inbox(user)
        assert notice.title == f"{year}年法定节假日尚未录入" and "/calendar/days" in notice.body
        assert "upgrade the calendar package" in notice.payload["body_en"]
    assert not _calendar_inbox(supervisor)


def test_no_reminder_when_next_year_is_known(make_user, time_machine):
    from backend.calendar import service as workdays
    from backend.common.actor import Actor

    admin, year = make_user("admin", "130500"), _first_unknown_year()
    time_machine.move_to(datetime(year - 2, 12, 1, 10, 0, tzinfo=delivery.LOCAL), tick=False)
    assert _remind_and_deliver() == 0  # next year is the package's
    time_machine.move_to(datetime(year - 1, 12, 1, 10, 0, tzinfo=delivery.LOCAL), tick=False)
    workdays.set_day(Actor.system(), datetime(year, 1, 1).date(), kind="holiday", name="元旦")  # an admin's entry
    assert workdays.year_source(year).source == "admin"
    assert _remind_and_deliver() == 0 and not _calendar_inbox(admin)
