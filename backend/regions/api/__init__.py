"""The regions HTTP API, one module per blueprint (one tag each in the API document):
`regions` (administrative regions) and `grid` (cells and assignments). Registered by
`backend.regions.register`."""
