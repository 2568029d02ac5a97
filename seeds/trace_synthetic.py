"""A synthetic supply chain for the trace benchmark: 200,000 lots and 1,000,000 trace events.

Written in bulk with COPY, bypassing `record_event`: a million events through the service one
by one (a statement per holding, an audit row each) would take hours, longer than everything
being measured. The rows are the ones `record_event` writes for the same events — the event,
one `trace_event_lots` line per lot named, holdings as the sum of the deltas, and the edges
(ship (L,F)→(L,T), receive (L,S)→(L,F), transform each input (Li,F) × output (Lo,F)) — and the
chain is mass-balanced, so no violation would have been recorded either. No audit rows.

The shape: farms harvest lots; a share goes to producers, which transform 2–4 of them into a
new lot; producers also make lots of their own. Both go to markets chosen by a Zipf law (a few
big wholesale markets receive from thousands of suppliers), then on to retailers and
restaurants, where some is sold. Workshops sell straight to outlets. One hub lot, the flour
`HUB_CODE`, is shipped by the biggest wholesale market to 1,300 outlets and to 5 bakeries
that turn it into bread lots for 60 outlets each: its forward trace reaches over 1,000
facilities. Everything follows from `seed` and the facilities present (taken in name order).

Needs the synthetic city (`seeds.synthetic.load_synthetic`); writes in the caller's
transaction, never commits.
"""
from __future__ import annotations

import hashlib
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import click
import numpy as np
from sqlalchemy import select, text

from backend.extensions import db
from backend.facilities.models import Facility
from backend.traceability.models import TraceEvent
from seeds.synthetic import _analyze, _no_statement_timeout

HUB_CODE = "SYN-HUB-FLOUR"
HUB_OUTLETS, HUB_BAKERIES, BAKERY_OUTLETS = 1300, 5, 60
START = datetime(2026, 5, 1, tzinfo=UTC)  # fixed, so the same seed gives the same rows
DAYS = 150
CATEGORIES = ("vegetables", "fruit", "grain", "meat", "aquatic", "eggs", "dairy", "bakery", "condiments")
TABLES = ("products", "lots", "trace_events", "trace_event_lots", "trace_edges", "holdings")


class _Chain:
    """Events as `record_event` would store them, kept as small tuples of indices until COPY."""

    def __init__(self) -> None:
        self.lots: list[tuple] = []  # (code, product, producer, grams, minute)
        self.events: list[tuple] = []  # (type, minute, facility, other)
        self.lines: list[tuple] = []  # (event, lot, role, grams)
        self.edges: list[tuple] = []  # (event, from_lot, from_facility, to_lot, to_facility, grams)
        self.held: dict[tuple[int, int], list[int]] = {}  # (lot, facility) → [grams, minute]

    def lot(self, code: str, product: int, producer: int, grams: int, minute: int) -> int:
        self.lots.append((code, product, producer, grams, minute))
        return len(self.lots) - 1

    def _event(self, type: str, minute: int, facility: int, other: int | None = None) -> int:
        self.events.append((type, minute, facility, other))
        return len(self.events) - 1

    def _hold(self, lot: int, facility: int, grams: int, minute: int) -> None:
        holding = self.held.setdefault((lot, facility), [0, minute])
        holding[0] += grams
        holding[1] = max(holding[1], minute)

    def originate(self, lot: int, type: str) -> None:
        """harvest / produce: the lot appears at its producer."""
        _, _, producer, grams, minute = self.lots[lot]
        self.lines.append((self._event(type, minute, producer), lot, "subject", grams))
        self._hold(lot, producer, grams, minute)

    def move(self, lot: int, source: int, dest: int, grams: int, minute: int) -> int:
        """A shipment recorded by both sides (ship, then receive 3 h later): two identical edges."""
        for type, at, here, there, delta in (("ship", minute, source, dest, -grams),
                                              ("receive", minute + 180, dest, source, grams)):
            event = self._event(type, at, here, there)
            self.lines.append((event, lot, "subject", grams))
            self.edges.append((event, lot, source, lot, dest, grams))
            self._hold(lot, here, delta, at)
        return minute + 180

    def transform(self, facility: int, inputs: list[tuple[int, int]], outputs: list[tuple[int, int]],
                  minute: int) -> None:
        event = self._event("transform", minute, facility)
        for role, lots, sign in (("input", inputs, -1), ("output", outputs, 1)):
            for lot, grams in lots:
                self.lines.append((event, lot, role, grams))
                self._hold(lot, facility, sign * grams, minute)
        self.edges.extend((event, source, facility, made, facility, grams)
                          for source, _ in inputs for made, grams in outputs)

    def sell(self, lot: int, facility: int, grams: int, minute: int) -> None:
        self.lines.append((self._event("sell", minute, facility), lot, "subject", grams))
        self._hold(lot, facility, -grams, minute)


def load_trace_chain(lots: int = 200_000, events: int = 1_000_000, seed: int = 11) -> dict:
    """Write a supply chain of exactly `lots` lots and `events` trace events.

    Refuses to run twice (the event ids `syn-<n>` would collide): callers check first, e.g. by
    counting lots. Returns the row counts, the hub lot and the seconds each part took.
    """
    started = time.perf_counter()
    if db.session.scalar(select(TraceEvent.id).where(TraceEvent.event_id == "syn-1")):
        raise RuntimeError("The synthetic trace chain is already loaded (event syn-1 exists).")
    facilities = db.session.execute(select(Facility.id, Facility.kind, Facility.region_code)
                                    .where(Facility.status == "active").order_by(Facility.name)).all()
    rng = np.random.default_rng(seed)
    chain, products, hub = _build(facilities, lots, events, rng)
    built_s = time.perf_counter() - started
    with _no_statement_timeout():
        lot_ids = _copy(chain, products, facilities, rng)
        copied_s = time.perf_counter() - started - built_s
        for table in TABLES:
            _analyze(table)
    counts = {table: db.session.scalar(text(f"SELECT count(*) FROM {table}")) for table in TABLES}
    return {**counts, "hub_lot_id": str(lot_ids[hub]), "hub_lot_code": HUB_CODE, "build_s": round(built_s, 1),
            "copy_s": round(copied_s, 1), "seconds": round(time.perf_counter() - started, 1)}


def _build(facilities, lots: int, events: int, rng: np.random.Generator) -> tuple[_Chain, list[tuple], int]:
    by_kind: dict[str, list[int]] = {}
    for index, row in enumerate(facilities):
        by_kind.setdefault(row.kind, []).append(index)
    farms, makers, workshops = (by_kind.get(kind, []) for kind in ("farm", "producer", "workshop"))
    markets = by_kind.get("wholesale_market", []) + by_kind.get("farmers_market", [])
    outlets = by_kind.get("retailer", []) + by_kind.get("restaurant", [])
    if min(map(len, (farms, makers, workshops, markets))) == 0 or len(outlets) < HUB_OUTLETS + BAKERY_OUTLETS:
        raise RuntimeError("Too few synthetic facilities of some kind; run seeds.synthetic.load_synthetic first.")
    products = [("合成面粉", "grain"), ("合成面包", "bakery")] + [
        (f"合成产品{n}", CATEGORIES[n % len(CATEGORIES)]) for n in range(1, 399)]
    chain = _Chain()
    hub = _hub(chain, rng, makers, markets[0], outlets)

    n_raw, n_transforms = lots // 2, round(lots * 0.075)
    fan_in = rng.integers(2, 5, n_transforms).tolist()
    n_made = lots - n_raw - n_transforms - len(chain.lots)
    if n_made < 0 or sum(fan_in) > n_raw:
        raise ValueError(f"{lots} lots is too few for the chain's shape.")
    minutes = rng.integers(0, DAYS * 1440, lots).tolist()
    grams = rng.integers(200_000, 2_000_000, lots).tolist()
    kinds = rng.integers(2, len(products), lots).tolist()
    first_raw = len(chain.lots)
    for n, farm in enumerate(rng.choice(farms, n_raw).tolist()):  # harvests
        chain.originate(chain.lot(f"SYN-{n:06d}", kinds[n], farm, grams[n], minutes[n]), "harvest")
    distributed: list[tuple[int, int, int]] = []  # (lot, holder, minute) bound for a market
    raw = iter(range(first_raw, first_raw + n_raw))
    for n, plant in enumerate(rng.choice(makers, n_transforms).tolist()):  # farms → producers → transform
        inputs, ready = [], 0
        for lot in (next(raw) for _ in range(fan_in[n])):
            _, _, farm, weight, minute = chain.lots[lot]
            ready = max(ready, chain.move(lot, farm, plant, weight, minute + 360))
            inputs.append((lot, weight))
        made = chain.lot(f"SYN-T{n:06d}", kinds[n], plant, sum(w for _, w in inputs) * 4 // 5, ready + 600)
        chain.transform(plant, inputs, [(made, chain.lots[made][3])], ready + 600)
        distributed.append((made, plant, ready + 2880))
    distributed += [(lot, chain.lots[lot][2], chain.lots[lot][4] + 1440) for lot in raw]
    direct = []  # workshop lots go straight to outlets
    in_workshop = (rng.random(n_made) < 0.4).tolist()
    own_makers, own_workshops = rng.choice(makers, n_made).tolist(), rng.choice(workshops, n_made).tolist()
    for n in range(n_made):
        index = n_raw + n_transforms + n
        maker = own_workshops[n] if in_workshop[n] else own_makers[n]
        lot = chain.lot(f"SYN-M{n:06d}", kinds[index], maker, grams[index], minutes[index])
        chain.originate(lot, "produce")
        (direct if in_workshop[n] else distributed).append((lot, maker, minutes[index] + 720))
    zipf = 1.0 / np.arange(1, len(markets) + 1)  # markets[0], a wholesale market, is the biggest
    stock = []  # (lot, holder, minute) that goes on to outlets
    for (lot, origin, minute), market in zip(distributed,
                                             rng.choice(markets, len(distributed), p=zipf / zipf.sum()).tolist()):
        stock.append((lot, market, chain.move(lot, origin, market, chain.held[(lot, origin)][0], minute) + 720))
    _fan_out(chain, rng, stock + direct, outlets, events - len(chain.events))
    return chain, products, hub


def _hub(chain: _Chain, rng: np.random.Generator, makers: list[int], market: int, outlets: list[int]) -> int:
    """The flour lot: mill → the biggest market → 1,300 outlets and 5 bakeries → bread → 60 outlets each."""
    mill, *bakeries = rng.choice(makers, HUB_BAKERIES + 1, replace=False).tolist()
    hub = chain.lot(HUB_CODE, 0, mill, 60_000_000, 1440)
    chain.originate(hub, "produce")
    at = chain.move(hub, mill, market, 60_000_000, 2880) + 720
    for outlet in rng.choice(outlets, HUB_OUTLETS, replace=False).tolist():
        chain.move(hub, market, outlet, 20_000, at)
    for n, bakery in enumerate(bakeries):
        ready = chain.move(hub, market, bakery, 500_000, at) + 600
        bread = chain.lot(f"SYN-HUB-BREAD-{n + 1}", 1, bakery, 400_000, ready)
        chain.transform(bakery, [(hub, 500_000)], [(bread, 400_000)], ready)
        for outlet in rng.choice(outlets, BAKERY_OUTLETS, replace=False).tolist():
            chain.move(bread, bakery, outlet, 5_000, ready + 1440)
    return hub


def _fan_out(chain: _Chain, rng: np.random.Generator, stock: list, outlets: list[int], budget: int) -> None:
    """Spend the rest of the event budget: shipments to outlets (2 events each), then sales (1 each)."""
    shipments = int(budget * 0.4)
    if shipments <= 0:
        raise ValueError("Too few events for the lots: raise `events` or lower `lots`.")
    weights = rng.lognormal(0, 1, len(stock))  # a few lots go to many outlets
    counts = rng.multinomial(shipments, weights / weights.sum()).tolist()
    destinations = iter(rng.choice(outlets, shipments).tolist())
    received = []
    for (lot, holder, minute), count in zip(stock, counts):
        share = chain.held[(lot, holder)][0] // (count + 1)  # part of it stays where it was
        received += [(lot, outlet, chain.move(lot, holder, outlet, share, minute))
                     for outlet in (next(destinations) for _ in range(count))]
    for pick in rng.choice(len(received), budget - 2 * shipments, replace=False).tolist():
        lot, outlet, minute = received[pick]
        chain.sell(lot, outlet, max(1, chain.held[(lot, outlet)][0] // 2), minute + 1440)


def _uuids(rng: np.random.Generator, count: int) -> list[uuid.UUID]:
    raw = rng.bytes(16 * count)
    return [uuid.UUID(bytes=raw[16 * n:16 * n + 16], version=4) for n in range(count)]


def _kg(grams: int) -> str:
    return f"{grams // 1000}.{grams % 1000:03d}" if grams >= 0 else f"-{_kg(-grams)}"


def _copy(chain: _Chain, products: list[tuple], facilities, rng: np.random.Generator) -> list[uuid.UUID]:
    """COPY the tables in foreign-key order on the session's connection (same transaction)."""
    product_ids, lot_ids, event_ids = (_uuids(rng, len(items)) for items in (products, chain.lots, chain.events))
    fac = [row.id for row in facilities]
    region = [row.region_code for row in facilities]

    def at(minute: int) -> datetime:
        return START + timedelta(minutes=minute)

    def event_rows():
        for n, (type, minute, facility, other) in enumerate(chain.events):
            event_id = f"syn-{n + 1}"
            yield (event_ids[n], event_id, type, at(minute), fac[facility], None if other is None else fac[other],
                   region[facility], f"BOL {event_id}" if type == "ship" else None, "{}", "api",
                   hashlib.sha256(event_id.encode()).hexdigest(), at(minute + 5))

    tables = [
        ("products (id, name, category, created_at)", len(products),
         ((product_ids[n], name, category, START) for n, (name, category) in enumerate(products))),
        ("lots (id, lot_code, product_id, facility_id, region_code, quantity, unit, produced_at, expires_at, "
         "created_at)", len(chain.lots),
         ((lot_ids[n], code, product_ids[product], fac[maker], region[maker], _kg(grams), "kg", at(minute),
           at(minute + 30 * 1440), at(minute)) for n, (code, product, maker, grams, minute) in enumerate(chain.lots))),
        ("trace_events (id, event_id, type, occurred_at, facility_id, other_facility_id, region_code, reference, "
         "flags, source, body_sha256, recorded_at)", len(chain.events), event_rows()),
        ("trace_event_lots (event_pk, lot_id, role, quantity, unit)", len(chain.lines),
         ((event_ids[event], lot_ids[lot], role, _kg(grams), "kg") for event, lot, role, grams in chain.lines)),
        ("trace_edges (event_pk, from_lot_id, from_facility_id, to_lot_id, to_facility_id, quantity, unit)",
         len(chain.edges), ((event_ids[e], lot_ids[a], fac[f], lot_ids[b], fac[t], _kg(grams), "kg")
                            for e, a, f, b, t, grams in chain.edges)),
        ("holdings (lot_id, facility_id, quantity, unit, updated_at)", len(chain.held),
         ((lot_ids[lot], fac[facility], _kg(grams), "kg", at(minute))
          for (lot, facility), (grams, minute) in chain.held.items())),
    ]
    connection = db.session.connection().connection.driver_connection
    with click.progressbar(length=sum(size for _, size, _ in tables), label="trace chain (COPY)",
                           file=sys.stderr) as bar, connection.cursor() as cursor:
        for target, _, rows in tables:
            with cursor.copy(f"COPY {target} FROM STDIN") as copy:
                count = 0
                for count, row in enumerate(rows, start=1):
                    copy.write_row(row)
                    if count % 10_000 == 0:
                        bar.update(10_000)
                bar.update(count % 10_000)
    return lot_ids
