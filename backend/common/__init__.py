"""Cross-domain building blocks: clock, errors raised by services, request context, pagination."""
