"""The traceability HTTP API, one module per blueprint (one tag each in the API document):
`traceability` (products, lots, events, trace) and `epcis` (GS1 EPCIS 2.0 capture).
Registered by `backend.traceability.register`."""
