"""Field checks: checklist templates, plans and tasks (so far); checks, attachments,
rectification and sync follow."""
