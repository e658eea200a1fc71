"""Reads of the agency tree (上级机关 → 下属机关): an agency's subordinates and ancestors.

The tree is kept acyclic by `Agency.clean`; the walks here still keep a `seen` set, so a
cycle written into the database some other way ends a walk instead of looping forever.
"""

from dataclasses import dataclass

from .models import Agency


@dataclass(frozen=True)
class Subordinate:
    agency: Agency
    depth: int  # 1: a direct child of the agency asked about
    has_children: bool


def subordinates(agency) -> list[Subordinate]:
    """Every agency below `agency` (children, their children, …), each after its parent
    and siblings in code order. One query per level of the tree, the last one finding no
    children of the deepest level."""
    children_of: dict[int, list[Agency]] = {}
    seen, level = {agency.pk}, [agency.pk]
    while level:
        found = [a for a in Agency.objects.filter(parent_id__in=level).order_by("code")
                 if a.pk not in seen]
        for child in found:
            children_of.setdefault(child.parent_id, []).append(child)
            seen.add(child.pk)
        level = [a.pk for a in found]

    result: list[Subordinate] = []

    def walk(parent_id: int, depth: int) -> None:
        for child in children_of.get(parent_id, []):
            result.append(Subordinate(child, depth, bool(children_of.get(child.pk))))
            walk(child.pk, depth + 1)

    walk(agency.pk, 1)
    return result


def ancestor_ids(agency) -> list[int]:
    """The ids above `agency`, nearest first (one query per level)."""
    ids, seen, current = [], {agency.pk}, agency.parent_id
    while current is not None and current not in seen:
        ids.append(current)
        seen.add(current)
        current = Agency.objects.filter(pk=current).values_list("parent_id", flat=True).first()
    return ids


def has_children(agency) -> bool:
    return Agency.objects.filter(parent=agency).exists()
