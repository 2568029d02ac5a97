"""The phones' delta feed (DESIGN.md §9): everything in an inspector's scope that changed
since their cursor, tombstones for what left it, and no change ever skipped."""
