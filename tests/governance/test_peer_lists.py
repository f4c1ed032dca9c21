"""Listings decided by trusted peers: which trigger joint measures here (policy
`peer_listings`), each measure naming its origin, and the risk warning they raise."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import yaml
from pydantic import ValidationError

from ecredit.governance import measures, warnings
from ecredit.governance.lists import Decision, ListEntry, ListState, Reason
from ecredit.governance.peer_lists import Origin, PeerListing, applies
from ecredit.governance.policy import GovernancePolicy, load_policy
from ecredit.records.catalogue import policy_path

TODAY = date(2026, 6, 1)
DECISION = Decision("某省市场监督管理局", "2794号 §十九", "某市监〔2026〕9号", date(2026, 5, 1))
REGION = Origin("region-z", "浙江省信用平台", "region")
AGENCY = Origin("agency-x", "某信用服务机构", "agency")
BLACK_MEASURES = {
    "more_inspections",
    "bar_senior_posts",
    "restrict_business_and_credit",
    "restrict_entry",
    "downgrade",
    "shield_shop",
    "freeze_account",
    "public_exposure",
}


def peer_entry(
    state: ListState = ListState.PUBLISHED, list_code: str = "black_list", decided: bool = True
) -> ListEntry:
    return ListEntry(
        entry_id="LPEER1",
        list_code=list_code,
        subject_id="M1",
        state=state,
        proposed_on=date(2026, 4, 20),
        reasons=(Reason("record", "公示中的严重失信记录", "Serious dishonesty record on display"),),
        decision=DECISION if decided else None,
        ends_on=date(2029, 5, 1) if decided else None,
    )


def with_peers(**changes: object) -> GovernancePolicy:
    policy = load_policy()
    return policy.model_copy(
        update={"peer_listings": policy.peer_listings.model_copy(update=changes)}
    )


def test_a_peers_black_list_triggers_the_measures_here_naming_its_origin() -> None:
    found = measures.peer_measures_for([PeerListing(REGION, peer_entry())], TODAY)
    assert {m.measure for m in found} == BLACK_MEASURES
    for m in found:
        assert m.origin == REGION
        assert (m.authority, m.document_no, m.legal_basis) == (
            "某省市场监督管理局",
            "某市监〔2026〕9号",
            "2794号 §十九",
        )
        assert m.why_zh.startswith("来源：浙江省信用平台，已列入黑名单")
        assert "公示中的严重失信记录" in m.why_zh and "联合惩戒" in m.why_zh
        assert m.why_en.startswith("From 浙江省信用平台, on the Black list")
    platform = measures.peer_measures_for([PeerListing(REGION, peer_entry())], TODAY, "platform")
    assert {m.measure for m in platform} == BLACK_MEASURES - {
        "more_inspections",
        "bar_senior_posts",
        "restrict_business_and_credit",
    }
    # this node's own listings still carry no origin
    own = measures.measures_for([peer_entry()], TODAY)
    assert own and all(m.origin is None for m in own)


@pytest.mark.parametrize(
    "entry",
    [
        peer_entry(ListState.PROPOSED, decided=False),
        peer_entry(ListState.REJECTED, decided=False),
        replace(peer_entry(ListState.REMOVED), ended_on=date(2026, 5, 20), end_cause="repair"),
        peer_entry(ListState.EXPIRED),
    ],
    ids=["proposed", "rejected", "lifted", "expired"],
)
def test_a_peers_listing_not_in_force_triggers_nothing(entry: ListEntry) -> None:
    in_force = PeerListing(REGION, peer_entry())
    assert measures.peer_measures_for([in_force, PeerListing(REGION, entry)], TODAY) == (
        measures.peer_measures_for([in_force], TODAY)
    )
    assert measures.peer_measures_for([PeerListing(REGION, entry)], TODAY) == []


def test_in_force_only_within_the_peers_period() -> None:
    listing = PeerListing(REGION, peer_entry())
    assert measures.peer_measures_for([listing], date(2026, 4, 30)) == []
    assert measures.peer_measures_for([listing], date(2029, 5, 1)) == []
    assert measures.peer_measures_for([listing], date(2029, 4, 30))


def test_the_policy_decides_whose_listings_apply() -> None:
    black = peer_entry()
    # defaults: black lists from departments, regions and platforms; not an agency's
    assert not applies(PeerListing(AGENCY, black))
    assert measures.peer_measures_for([PeerListing(AGENCY, black)], TODAY) == []
    # nor a peer's red list, nor a list this node does not define
    red = peer_entry(list_code="red_list")
    assert measures.peer_measures_for([PeerListing(REGION, red)], TODAY) == []
    unknown = peer_entry(list_code="grey_list")
    assert measures.peer_measures_for([PeerListing(REGION, unknown)], TODAY) == []
    # one peer switched off, one agency switched on, red lists added for everyone
    policy = with_peers(peers={"region-z": [], "agency-x": ["black_list"]})
    assert measures.peer_measures_for([PeerListing(REGION, black)], TODAY, policy=policy) == []
    assert measures.peer_measures_for([PeerListing(AGENCY, black)], TODAY, policy=policy)
    policy = with_peers(lists=["black_list", "industry_ban", "red_list"])
    found = measures.peer_measures_for([PeerListing(REGION, red)], TODAY, policy=policy)
    assert {m.measure for m in found} >= {"search_boost", "green_channel"}
    assert all("联合激励" in m.why_zh for m in found)


def test_a_peer_listing_policy_naming_unknown_lists_or_authorities_is_rejected() -> None:
    text = policy_path("governance.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    raw["peer_listings"]["peers"] = {"region-z": ["grey_list"]}
    with pytest.raises(ValidationError, match="grey_list"):
        GovernancePolicy.model_validate(raw)
    raw = yaml.safe_load(text)
    raw["peer_listings"]["authorities"] = ["ministry"]
    with pytest.raises(ValidationError, match="ministry"):
        GovernancePolicy.model_validate(raw)
    assert load_policy().peer_listings.source


def test_the_warning_names_the_origin_and_never_merges_with_an_own_listing() -> None:
    alert = warnings.peer_list_entry(PeerListing(REGION, peer_entry()))
    assert (alert.rule, alert.subject_id, alert.level) == ("list_entry", "M1", "high")
    assert (
        alert.zh
        == "列入黑名单：黑名单（严重失信主体名单）（来源：浙江省信用平台，某市监〔2026〕9号）"
    )
    assert alert.data["origin"] == "region-z"
    again = warnings.peer_list_entry(PeerListing(REGION, peer_entry(ListState.DECIDED)))
    assert again.warning_id == alert.warning_id
    assert warnings.list_entry(peer_entry()).warning_id != alert.warning_id
    other_peer = PeerListing(replace(REGION, node_id="region-y"), peer_entry())
    assert warnings.peer_list_entry(other_peer).warning_id != alert.warning_id
