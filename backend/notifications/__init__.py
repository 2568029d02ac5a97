"""The transactional outbox and in-app notifications (DESIGN.md §1, §8): events written in
the same transaction as the change that causes them, delivered by `flask worker`."""
