import pytest

from backend.common.actor import Actor
from backend.common.domain_errors import RuleViolation
from backend.facilities.models import KINDS
from backend.inspections import templates
from seeds.checklists import load_checklists
from tests.helpers import assert_problem

DRAFT = {"code": "routine-test", "title_zh": "测试检查表", "title_en": "Test checklist",
         "facility_kinds": ["restaurant"], "threshold": 2,
         "items": [{"code": "T01", "text_zh": "许可证公示", "text_en": "Licence displayed", "key_item": True},
                   {"code": "T02", "text_zh": "场所清洁", "text_en": "Premises clean"}]}


def draft(client, headers, **overrides):
    return client.post("/api/v1/checklists", json={**DRAFT, **overrides}, headers=headers)


def test_admin_drafts_and_publishes(client, admin, auth_headers):
    headers = auth_headers(admin)
    created = draft(client, headers).get_json()
    assert (created["version"], created["status"]) == (1, "draft")
    assert [item["key_item"] for item in created["items"]] == [True, False]
    published = client.post(f"/api/v1/checklists/{created['id']}/publish", headers=headers).get_json()
    assert published["status"] == "published" and published["published_at"]


def test_published_version_is_immutable(client, admin, auth_headers):
    headers = auth_headers(admin)
    created = draft(client, headers).get_json()
    client.post(f"/api/v1/checklists/{created['id']}/publish", headers=headers)
    url = f"/api/v1/checklists/{created['id']}"
    etag = client.get(url, headers=headers).headers["ETag"]
    response = client.patch(url, json={"threshold": 5}, headers={**headers, "If-Match": etag})
    assert_problem(response, 409, "template_published")
    assert_problem(client.post(f"{url}/publish", headers=headers), 409, "template_published")


def test_next_draft_is_the_next_version(client, admin, auth_headers):
    headers = auth_headers(admin)
    first = draft(client, headers).get_json()
    assert_problem(draft(client, headers), 409, "draft_exists")
    client.post(f"/api/v1/checklists/{first['id']}/publish", headers=headers)
    assert draft(client, headers).get_json()["version"] == 2


def test_draft_can_change_with_if_match(client, admin, auth_headers):
    headers = auth_headers(admin)
    created = draft(client, headers).get_json()
    url = f"/api/v1/checklists/{created['id']}"
    etag = client.get(url, headers=headers).headers["ETag"]
    items = [{"code": "X1", "text_zh": "新项", "text_en": "New item", "key_item": False}]
    changed = client.patch(url, json={"items": items}, headers={**headers, "If-Match": etag}).get_json()
    assert [item["code"] for item in changed["items"]] == ["X1"]


def test_duplicate_item_codes_are_refused(client, admin, auth_headers):
    items = DRAFT["items"] + [{**DRAFT["items"][0]}]
    assert_problem(draft(client, auth_headers(admin), items=items), 422, "duplicate_item_codes")


def test_empty_checklist_cannot_be_published(client, admin, auth_headers):
    headers = auth_headers(admin)
    created = draft(client, headers, items=[]).get_json()
    assert_problem(client.post(f"/api/v1/checklists/{created['id']}/publish", headers=headers), 422, "no_items")


def test_only_admins_edit(client, supervisor, auth_headers):
    assert_problem(draft(client, auth_headers(supervisor)), 403)


def test_inspectors_see_published_versions_only(client, admin, inspector, auth_headers):
    draft(client, auth_headers(admin), code="routine-hidden")
    load_checklists()
    listing = client.get("/api/v1/checklists?facility_kind=restaurant", headers=auth_headers(inspector)).get_json()
    assert [row["code"] for row in listing] == ["routine-catering"]


def test_unknown_kind_in_filter_is_422(client, inspector, auth_headers):
    assert_problem(client.get("/api/v1/checklists?facility_kind=spaceport", headers=auth_headers(inspector)), 422)


def test_a_check_naming_an_unpublished_version_is_refused(admin):
    load_checklists()
    assert templates.published_version("routine-catering", 1).code == "routine-catering"
    with pytest.raises(RuleViolation) as refused:
        templates.published_version("routine-catering", 9)
    assert refused.value.code == "unknown_template_version"


def test_seeded_checklists_cover_every_kind_with_key_items():
    load_checklists()
    published = templates.templates_query(Actor.system(), status="published")
    from backend.extensions import db

    rows = db.session.scalars(published).all()
    assert {kind for row in rows for kind in row.facility_kinds} == set(KINDS)
    assert all(any(item.key_item for item in row.items) and not all(item.key_item for item in row.items)
               for row in rows)
    assert load_checklists() == 0  # idempotent
