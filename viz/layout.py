"""Which nodes `dot` should put in one column, so the picture reads like the articles' figures.

With the inputs on the left and the loss on the right, each column is one rank:
- the inputs outside any layer form the first column;
- in each layer, the nodes fed only from outside the layer (its entry, e.g. L2's products w·x)
  form one column;
- a weight or constant used once, by a node of its own layer, sits beside that user (drawn one
  rank earlier it would stretch its layer's box over the previous layer).
"""

from __future__ import annotations

from collections import defaultdict

from .records import CONSTANT, INPUT, OPERATION, WEIGHT, GraphRecords
from .summary import NEURON


def beside(graph: GraphRecords) -> dict[str, str]:
    """The weights and constants drawn beside their only user, in its column: {leaf id: user id}."""
    node_of = {node.id: node for node in graph.nodes}
    uses: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        uses[edge.parent].append(edge.child)
    out = {}
    for node_id, users in uses.items():
        node = node_of[node_id]
        if node.kind in (WEIGHT, CONSTANT) and len(users) == 1 and node_of[users[0]].layer == node.layer:
            out[node_id] = users[0]
    return out


def rank_groups(graph: GraphRecords) -> dict[str | None, list[list[str]]]:
    """For each layer (None: outside any layer), its nodes in forward order, grouped by column."""
    node_of = {node.id: node for node in graph.nodes}
    feeds: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        feeds[edge.child].append(edge.parent)
    partners: dict[str, list[str]] = defaultdict(list)
    for leaf, user in beside(graph).items():
        partners[user].append(leaf)
    placed = {p for ps in partners.values() for p in ps}
    groups: dict[str | None, list[list[str]]] = defaultdict(list)
    entries: dict[str | None, list[list[str]]] = defaultdict(list)
    # Forward order (inputs first) gives dot a top-to-bottom order that follows x1, x2, x3.
    for node in reversed(graph.nodes):
        if node.id in placed:
            continue
        own = [node.id, *partners.get(node.id, [])]
        entry = (node.layer is None and node.kind == INPUT) or (
            node.layer is not None
            and node.kind in (OPERATION, NEURON)
            and all(node_of[p].layer != node.layer or p in placed for p in feeds[node.id])
        )
        if entry:
            if not entries[node.layer]:
                groups[node.layer].append([])  # the column's place among the groups, filled below
            entries[node.layer].append(own)
        else:
            groups[node.layer].append(own)
    walk = {node.id: i for i, node in enumerate(graph.nodes)}
    for layer, members in entries.items():
        # The walk meets x1 before x2: listing the column in walk order draws x1 on top.
        members.sort(key=lambda own: walk[own[0]])
        column = next(group for group in groups[layer] if not group)
        column.extend(node_id for own in members for node_id in own)
    return dict(groups)


def columns(groups: dict[str | None, list[list[str]]]) -> dict[str, int]:
    """Each node's column number (nodes of one rank=same group share it)."""
    out = {}
    for i, group in enumerate(g for members in groups.values() for g in members):
        for node_id in group:
            out[node_id] = i
    return out
