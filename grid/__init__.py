"""Pure geometry for the grid model: CRS conversions (GCJ-02, CGCS2000 Gauss-Krüger),
cell generation, cell-set validation and workload balancing.

Depends only on shapely, pyproj and h3 (never on Flask, SQLAlchemy or `backend`), so it
can be used and tested without an application or a database. Geometries go in and come
out in WGS-84 (lon, lat); metric work happens inside, in a Gauss-Krüger zone.
"""
