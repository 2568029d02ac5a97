"""GS1 identifiers and units as EPCIS 2.0 writes them (GS1 EPC Tag Data Standard, Digital Link).

EPC URIs split a GTIN or GLN at the company prefix: `urn:epc:id:sgtin:0614141.107346.2017`
is GTIN 1 0614141 07346 + check digit (the item reference's first digit is the indicator,
which goes first), serial 2017; `urn:epc:id:sgln:0614141.07346.1234` is GLN 0614141 07346
+ check digit with extension 1234 ("0": none). Digital Link URIs (`https://id.gs1.org/01/
{gtin}/10/{lot}`, `/414/{gln}`) carry the whole key instead, so they can be written without
knowing the company prefix's length — which is why the export uses them. Identifiers of our
own (`urn:foodgrid:lot:<uuid>`, `urn:foodgrid:facility:<uuid>`) name lots without a GTIN and
facilities without a GLN; EPCIS 2.0 accepts any URI as an identifier.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from backend.facilities.identifiers import gs1_check_digit

LOT_PREFIX = "urn:foodgrid:lot:"
FACILITY_PREFIX = "urn:foodgrid:facility:"
DIGITAL_LINK = "https://id.gs1.org"
EVENT_PREFIX = "urn:foodgrid:event:"  # our event_ids are the senders' strings; EPCIS wants URIs
URI = re.compile(r"^[A-Za-z_][A-Za-z0-9+.\-_]*:\S*$")  # a scheme or prefix, then no spaces ("_:b1" too)
_EPC = re.compile(r"^urn:epc:(id|class|idpat):(sgtin|lgtin|sgln|pgln|[a-z0-9]+):(.*)$", re.IGNORECASE)
_DL_ITEM = re.compile(r"/01/(\d{8}|\d{12,14})(?:/22/[^/]+)?(?:/10/([^/]+))?(?:/21/([^/]+))?/?$")
_DL_PLACE = re.compile(r"/(414|417)/(\d{13})(?:/254/([^/]+))?/?$")

# UN/ECE Recommendation 20 codes (EPCIS `uom`) and the unit names lots are registered with.
UNIT_ALIASES = {
    "KGM": ("kg", "千克", "公斤"), "GRM": ("g", "克"), "TNE": ("t", "吨"), "LTR": ("l", "升"),
    "MLT": ("ml", "毫升"), "EA": ("each", "ea", "piece", "pcs", "pc", "件", "个", "只", "H87"),
    "BX": ("box", "箱", "盒"), "BG": ("bag", "袋"), "BO": ("bottle", "瓶"), "CT": ("carton",),
    "PK": ("pack", "包"), "DZN": ("dozen", "打"),
}
_CANONICAL = {name.lower(): code for code, names in UNIT_ALIASES.items() for name in (code, *names)}
EACH = "EA"  # an EPC counts one; a quantity without `uom` counts instances (EPCIS 2.0 §7.3.3.3)


class BadIdentifier(ValueError):
    """A malformed identifier (wrong length, wrong check digit): the event is refused."""


class NotALot(BadIdentifier):
    """A well-formed identifier that names no lot (a pattern, a pallet's SSCC): the line is skipped."""


@dataclass(frozen=True)
class Item:
    """A trade item: its GTIN-14 and lot, or a serial (instance level) with the lot unknown."""

    gtin: str | None = None
    lot_code: str | None = None
    serial: str | None = None
    lot_id: uuid.UUID | None = None  # our own identifier


@dataclass(frozen=True)
class Place:
    gln: str | None = None
    extension: str | None = None
    facility_id: uuid.UUID | None = None


def _gs1_key(company_prefix: str, reference: str, *, indicator_first: bool) -> str:
    digits = company_prefix + reference
    if not digits.isdigit() or len(digits) != (13 if indicator_first else 12):
        raise BadIdentifier(f"{company_prefix}.{reference} is not a company prefix and reference of the right length")
    if indicator_first:  # SGTIN/LGTIN: the item reference starts with the indicator digit
        digits = reference[0] + company_prefix + reference[1:]
    return digits + gs1_check_digit(digits)


def _checked(key: str, identifier: str) -> str:
    if gs1_check_digit(key[:-1]) != key[-1]:
        raise BadIdentifier(f"{identifier}: the check digit should be {gs1_check_digit(key[:-1])}")
    return key


def parse_item(identifier: str) -> Item:
    """An EPC (SGTIN), an EPC class (LGTIN), a Digital Link URI or one of our lot URNs."""
    if identifier.startswith(LOT_PREFIX):
        return Item(lot_id=_uuid(identifier[len(LOT_PREFIX):], identifier))
    match = _EPC.match(identifier)
    if match:
        level, scheme, rest = match.group(1).lower(), match.group(2).lower(), match.group(3)
        if level == "idpat":
            raise NotALot(f"{identifier} is a pattern: it names no lot")
        if (level, scheme) not in (("id", "sgtin"), ("class", "lgtin")):
            raise NotALot(f"{identifier} is not a trade item with a lot (SGTIN or LGTIN)")
        parts = rest.split(".", 2)
        if len(parts) != 3 or not parts[2]:
            raise BadIdentifier(f"{identifier} should be CompanyPrefix.ItemReference.Serial (or .Lot)")
        gtin = _gs1_key(parts[0], parts[1], indicator_first=True)
        return Item(gtin=gtin, serial=unquote(parts[2])) if scheme == "sgtin" else Item(gtin=gtin,
                                                                                         lot_code=unquote(parts[2]))
    match = _DL_ITEM.search(urlsplit(identifier).path) if identifier.lower().startswith(("http://", "https://")) \
        else None
    if match:
        gtin = _checked(match.group(1).zfill(14), identifier)
        lot, serial = (unquote(value) if value else None for value in match.group(2, 3))
        return Item(gtin=gtin, lot_code=lot, serial=serial)
    raise NotALot(f"{identifier} is not a GTIN-based identifier FoodGrid understands")


def parse_place(identifier: str) -> Place:
    """An SGLN (location), a PGLN (party), a Digital Link location/party or one of our facility URNs."""
    if identifier.startswith(FACILITY_PREFIX):
        return Place(facility_id=_uuid(identifier[len(FACILITY_PREFIX):], identifier))
    match = _EPC.match(identifier)
    if match and match.group(1).lower() == "id" and match.group(2).lower() in ("sgln", "pgln"):
        parts = match.group(3).split(".")
        if match.group(2).lower() == "sgln" and len(parts) == 3:
            return Place(gln=_gs1_key(parts[0], parts[1], indicator_first=False),
                         extension=None if parts[2] == "0" else unquote(parts[2]))
        if match.group(2).lower() == "pgln" and len(parts) == 2:
            return Place(gln=_gs1_key(parts[0], parts[1], indicator_first=False))
        raise BadIdentifier(f"{identifier} should be CompanyPrefix.Reference[.Extension]")
    match = _DL_PLACE.search(urlsplit(identifier).path) if identifier.lower().startswith(("http://", "https://")) \
        else None
    if match:
        return Place(gln=_checked(match.group(2), identifier), extension=match.group(3) and unquote(match.group(3)))
    raise BadIdentifier(f"{identifier} is not a GLN-based location or party (SGLN, PGLN, Digital Link)")


def _uuid(value: str, identifier: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise BadIdentifier(f"{identifier} does not end in a UUID") from None


def event_uri(event_id: str) -> str:
    return event_id if URI.match(event_id) and not event_id.startswith(EVENT_PREFIX) \
        else EVENT_PREFIX + quote(event_id, safe="")


def event_id_of(event_uri: str) -> str:
    return unquote(event_uri[len(EVENT_PREFIX):]) if event_uri.startswith(EVENT_PREFIX) else event_uri


def item_uri(gtin: str | None, lot_code: str, lot_id) -> str:
    """A lot as an EPCIS class identifier: Digital Link GTIN + lot, else our lot URN."""
    if gtin and len(lot_code) <= 20 and lot_code.isascii() and lot_code.isprintable():  # AI (10): ≤ 20 characters
        return f"{DIGITAL_LINK}/01/{gtin.zfill(14)}/10/{quote(lot_code, safe='')}"
    return f"{LOT_PREFIX}{lot_id}"


def place_uri(gln: str | None, facility_id) -> str:
    return f"{DIGITAL_LINK}/414/{gln}" if gln else f"{FACILITY_PREFIX}{facility_id}"


def same_unit(ours: str, uom: str) -> bool:
    """A lot's unit and an EPCIS `uom` name the same unit (kg ≡ KGM)."""
    return ours == uom or _CANONICAL.get(ours.lower(), ours) == _CANONICAL.get(uom.lower(), uom)


def uom_of(unit: str) -> str | None:
    """The UN/ECE code for a lot's unit, or None when there is none we know."""
    code = _CANONICAL.get(unit.lower())
    return code if code else (unit if re.fullmatch(r"[A-Z0-9]{2,3}", unit) else None)
