"""Food businesses under supervision: facilities, market stalls, identifiers, CSV import."""
