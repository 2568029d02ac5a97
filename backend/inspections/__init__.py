"""Field checks: checklist templates (so far); plans, tasks, checks and rectification follow."""
