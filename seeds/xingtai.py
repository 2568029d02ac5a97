"""Xingtai city (邢台市, 130500) and its 18 county-level divisions (GB/T 2260, 2020 names).

No official boundaries are available offline, so the demo boundaries are APPROXIMATE:
Voronoi cells around each county seat, clipped to a rough outline of the city. They are
good enough to place demo cells and facilities, and are labelled as such in the data.
"""
from __future__ import annotations

from shapely import MultiPoint, MultiPolygon, Point, Polygon, voronoi_polygons

APPROXIMATE = "approximate demo boundary (Voronoi of county seats), not official"

PROVINCE = ("130000", "河北省", "Hebei")
CITY = ("130500", "邢台市", "Xingtai")

# code, name, English name, approximate seat (lon, lat)
COUNTIES = [
    ("130502", "襄都区", "Xiangdu", (114.51, 37.07)),
    ("130503", "信都区", "Xindu", (114.30, 37.10)),
    ("130505", "任泽区", "Renze", (114.68, 37.12)),
    ("130506", "南和区", "Nanhe", (114.68, 36.99)),
    ("130522", "临城县", "Lincheng", (114.45, 37.44)),
    ("130523", "内丘县", "Neiqiu", (114.48, 37.29)),
    ("130524", "柏乡县", "Baixiang", (114.69, 37.48)),
    ("130525", "隆尧县", "Longyao", (114.77, 37.35)),
    ("130528", "宁晋县", "Ningjin", (114.92, 37.62)),
    ("130529", "巨鹿县", "Julu", (115.04, 37.22)),
    ("130530", "新河县", "Xinhe", (115.24, 37.53)),
    ("130531", "广宗县", "Guangzong", (115.14, 37.07)),
    ("130532", "平乡县", "Pingxiang", (115.03, 37.06)),
    ("130533", "威县", "Weixian", (115.27, 36.98)),
    ("130534", "清河县", "Qinghe", (115.67, 37.04)),
    ("130535", "临西县", "Linxi", (115.50, 36.87)),
    ("130581", "南宫市", "Nangong", (115.41, 37.36)),
    ("130582", "沙河市", "Shahe", (114.45, 36.86)),
]

# A rough outline of the city (lon, lat), 113.9–115.8°E, 36.8–37.8°N.
CITY_OUTLINE = Polygon([
    (113.87, 37.05), (113.95, 37.45), (114.30, 37.55), (114.58, 37.66), (114.82, 37.82),
    (115.08, 37.76), (115.35, 37.63), (115.55, 37.40), (115.80, 37.15), (115.74, 36.90),
    (115.45, 36.78), (115.10, 36.90), (114.85, 36.88), (114.60, 36.78), (114.30, 36.79),
    (114.02, 36.86),
])


def county_boundaries() -> dict[str, MultiPolygon]:
    """Approximate boundary of each county: its seat's Voronoi cell within the city outline."""
    seats = {code: Point(seat) for code, _, _, seat in COUNTIES}
    cells = voronoi_polygons(MultiPoint(list(seats.values())), extend_to=CITY_OUTLINE.envelope.buffer(1))
    boundaries = {}
    for code, seat in seats.items():
        cell = next(polygon for polygon in cells.geoms if polygon.covers(seat))
        clipped = cell.intersection(CITY_OUTLINE)
        boundaries[code] = clipped if isinstance(clipped, MultiPolygon) else MultiPolygon([clipped])
    return boundaries
