"""Who hears of an outbox event, what they read, and through which channels.

Each topic names its recipients and its message (zh-CN; English kept in the payload).
Channels are pluggable: CHANNELS maps a name to a callable(event, user_ids, message);
the in-app channel is idempotent on (outbox_id, user_id), so an event delivered twice
(a worker killed after delivering, before committing) notifies nobody twice. Another
channel (SMS, WeChat) added here must be idempotent on the outbox id the same way.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from backend.auth.models import User
from backend.calendar.service import LOCAL
from backend.common import clock
from backend.common.outbox import OutboxEvent
from backend.common.region_codes import is_within
from backend.extensions import db
from backend.notifications.models import Notification


class UnknownTopic(LookupError):
    """No handler for the event's topic: it is marked processed with this error."""


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    title_en: str
    body_en: str


Channel = Callable[[OutboxEvent, list[uuid.UUID], Message], None]
Recipients = Callable[[dict], set[uuid.UUID]]


def in_app(event: OutboxEvent, user_ids: list[uuid.UUID], message: Message) -> None:
    """Notification rows; a redelivered event inserts nothing new."""
    if not user_ids:
        return
    moment = clock.now()
    payload = {**event.payload, "title_en": message.title_en, "body_en": message.body_en}
    rows = [{"id": uuid.uuid4(), "user_id": user_id, "outbox_id": event.id, "topic": event.topic,
             "title": message.title[:200], "body": message.body, "payload": payload, "created_at": moment}
            for user_id in user_ids]
    db.session.execute(insert(Notification).values(rows)
                       .on_conflict_do_nothing(index_elements=["outbox_id", "user_id"]))


CHANNELS: dict[str, Channel] = {"in_app": in_app}


# ---------------------------------------------------------------- recipients

def region_supervisors(region_code: str | None) -> set[uuid.UUID]:
    """Active supervisors whose region covers `region_code` (a city's cover its counties)."""
    if not region_code:
        return set()
    candidates = {region_code[:n] for n in (12, 9, 6) if len(region_code) >= n}
    candidates |= {region_code[:4] + "00", region_code[:2] + "0000"}
    rows = db.session.execute(select(User.id, User.region_code).where(
        User.role == "supervisor", User.is_active, User.region_code.in_(candidates))).all()
    return {user_id for user_id, code in rows if is_within(region_code, code)}


def facility_users(facility_id: str | None) -> set[uuid.UUID]:
    """Active enterprise accounts acting for the facility."""
    if not facility_id:
        return set()
    return set(db.session.scalars(select(User.id).where(
        User.role == "enterprise", User.is_active, User.facility_id == uuid.UUID(str(facility_id)))))


def admins(_payload: dict | None = None) -> set[uuid.UUID]:
    """Every active administrator (they keep the working-day calendar)."""
    return set(db.session.scalars(select(User.id).where(User.role == "admin", User.is_active)))


def _supervisors(payload: dict) -> set[uuid.UUID]:
    return region_supervisors(payload.get("region_code"))


def _supervisors_and_producer(payload: dict) -> set[uuid.UUID]:
    return _supervisors(payload) | facility_users(payload.get("producer_facility_id"))


def _assignee(payload: dict) -> set[uuid.UUID]:
    if not payload.get("assignee_id"):
        return set()
    return set(db.session.scalars(select(User.id).where(
        User.id == uuid.UUID(str(payload["assignee_id"])), User.is_active)))


# ---------------------------------------------------------------- messages

STATUS_ZH = {"proposed": "建议召回", "initiated": "已启动", "in_progress": "实施中", "completed": "已完成",
             "closed": "已结案", "rejected": "已驳回", "cancelled": "已撤销"}
KIND_ZH = {"routine": "日常检查", "follow_up": "复查", "sampling": "抽样", "recall_verification": "召回核查",
           "complaint": "投诉核查"}
STAGE = {"start": ("开始召回并通知", "started"), "complete": ("完成召回", "completed"),
         # sampling timelines (食品安全抽样检验管理办法)
         "delivery": ("送达检验机构", "delivered to the lab"), "report": ("出具检验结论", "reported on by the lab"),
         "retest_decision": ("对复检申请作出决定", "given a decision on its re-test request")}

# topic → (recipients, (title zh-CN, body zh-CN, title en, body en)). Fields: the payload's
# keys (times shown in Asia/Shanghai), a missing one shown as "—", and those _Fields derives.
TOPICS: dict[str, tuple[Recipients, tuple[str, str, str, str]]] = {
    "recall.proposed": (_supervisors, (
        "召回建议待审核", "有一项召回建议待审核：{reason}",
        "Recall proposed", "A recall is proposed for review: {reason}")),
    "recall.initiated": (_supervisors_and_producer, (
        "{level}级召回已启动：{recall_zh}", "召回 {recall_zh} 已启动{deadlines_zh}。",
        "Level {level} recall initiated: {recall_en}", "Recall {recall_en} was initiated{deadlines_en}.")),
    "recall.transition": (_supervisors_and_producer, (
        "召回状态变更：{recall_zh}", "召回 {recall_zh} 现为「{status_zh}」。",
        "Recall {recall_en} updated", "Recall {recall_en} is now {status}.")),
    "recall.overdue": (_supervisors, (
        "召回逾期：{recall_zh}", "召回 {recall_zh} 未在期限（{deadline}）前{stage_zh}。",
        "Recall overdue: {recall_en}", "Recall {recall_en} was not {stage_en} by its deadline ({deadline}).")),
    "task.assigned": (_assignee, (
        "新的检查任务", "{facility_name}：{kind_zh}任务，截止 {due_at}。",
        "New inspection task", "{facility_name}: {kind} task, due {due_at}.")),
    "task.overdue": (_supervisors, (
        "检查任务逾期", "{facility_name}的{kind_zh}任务已逾期（截止 {due_at}）。",
        "Inspection task overdue", "The {kind} task at {facility_name} is overdue (due {due_at}).")),
    "sample.overdue": (_supervisors, (
        "抽样逾期：{sample_no}", "样品 {sample_no}（{product_name}）未在期限（{deadline}）前{stage_zh}。",
        "Sample overdue: {sample_no}",
        "Sample {sample_no} ({product_name}) was not {stage_en} by its deadline ({deadline}).")),
    "calendar.year_unknown": (admins, (
        "{year}年法定节假日尚未录入",
        "{year}年的法定节假日和调休安排尚不可知：请在 /calendar/days 录入（依国务院办公厅通知），"
        "或升级日历软件包（chinese-calendar）。在此之前，该年只有周末计为休息日。",
        "{year} statutory holidays not known", "Next year's ({year}) statutory holidays are not known: enter them at "
        "/calendar/days (from the State Council's notice) or upgrade the calendar package (chinese-calendar). "
        "Until then only weekends count as days off in {year}.")),
    "sample.unqualified": (_supervisors, (
        "抽检不合格：{sample_no}", "{facility_name}抽检的{product_name}（样品 {sample_no}）检验不合格。",
        "Unqualified sample: {sample_no}", "{product_name} sampled at {facility_name} (sample {sample_no}) failed.")),
}


def _display(key: str, value):
    """Times in Asia/Shanghai, to the minute; nothing known shown as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and (key.endswith("_at") or key.endswith("deadline")):
        try:
            return datetime.fromisoformat(value).astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    return value


class _Fields(dict):
    def __init__(self, payload: dict):
        super().__init__({key: _display(key, value) for key, value in payload.items()})
        status = payload.get("to_status") or payload.get("status")
        self["status"] = status or "—"
        self["status_zh"] = STATUS_ZH.get(status, status or "—")
        self["kind_zh"] = KIND_ZH.get(payload.get("kind"), payload.get("kind") or "")
        self["stage_zh"], self["stage_en"] = STAGE.get(payload.get("stage"), ("处理", "handled"))
        self["recall_zh"] = payload.get("number") or "（未编号）"
        self["recall_en"] = payload.get("number") or "(not yet numbered)"
        start, complete = (self.get(key) for key in ("start_deadline", "complete_deadline"))
        timed = bool(payload.get("start_deadline") and payload.get("complete_deadline"))
        self["deadlines_zh"] = f"：{start} 前开始召回并通知，{complete} 前完成" if timed else ""
        self["deadlines_en"] = f": start and notify by {start}, complete by {complete}" if timed else ""

    def __missing__(self, key):
        return "—"


def deliver(event: OutboxEvent) -> int:
    """Send `event` through every channel; the number of recipients. UnknownTopic if no handler."""
    route = TOPICS.get(event.topic)
    if route is None:
        raise UnknownTopic(event.topic)
    recipients, texts = route
    fields = _Fields(event.payload or {})
    message = Message(*(text.format_map(fields) for text in texts))
    user_ids = sorted(recipients(event.payload or {}))
    for channel in CHANNELS.values():
        channel(event, user_ids, message)
    return len(user_ids)
