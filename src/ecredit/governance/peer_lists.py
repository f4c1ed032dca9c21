"""Listings that trusted peers decided (多部门、跨地区信用联合奖惩, seed 004 §五(一)).

A black list is worth little if a subject listed by one department or region trades freely
under the next: the policy asks that one authority's listing trigger the others' measures.
A peer's listing reaches this node as that peer's statement (`ecredit.exchange`), and it
stays the peer's act: the peer decided it under its own document and legal basis, so this
node can neither decide, lift nor change it, and never turns it into a list entry of its own —
only the peer's next batch ends it. What this node decides is whether it acts on it:
`policy/governance.yaml` `peer_listings` names the lists, and the peers (by the authority
registered here, or one by one), whose listings trigger this node's measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ecredit.governance.lists import ListEntry
from ecredit.governance.policy import GovernancePolicy, load_policy


@dataclass(frozen=True)
class Origin:
    """The trusted peer that said something, as registered here — never as it claims."""

    node_id: str
    name: str
    """The registered name, or the node id when the peer was registered without one."""
    authority: str
    """The authority registered here for the peer (department, region, platform, agency)."""


@dataclass(frozen=True)
class PeerListing:
    """A peer's list entry as it stands after the peer's latest batch. The entry carries no
    history: the steps happened at the peer, and only their result travelled."""

    origin: Origin
    entry: ListEntry

    def in_force(self, today: date) -> bool:
        """The same rule as for this node's own listings, so a peer's listing is in force here
        exactly while it is there."""
        return self.entry.in_force(today)


def applies(listing: PeerListing, policy: GovernancePolicy | None = None) -> bool:
    """Whether this node acts on the peer's listing at all: the list is one it knows (its
    measures are defined per list code) and the policy applies that list from that peer."""
    policy = policy or load_policy()
    code = listing.entry.list_code
    origin = listing.origin
    return code in policy.lists and code in policy.peer_listings.lists_from(
        origin.node_id, origin.authority
    )


def is_black(listing: PeerListing, policy: GovernancePolicy | None = None) -> bool:
    """A black list as this node defines the list code; an unknown code is not one here."""
    definition = (policy or load_policy()).lists.get(listing.entry.list_code)
    return definition is not None and definition.polarity == "black"
