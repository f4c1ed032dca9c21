"""Ground truth: which entities were manipulated (or are hard negatives), and later outcomes.

`truth/labels.csv` has one row per (entity, manipulation): ``entity_kind`` is subject, shop, order,
rating or tracking_no; ``manipulation`` is brushing, malicious_review, empty_parcel or fake_traffic
for injected manipulation, and flash_sale, loyal_buyer or hub_shop for hard negatives — genuine
behaviour that looks suspicious and that a good detector must leave alone. ``group_id`` names the
ring or campaign (BR, MR, EP, FT, FS, LB, HB + number); ``detail`` is ``key=value`` pairs joined by
``;``, starting with the entity's ``role``:

* brushing — shop ``colluding_shop``, subject ``colluding_merchant`` / ``fake_buyer``, order
  ``fake_order`` / ``camouflage``, rating ``fake_review``; details ``density``, ``buyers``,
  ``shops``, ``pairs`` (distinct buyer-shop pairs of the block).
* empty_parcel — shop ``shipper``, subject ``shipper_merchant``, order ``fake_shipment``,
  tracking_no ``fake_tracking_no``; detail ``ring``.
* malicious_review — shop ``victim`` / ``instigator``, subject ``instigator`` / ``reviewer``,
  order ``order``, rating ``review``.
* fake_traffic — shop ``boosted_shop``, subject ``merchant``; details ``factor``, ``from``, ``to``.
* flash_sale — shop ``flash_shop``, order ``flash_order``; details ``start``, ``buyers``.
* loyal_buyer — subject ``loyal_buyer``, shop ``favourite_shop``, order ``repeat_order``.
* hub_shop — shop ``hub``; detail ``popularity_rank``.

For order-level brushing the positives are ``role=fake_order``; ``role=camouflage`` orders are
real purchases by the ring's fake accounts at honest popular shops. `truth/outcomes.csv` says
whether each merchant becomes seriously dishonest in the 12 months after the end date.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pyarrow as pa

from ecredit.generate import columns as col
from ecredit.generate.sinks import LABELS, Outputs


class Manipulation(StrEnum):
    BRUSHING = "brushing"
    MALICIOUS_REVIEW = "malicious_review"
    EMPTY_PARCEL = "empty_parcel"
    FAKE_TRAFFIC = "fake_traffic"
    FLASH_SALE = "flash_sale"
    LOYAL_BUYER = "loyal_buyer"
    HUB_SHOP = "hub_shop"


HARD_NEGATIVES = frozenset(
    {Manipulation.FLASH_SALE, Manipulation.LOYAL_BUYER, Manipulation.HUB_SHOP}
)


@dataclass(frozen=True)
class Group:
    """One ring or campaign; `detail` is appended to every label of its members."""

    group_id: str
    manipulation: Manipulation
    detail: str

    def describe(self, role: str) -> str:
        return f"role={role};{self.detail}" if self.detail else f"role={role}"


def write_labels(
    out: Outputs,
    entity_kind: str,
    entity_ids: pa.Array,
    groups: list[Group],
    group_index: np.ndarray,
    role: str,
) -> None:
    """Label rows for entities of one kind and role; `group_index` points into `groups`.

    Only the distinct groups are formatted in Python; rows are filled by dictionary lookups, so
    millions of order labels cost no more than a column take.
    """
    if len(entity_ids) == 0:
        return
    used, inverse = np.unique(np.asarray(group_index), return_inverse=True)
    pick = inverse.astype(np.int32)
    chosen = [groups[g] for g in used.tolist()]
    out.put(
        LABELS,
        {
            "entity_kind": col.constant(entity_kind, len(entity_ids)),
            "entity_id": entity_ids,
            "manipulation": col.pick(col.vocab([g.manipulation.value for g in chosen]), pick),
            "group_id": col.pick(col.vocab([g.group_id for g in chosen]), pick),
            "detail": col.pick(col.vocab([g.describe(role) for g in chosen]), pick),
        },
    )
