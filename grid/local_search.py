"""Local search that evens out group loads by moving single border cells between neighbours.

Moving workload w from a group with load a to a neighbouring group with load b lowers the
sum of squared loads exactly when a − b > w; neither group then ends above a, so the
maximum never rises and the search cannot cycle. A cell only moves when its group stays in
one piece without it, so contiguous groups stay contiguous.
"""
from __future__ import annotations

from collections.abc import Sequence

from grid.adjacency import stays_connected_without


class LoadLeveller:
    """Groups being evened out, with each group's border cells kept up to date.

    Groups found to have no possible move are remembered as idle until a move changes them
    or a group next to them, so each step only re-examines what the last move touched.
    """

    def __init__(self, groups: list[set[int]], weights: Sequence[float], neighbours: Sequence[set[int]],
                 ranks: Sequence[int]) -> None:
        self.groups, self.weights, self.neighbours, self.ranks = groups, weights, neighbours, ranks
        self.owner = {cell: index for index, group in enumerate(groups) for cell in group}
        self.loads = [sum(weights[cell] for cell in sorted(group)) for group in groups]
        self.border = [{cell for cell in group if self._on_border(cell)} for group in groups]
        self.next_to: list[set[int]] = [set() for _ in groups]  # groups seen bordering each group
        self.idle: set[int] = set()
        self.slack = 1e-9 * max(sum(weights), 1.0)  # float sums of one set can differ in the last bit

    def _on_border(self, cell: int) -> bool:
        return any(self.owner[other] != self.owner[cell] for other in self.neighbours[cell])

    def _moves_from(self, giver: int) -> list[tuple]:
        candidates = []
        self.next_to[giver] = set()
        for cell in self.border[giver]:
            receivers = {self.owner[other] for other in self.neighbours[cell]} - {giver}
            self.next_to[giver] |= receivers
            weight = self.weights[cell]
            for receiver in receivers:
                gain = self.loads[giver] - self.loads[receiver] - weight
                if weight > 0 and gain > self.slack:
                    shared = sum(1 for other in self.neighbours[cell] if self.owner[other] == receiver)
                    candidates.append((-weight * gain, -shared, self.ranks[cell], receiver, cell))
        return sorted(candidates)

    def best_move(self) -> tuple[int, int] | None:
        """(cell, receiving group) of the best improving move, trying the heaviest groups first:
        the largest fall in Σload², then the cell sharing most edges with its new group."""
        lightest = min(self.loads)
        for giver in sorted(range(len(self.groups)), key=lambda index: (-self.loads[index], index)):
            if self.loads[giver] - lightest <= self.slack:
                return None  # this and every later group is as light as the lightest
            if giver in self.idle:
                continue
            for *_, receiver, cell in self._moves_from(giver):
                if stays_connected_without(cell, self.groups[giver], self.neighbours):
                    return cell, receiver
            self.idle.add(giver)
        return None

    def move(self, cell: int, receiver: int) -> None:
        giver = self.owner[cell]
        self.groups[giver].discard(cell)
        self.groups[receiver].add(cell)
        self.border[giver].discard(cell)
        self.owner[cell] = receiver
        self.loads[giver] -= self.weights[cell]
        self.loads[receiver] += self.weights[cell]
        touched_groups = {giver, receiver}
        for touched in (cell, *self.neighbours[cell]):
            home = self.owner[touched]
            touched_groups.add(home)
            if self._on_border(touched):
                self.border[home].add(touched)
            else:
                self.border[home].discard(touched)
        self.idle -= touched_groups
        self.idle -= {group for group in self.idle if self.next_to[group] & {giver, receiver}}


def even_out(groups: list[set[int]], weights: Sequence[float], neighbours: Sequence[set[int]],
             ranks: Sequence[int], max_moves: int) -> None:
    """Move border cells from heavier to lighter neighbouring groups (in place) until no move
    improves the balance or `max_moves` have been made."""
    leveller = LoadLeveller(groups, weights, neighbours, ranks)
    for _ in range(max_moves):
        move = leveller.best_move()
        if move is None:
            return
        leveller.move(*move)
