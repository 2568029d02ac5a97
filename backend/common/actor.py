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

    @classmethod
    def system(cls, region_code: str = "100000") -> "Actor":
        """The service itself (CLI, seeds, worker)."""
        return cls(id=None, username="system", role="system", region_code=region_code)

    @property
    def is_system(self) -> bool:
        return self.role == "system"

    def covers_region(self, code: str) -> bool:
        """Is region `code` inside this actor's region (DESIGN.md §2 scope)?"""
        return self.is_system or is_within(code, self.region_code)
