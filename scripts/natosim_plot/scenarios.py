"""Scenarios as an analyst reads them: labels, groups, an order that keeps a group together and a
low/high enforcement pair side by side, and one colour-and-line style per scenario that no other
scenario of the file shares.

    order = Scenarios(results, selected)
    for s in order.indices: ax.plot(..., label=order.label(s), **order.style(s))

A file written before scenarios had labels and groups (no `scenario_label` / `scenario_group`
datasets) gets its names as labels and one unnamed group.
"""

from __future__ import annotations

import re

from . import style

# Above this many scenarios, line figures become small multiples, one panel per group.
MAX_OVERLAID = 8
# The variant suffixes of a pair, in the order they are drawn (low first, then high).
_VARIANT = re.compile(r"^(?P<stem>.+?)[_-](?P<variant>low|high)(?:_enforcement)?$")
_VARIANT_ORDER = {"low": 0, "high": 1}
# Colours for scenarios other than the reference (drawn in black): the palette without black.
# Okabe-Ito's yellow is too pale for a thin line on white: an olive of Tol's palette instead.
_COLOURS = [("#999933" if c == style.OKABE_ITO["yellow"] else c) for c in style.PALETTE
            if c != style.OKABE_ITO["black"]]
REFERENCE_COLOUR = style.OKABE_ITO["black"]


def variant_of(name: str):
    """('conditional_2pct', 'low') for 'conditional_2pct_low'; (name, None) for a name without
    a low/high suffix."""
    match = _VARIANT.match(name)
    if match is None:
        return name, None
    return match.group("stem"), match.group("variant")


class Scenarios:
    """The selected scenarios of a file (indices into results.scenarios) in reading order."""

    def __init__(self, results, selected=None):
        self.results = results
        selected = list(range(len(results.scenarios))) if selected is None else list(selected)
        names = results.scenarios
        self.labels = list(getattr(results, "scenario_labels", None) or names)
        self.groups = list(getattr(results, "scenario_groups", None) or [""] * len(names))
        ref = results.reference_scenario
        self.reference = names.index(ref) if ref in names else None

        # Groups in order of first appearance, the reference's group first; inside a group a
        # pair's low and high variants next to each other, otherwise the config's order.
        group_rank = {}
        for s in ([self.reference] if self.reference in selected else []) + selected:
            group_rank.setdefault(self.groups[s], len(group_rank))
        stem_rank = {}
        for s in selected:
            stem_rank.setdefault((self.groups[s], variant_of(names[s])[0]), len(stem_rank))

        def key(s):
            stem, variant = variant_of(names[s])
            return (s != self.reference, group_rank[self.groups[s]],
                    stem_rank[(self.groups[s], stem)], _VARIANT_ORDER.get(variant, -1))

        self.indices = sorted(selected, key=key)
        # Styles are fixed over every scenario of the file (not only those selected), so a
        # scenario looks the same in every figure of a report.
        self._styles = self._assign_styles(list(range(len(names))))

    def _assign_styles(self, everything):
        names = self.results.scenarios
        families = []
        for s in everything:
            if s == self.reference:
                continue
            family = (self.groups[s], variant_of(names[s])[0])
            if family not in families:
                families.append(family)
        styles = {}
        for s in everything:
            if s == self.reference:
                styles[s] = {"color": REFERENCE_COLOUR, "linestyle": "-"}
                continue
            f = families.index((self.groups[s], variant_of(names[s])[0]))
            variant = variant_of(names[s])[1]
            # A pair shares its colour: high solid, low dashed; families past the colours'
            # count take the next pair of line styles, so no combination repeats.
            line = 2 * (f // len(_COLOURS)) + (1 if variant == "low" else 0)
            styles[s] = {"color": _COLOURS[f % len(_COLOURS)],
                         "linestyle": style.LINESTYLES[line % len(style.LINESTYLES)]}
        return styles

    def __len__(self):
        return len(self.indices)

    def __iter__(self):
        return iter(self.indices)

    def label(self, s) -> str:
        return self.labels[s]

    def group(self, s) -> str:
        return self.groups[s]

    def style(self, s) -> dict:
        """matplotlib keyword arguments: color and linestyle."""
        return dict(self._styles[s])

    def colour(self, s) -> str:
        return self._styles[s]["color"]

    def by_group(self, without_reference=False):
        """[(group, [indices])] in reading order; the reference alone in an entry "Reference",
        or left out when without_reference."""
        out = []
        for s in self.indices:
            if s == self.reference and without_reference:
                continue
            g = self.groups[s] if s != self.reference else "Reference"
            if not out or out[-1][0] != g:
                out.append((g, []))
            out[-1][1].append(s)
        return out

    def panels(self):
        """Line figures: one panel holding every scenario when there are at most MAX_OVERLAID,
        otherwise one panel per group, each with the reference drawn too.
        Returns [(title, [indices])]."""
        if len(self.indices) <= MAX_OVERLAID:
            return [("", list(self.indices))]
        ref = [self.reference] if self.reference in self.indices else []
        panels = []
        for group, members in self.by_group(without_reference=True):
            panels.append((group or "Scenarios", ref + members))
        return panels or [("", list(self.indices))]

    def caption_names(self, indices=None) -> str:
        indices = self.indices if indices is None else indices
        return ", ".join(self.labels[s] for s in indices)
