"""Who is acting: passed explicitly to every service function."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.common.region_codes import is_within

STAFF_ROLES = ("admin", "supervisor", "inspector", "lab")
# Roles a supervisor may create and manage inside its own region.
SUPERVISED_ROLES = ("inspector", "lab", "enterprise")


@dataclass(frozen=True)
class Actor:
    id: uuid.UUID | None
    username: str
    role: str
    region_code: str
    # An enterprise user's facility (None for staff): what "own" means in every policy.
    facility_id: uuid.UUID | None = None

    @classmethod
    def system(cls, region_code: str = "100000") -> "Actor":
        """The service itself (CLI, seeds, worker)."""
        return cls(id=None, username="system", role="system", region_code=region_code)

    @property
    def is_system(self) -> bool:
        return self.role == "system"

    @property
    def is_admin(self) -> bool:
        """An administrator or the service itself: scope everywhere."""
        return self.role == "admin" or self.is_system

    @property
    def is_staff(self) -> bool:
        """Supervision staff (admin, supervisor, inspector, lab), not a business."""
        return self.role in STAFF_ROLES

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def covers_region(self, code: str) -> bool:
        """Is region `code` inside this actor's region (DESIGN.md §2 scope)?"""
        return self.is_system or is_within(code, self.region_code)
