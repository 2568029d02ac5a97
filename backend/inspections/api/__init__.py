"""The inspections HTTP API, one module per blueprint (one tag each in the API document):
`inspections` (checklist templates, plans, tasks), `checks` (checks and rectification
orders) and `attachments`. Registered by `backend.inspections.register`."""
