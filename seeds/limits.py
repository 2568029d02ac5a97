"""An example limits table (analyte × food category), each row citing its standard.

ILLUSTRATIVE: the values below are written from memory of GB 2763-2021 (pesticide
residues), GB 2762-2022 (contaminants) and GB 29921-2021 (pathogens) and have not been
checked against the published texts here (no network). An administrator must verify
each row against the standard before real use (see seeds/README.md).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from backend.common.actor import Actor
from backend.extensions import db
from backend.sampling.limits import create_limit
from backend.sampling.models import Limit

IN_FORCE = date(2021, 9, 3)
# analyte, food category, max (None: must not be detected), unit, LOD, standard
LIMITS = [
    ("chlorpyrifos", "leafy vegetables", "0.02", "mg/kg", None, "GB 2763-2021"),
    ("omethoate", "leafy vegetables", "0.02", "mg/kg", None, "GB 2763-2021"),
    ("procymidone", "leafy vegetables", "5", "mg/kg", None, "GB 2763-2021"),
    ("carbofuran", "vegetables", "0.02", "mg/kg", None, "GB 2763-2021"),
    ("lead", "vegetables", "0.1", "mg/kg", None, "GB 2762-2022"),
    ("cadmium", "leafy vegetables", "0.2", "mg/kg", None, "GB 2762-2022"),
    ("lead", "pickled vegetables", "0.3", "mg/kg", None, "GB 2762-2022"),
    ("aflatoxin B1", "peanut oil", "20", "µg/kg", None, "GB 2761-2017"),
    ("clenbuterol", "pork", None, "µg/kg", "0.5", "农业农村部公告第250号 (prohibited: must not be detected)"),
    ("Salmonella", "ready-to-eat foods", None, "/25g", "1", "GB 29921-2021 (n=5, c=0: not detected in 25 g)"),
]


def load_limits() -> int:
    created = 0
    for analyte, category, max_value, unit, lod, standard in LIMITS:
        if db.session.scalar(select(Limit.id).where(Limit.analyte == analyte, Limit.food_category == category)):
            continue
        create_limit(Actor.system(), analyte=analyte, food_category=category, unit=unit, standard=standard,
                     valid_from=IN_FORCE, max_value=Decimal(max_value) if max_value else None,
                     must_not_detect=max_value is None, lod=Decimal(lod) if lod else None)
        created += 1
    return created
