"""Two supervisors act on one recall at the same moment: only one transition wins."""
import threading
import uuid

import pytest

from backend.auth.models import User
from backend.auth.tokens import issue_pair, open_family
from backend.common.actor import Actor
from backend.extensions import db
from backend.recalls.service import create_recall
from backend.traceability import catalogue
from tests.factories import PASSWORD, password_hash


@pytest.mark.committing
def test_concurrent_transitions_cannot_both_win(app, committed_field, committed):
    field = committed_field(114.47, 37.10)
    with app.app_context():
        system = Actor.system()
        product = catalogue.create_product(system, name="月饼", category="pastry")
        lot = catalogue.create_lot(system, lot_code="RACE-R", product_id=product.id,
                                   facility_id=field["facility"].id, unit="box")
        recall_id = create_recall(system, producer_facility_id=field["facility"].id, lot_ids=[lot.id],
                                  reason="race").id
        tokens = []
        for _ in range(2):
            boss = User(username=f"boss-{uuid.uuid4().hex[:8]}", display_name="s", role="supervisor",
                        region_code="130502", password_hash=password_hash(PASSWORD))
            db.session.add(boss)
            db.session.flush()
            committed["users"].append(boss.id)
            tokens.append(issue_pair(boss, open_family(boss)).access_token)
        db.session.commit()
    url = f"/api/v1/recalls/{recall_id}/transitions"
    bodies = [{"action": "initiate", "level": 2, "kind": "ordered", "notice": "n"},
              {"action": "reject", "note": "not needed"}]
    barrier, answers = threading.Barrier(2), {}

    def act(index):
        client = app.test_client()
        barrier.wait()
        answers[index] = client.post(url, json=bodies[index], headers={"Authorization": f"Bearer {tokens[index]}"})

    threads = [threading.Thread(target=act, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer.status_code for answer in answers.values())
    assert statuses == [200, 409]
    loser = next(answer for answer in answers.values() if answer.status_code == 409).get_json()
    assert loser["code"] == "illegal_transition"
