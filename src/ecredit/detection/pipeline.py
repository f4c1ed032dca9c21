"""Detection end to end: read the inputs once, run every signal, and turn what fired into cases.

Signals are the behaviour rules (`rules`), dense buyer × shop blocks (`dense_blocks` on one
machine or `peeling` on the engine), account farms buying far above expectation, and the
rating network (`rating_network`). All of them speak the long *hit* shape, so
`cases.build_cases` merges them without knowing which is which. Heavy work (rules, the graph's
edge list, completing cases with their orders) runs on the engine; only hits, the aggregated
graph and small lookup tables come to Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import narwhals as nw
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from ecredit.detection import dense_blocks, rating_network
from ecredit.detection.cases import Case, Signal, bipartite_components, build_cases, with_members
from ecredit.detection.peeling import FoundBlock, peel_blocks
from ecredit.detection.rules import (
    HIT_COLUMNS,
    RULES,
    DetectionPolicy,
    Inputs,
    Manipulation,
    Role,
    load_policy,
    parcels,
    rule_policy,
    run_rule,
)
from ecredit.engines.base import Engine
from ecredit.evaluation.calendar import epoch_seconds
from ecredit.storage.database import connect

PHONE = r"^1[3-9][0-9]{9}$"
HIT_SCHEMA = pl.Schema(
    {
        "rule": pl.String,
        "manipulation": pl.String,
        "finding": pl.String,
        "entity_kind": pl.String,
        "entity_id": pl.String,
        "role": pl.String,
        "measure": pl.Float64,
        "first_at": pl.Datetime("us"),
        "last_at": pl.Datetime("us"),
    }
)


@dataclass(frozen=True)
class Detection:
    """Cases found, plus every hit behind them (for evaluation and for explaining a case)."""

    cases: list[Case]
    hits: pl.DataFrame


# --- inputs ----------------------------------------------------------------------------------


def _phone_prefixes(engine: Engine, database_url: str | None) -> nw.LazyFrame:
    """Stored mobile numbers are token, ciphertext, mask and prefix only: use the prefix.

    Generated files carry clear numbers, which start with their prefix.
    """
    if database_url is None:
        return (
            engine.read("subjects")
            .filter(nw.col("phone").str.contains(PHONE))
            .select("subject_id", nw.col("phone").alias("phone_prefix"))
        )
    db = connect(database_url)
    try:
        with db.connect() as conn:
            prefixes = pl.read_database(
                "SELECT subject_id, phone_prefix FROM subjects WHERE phone_prefix IS NOT NULL",
                conn,
                schema_overrides={"subject_id": pl.String, "phone_prefix": pl.String},
            )
    finally:
        db.dispose()
    return engine.from_arrow(prefixes.to_arrow())


def prepare_inputs(engine: Engine, database_url: str | None = None) -> Inputs:
    """Every frame the signals read, materialised once so no rule re-scans a source file."""
    names = ("orders", "products", "ratings", "logistics", "traffic", "subjects", "shops")
    data = {name: engine.materialise(engine.read(name)) for name in names}
    data["phone_prefixes"] = engine.materialise(_phone_prefixes(engine, database_url))
    data["parcels"] = engine.materialise(parcels(data))
    return data


def _hits_frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame.select(pl.col(name).cast(dtype) for name, dtype in HIT_SCHEMA.items())


def _as_hits(frame: pl.DataFrame, rule: str, manipulation: Manipulation | None) -> pl.DataFrame:
    """Hits of the signals computed in Python (blocks, farms, rating network) from their
    finding, entity_kind, entity_id, role and measure."""
    return frame.with_columns(
        pl.lit(rule).alias("rule"),
        pl.lit(manipulation.value if manipulation else None, dtype=pl.String).alias("manipulation"),
        pl.lit(None, dtype=pl.Datetime("us")).alias("first_at"),
        pl.lit(None, dtype=pl.Datetime("us")).alias("last_at"),
    ).select(pl.col(name).cast(dtype) for name, dtype in HIT_SCHEMA.items())


def rule_hits(engine: Engine, data: Inputs, policy: DetectionPolicy) -> pl.DataFrame:
    return pl.concat(
        [_hits_frame(engine.to_arrow(run_rule(rule, data, policy))) for rule in RULES],
        how="vertical",
    )


# --- account farms and dense blocks ----------------------------------------------------------


def identity_clusters(hits: pl.DataFrame, rules: Sequence[str]) -> pl.DataFrame:
    """Accounts tied together by shared devices, IPs or addresses: buyer_id → farm (its first
    account id), for accounts in at least one such finding."""
    links = hits.filter(pl.col("rule").is_in(list(rules)), pl.col("entity_kind") == "subject")
    links = links.select(
        pl.col("entity_id").alias("buyer_id"),
        pl.concat_str(["rule", "finding"], separator="\x1f").alias("finding"),
    )
    return (
        bipartite_components(links.get_column("buyer_id"), links)
        .with_columns(pl.col("buyer_id").min().over("component").alias("farm"))
        .select("buyer_id", "farm")
    )


def brushing_edges(
    engine: Engine, data: Inputs, clusters: pl.DataFrame, policy: DetectionPolicy
) -> nw.LazyFrame:
    """The buyer × shop graph the block searches run on: capped orders per (farm, shop).

    A farm is a set of accounts tied by shared identities (a lone account is a farm of one).
    Each account's orders at a shop count up to `max_orders_per_account`, so a loyal customer's
    hundred orders weigh like a few while a farm's many accounts add up. A pair where any of
    the farm's accounts rated the shop negatively is left out: such orders cannot inflate a
    reputation, and keeping them would make a malicious-review farm look like it brushes its
    victim.
    """
    farms = engine.from_arrow(clusters.to_arrow())
    orders = (
        data["orders"]
        .select("order_id", "buyer_id", "shop_id")
        .join(farms, on="buyer_id", how="left")
        .with_columns(nw.coalesce(nw.col("farm"), nw.col("buyer_id")).alias("farm"))
    )
    rejected = (
        data["ratings"]
        .filter(nw.col("direction") == "buyer_to_seller", nw.col("score") == -1)
        .join(orders, on="order_id")
        .select("farm", "shop_id")
        .unique()
    )
    cap = policy.dense_blocks.max_orders_per_account
    edges = (
        orders.join(rejected, on=["farm", "shop_id"], how="anti")
        .group_by("farm", "buyer_id", "shop_id")
        .agg(nw.len().alias("orders"))
        .group_by("farm", "shop_id")
        .agg(nw.min_horizontal(nw.col("orders"), nw.lit(cap)).sum().cast(nw.Int64).alias("links"))
        .rename({"farm": "buyer_id"})
    )
    return engine.materialise(edges)


def greedy_blocks(edges: pa.Table, policy: DetectionPolicy) -> list[FoundBlock]:
    """`dense_blocks.detect_brushing_rings` on the edge table, ids in and out.

    Edges are sorted first: the greedy breaks ties by node number, and engines return rows in
    no particular order, so unsorted input could give DuckDB and Spark different blocks.
    """
    edges = edges.sort_by([("buyer_id", "ascending"), ("shop_id", "ascending")])
    buyers = pc.dictionary_encode(edges.column("buyer_id")).combine_chunks()
    shops = pc.dictionary_encode(edges.column("shop_id")).combine_chunks()
    graph = dense_blocks.InteractionGraph.from_edges(
        buyers.indices.to_numpy(zero_copy_only=False),
        shops.indices.to_numpy(zero_copy_only=False),
        edges.column("links").to_numpy(),
    )
    p = policy.dense_blocks
    blocks = dense_blocks.detect_brushing_rings(
        graph,
        p.max_blocks,
        c=p.column_constant,
        null_weight=p.null_weight,
        min_density=p.min_density,
        min_lift=p.min_lift,
        min_score=p.min_score,
    )
    return [
        FoundBlock(
            buyers=tuple(sorted(buyers.dictionary.take(pa.array(b.buyers)).to_pylist())),
            shops=tuple(sorted(shops.dictionary.take(pa.array(b.shops)).to_pylist())),
            links=b.edges,
            expected_links=b.expected_edges,
            score=b.score,
        )
        for b in blocks
    ]


def find_blocks(engine: Engine, edges: nw.LazyFrame, policy: DetectionPolicy) -> list[FoundBlock]:
    p = policy.dense_blocks
    if p.method == "greedy":
        return greedy_blocks(engine.to_arrow(edges), policy)
    return peel_blocks(
        engine,
        edges,
        k=p.max_blocks,
        c=p.column_constant,
        null_weight=p.null_weight,
        epsilon=p.batch_epsilon,
        min_lift=p.min_lift,
        min_score=p.min_score,
    )


def _farm_accounts(clusters: pl.DataFrame) -> pl.DataFrame:
    """farm → its accounts, lone accounts being farms of one."""
    return clusters.rename({"buyer_id": "account"})


def block_hits(
    blocks: Sequence[FoundBlock], clusters: pl.DataFrame, policy: DetectionPolicy
) -> pl.DataFrame:
    """Blocks with enough accounts and shops, their farms expanded back into accounts."""
    farms = _farm_accounts(clusters)
    parts = []
    for number, block in enumerate(blocks, 1):
        nodes = pl.DataFrame({"farm": list(block.buyers)}, schema={"farm": pl.String})
        accounts = (
            nodes.join(farms, on="farm", how="left")
            .select(pl.coalesce("account", "farm").alias("account"))
            .get_column("account")
            .unique()
            .sort()
            .to_list()
        )
        if len(accounts) < policy.dense_blocks.min_buyers:
            continue
        if len(block.shops) < policy.dense_blocks.min_shops:
            continue
        finding = (
            f"#{number} {len(accounts)}×{len(block.shops)}, "
            f"{block.links}/{block.expected_links:.1f}"
        )
        members = pl.concat(
            [
                pl.DataFrame({"entity_id": accounts}).with_columns(
                    pl.lit("subject").alias("entity_kind"), pl.lit(Role.BUYER.value).alias("role")
                ),
                pl.DataFrame({"entity_id": list(block.shops)}).with_columns(
                    pl.lit("shop").alias("entity_kind"), pl.lit(Role.SHOP.value).alias("role")
                ),
            ]
        ).with_columns(pl.lit(finding).alias("finding"), pl.lit(block.score).alias("measure"))
        parts.append(_as_hits(members, "dense_block", Manipulation.BRUSHING))
    return pl.concat(parts) if parts else empty_hits()


def farm_order_hits(
    engine: Engine, edges: nw.LazyFrame, clusters: pl.DataFrame, policy: DetectionPolicy
) -> pl.DataFrame:
    """Shops a farm buys from far beyond what both sides' activity predicts, and that owe the
    farm a real share of their sales: camouflage lands on popular shops, where a farm's orders
    can beat the null model yet stay a sliver of the shop's business."""
    p = policy.farm_orders
    sizes = clusters.group_by("farm").agg(pl.len().cast(pl.Int64).alias("accounts"))
    farms = engine.from_arrow(
        sizes.filter(pl.col("accounts") >= p.min_accounts).rename({"farm": "buyer_id"}).to_arrow()
    )
    total = edges.select(nw.col("links").sum().alias("total"))
    buyer_degree = edges.group_by("buyer_id").agg(nw.col("links").sum().alias("d_b"))
    shop_degree = edges.group_by("shop_id").agg(nw.col("links").sum().alias("d_s"))
    expected = nw.col("d_b") * nw.col("d_s") / nw.col("total")
    observed = nw.col("links")
    score = observed * (observed / nw.col("expected")).log() - (observed - nw.col("expected"))
    pairs = (
        edges.join(farms, on="buyer_id")
        .filter(nw.col("links") >= p.min_orders)
        .join(buyer_degree, on="buyer_id")
        .join(shop_degree, on="shop_id")
        .join(total, how="cross")
        .with_columns(expected.alias("expected"))
        .with_columns((observed / nw.col("expected")).alias("lift"), score.alias("score"))
        .filter(
            nw.col("lift") >= p.min_lift,
            nw.col("score") >= p.min_score,
            nw.col("links") >= p.min_share_of_shop * nw.col("d_s"),
        )
        .select("buyer_id", "shop_id", "links", "expected", "lift")
    )
    found = pl.from_arrow(engine.to_arrow(pairs))
    assert isinstance(found, pl.DataFrame)
    if found.is_empty():
        return empty_hits()
    found = found.with_columns(
        pl.format(
            "{} @ {}, {}/{}",
            "buyer_id",
            "shop_id",
            "links",
            pl.col("expected").round(2),
        ).alias("finding")
    )
    accounts = found.join(_farm_accounts(clusters), left_on="buyer_id", right_on="farm").select(
        "finding",
        pl.lit("subject").alias("entity_kind"),
        pl.col("account").alias("entity_id"),
        pl.lit(Role.BUYER.value).alias("role"),
        pl.col("lift").alias("measure"),
    )
    shops = found.select(
        "finding",
        pl.lit("shop").alias("entity_kind"),
        pl.col("shop_id").alias("entity_id"),
        pl.lit(Role.SHOP.value).alias("role"),
        pl.col("lift").alias("measure"),
    )
    return _as_hits(pl.concat([accounts, shops]), "farm_orders", Manipulation.BRUSHING)


# --- rating network --------------------------------------------------------------------------


def rating_hits(engine: Engine, data: Inputs, policy: DetectionPolicy) -> pl.DataFrame:
    """Buyers whose ratings disagree with everyone else's (low REV2 fairness): supporting only,
    because an honest but unlucky customer disagrees too."""
    orders = data["orders"].select("order_id", "buyer_id", "shop_id")
    buyer_side = nw.col("direction") == "buyer_to_seller"
    rows = (
        data["ratings"]
        .filter(nw.col("kind") == "initial", ~nw.col("score").is_null())
        .join(orders, on="order_id")
        .select(
            nw.when(buyer_side)
            .then(nw.col("buyer_id"))
            .otherwise(nw.col("shop_id"))
            .alias("rater"),
            nw.when(buyer_side)
            .then(nw.col("shop_id"))
            .otherwise(nw.col("buyer_id"))
            .alias("ratee"),
            nw.col("score").cast(nw.Float64).alias("rating"),
            epoch_seconds(nw.col("rated_at")).cast(nw.Float64).alias("time"),
            buyer_side.alias("by_buyer"),
        )
    )
    table = engine.to_arrow(rows).sort_by(
        [("rater", "ascending"), ("ratee", "ascending"), ("time", "ascending")]
    )
    if table.num_rows == 0:
        return empty_hits()
    names = pa.chunked_array(
        [table.column("rater").combine_chunks(), table.column("ratee").combine_chunks()]
    )
    encoded = pc.dictionary_encode(names).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    n = table.num_rows
    scale = rating_network.RatingScale(-1.0, 1.0)
    net = rating_network.RatingNetwork(
        subjects=tuple(encoded.dictionary.to_pylist()),
        rater=codes[:n],
        ratee=codes[n:],
        rating=scale.normalise(table.column("rating").to_numpy()),
        time=table.column("time").to_numpy(),
        scale=scale,
    )
    fairness = rating_network.reputation(net).fairness
    given = np.bincount(net.rater, minlength=net.size)
    p = policy.rating_network
    buyers = np.unique(net.rater[table.column("by_buyer").to_numpy(zero_copy_only=False)])
    chosen = buyers[(fairness[buyers] <= p.max_fairness) & (given[buyers] >= p.min_ratings)]
    raters = pl.Series("entity_id", encoded.dictionary.take(pa.array(chosen)), dtype=pl.String)
    found = pl.DataFrame(
        {"finding": raters, "entity_id": raters, "measure": 1.0 - fairness[chosen]}
    )
    return _as_hits(
        found.with_columns(
            pl.lit("subject").alias("entity_kind"), pl.lit(Role.REVIEWER.value).alias("role")
        ),
        "rating_network",
        None,
    )


# --- assembling cases ------------------------------------------------------------------------


def merchant_hits(engine: Engine, data: Inputs, hits: pl.DataFrame) -> pl.DataFrame:
    """Every accused shop's merchant, accused with it in the same finding."""
    owners = pl.from_arrow(engine.to_arrow(data["shops"].select("shop_id", "merchant_id")))
    assert isinstance(owners, pl.DataFrame)
    shops = hits.filter(pl.col("entity_kind") == "shop", pl.col("role") == Role.SHOP.value)
    return (
        shops.join(owners, left_on="entity_id", right_on="shop_id")
        .with_columns(
            pl.lit("subject").alias("entity_kind"),
            pl.col("merchant_id").alias("entity_id"),
            pl.lit(Role.MERCHANT.value).alias("role"),
        )
        .select(HIT_COLUMNS)
    )


def signals(policy: DetectionPolicy) -> dict[str, Signal]:
    """Every signal by name, with the threshold and wording its evidence is written with."""
    found = {
        rule.name: Signal(
            rule.name,
            rule.manipulation,
            rule_policy(policy, rule.name).threshold,  # type: ignore[attr-defined]
            rule.evidence_zh,
            rule.evidence_en,
            rule_policy(policy, rule.name).model_dump(),
        )
        for rule in RULES
    }
    blocks, farms, ratings = policy.dense_blocks, policy.farm_orders, policy.rating_network
    found["dense_block"] = Signal(
        "dense_block",
        Manipulation.BRUSHING,
        blocks.min_score,
        "{count} 个买家×网店稠密子图：订单远多于按双方活跃度应有的数量"
        "（账户×网店，实际/预期订单 {finding}；泊松似然比 {measure:.0f}，阈值 {min_score:.0f}）",
        "{count} dense buyer × shop blocks with far more orders than both sides' "
        "activity predicts (accounts × shops, observed/expected orders {finding}; Poisson "
        "likelihood ratio {measure:.0f}, threshold {min_score:.0f})",
        blocks.model_dump(),
    )
    found["farm_orders"] = Signal(
        "farm_orders",
        Manipulation.BRUSHING,
        farms.min_lift,
        "{count} 次共用设备/IP/地址的账户群在同一网店购买远超预期，最高达预期的 {measure:.0f} 倍"
        "（账户群 @ 网店，实际/预期订单 {finding}）",
        "{count} times accounts sharing devices, IPs or addresses bought from one shop far above "
        "expectation, up to {measure:.0f}× (farm @ shop, observed/expected orders {finding})",
        farms.model_dump(),
    )
    found["rating_network"] = Signal(
        "rating_network",
        None,
        1.0 - ratings.max_fairness,
        "{count} 个评价人的评价与多数人明显不一致（REV2 公正度不高于 {max_fairness}）",
        "{count} raters whose ratings disagree with the consensus (REV2 fairness at most "
        "{max_fairness})",
        ratings.model_dump(),
    )
    return found


BUYING_ROLES = (Role.BUYER, Role.ACCOUNT, Role.REVIEWER)
SELLING_ROLES = (Role.SHOP, Role.TARGET)
MEMBER_SCHEMA = {
    "case_id": pl.String,
    "entity_kind": pl.String,
    "entity_id": pl.String,
    "role": pl.String,
}


def _pairs(cases: Sequence[Case], kind: str, roles: Sequence[Role], column: str) -> pl.DataFrame:
    return pl.DataFrame(
        [(c.case_id, i) for c in cases for i in c.ids(kind, roles)],
        schema={"case_id": pl.String, column: pl.String},
        orient="row",
    )


def _as_members(frame: pl.DataFrame, kind: str, column: str, role: Role) -> pl.DataFrame:
    return frame.select(
        "case_id",
        pl.lit(kind).alias("entity_kind"),
        pl.col(column).alias("entity_id"),
        pl.lit(role.value).alias("role"),
    )


def case_orders(engine: Engine, data: Inputs, cases: Sequence[Case]) -> pl.DataFrame:
    """Every order between a case's accused buyers (or reviewers) and its shops, and every
    buyer rating on them: for a ring, the fake orders to reverse and the ratings that must stop
    counting; for a review campaign, the purchases and the reviews, follow-ups included."""
    buyers = _pairs(cases, "subject", BUYING_ROLES, "buyer_id")
    shops = _pairs(cases, "shop", SELLING_ROLES, "shop_id")
    if buyers.is_empty() or shops.is_empty():
        return pl.DataFrame(schema=MEMBER_SCHEMA)
    orders = engine.materialise(
        data["orders"]
        .select("order_id", "buyer_id", "shop_id")
        .join(engine.from_arrow(buyers.to_arrow()), on="buyer_id")
        .join(engine.from_arrow(shops.to_arrow()), on=["case_id", "shop_id"])
        .select("case_id", "order_id")
    )
    ratings = (
        data["ratings"]
        .filter(nw.col("direction") == "buyer_to_seller")
        .select("rating_id", "order_id")
        .join(orders, on="order_id")
        .select("case_id", "rating_id")
    )
    found_orders = pl.from_arrow(engine.to_arrow(orders))
    found_ratings = pl.from_arrow(engine.to_arrow(ratings))
    assert isinstance(found_orders, pl.DataFrame) and isinstance(found_ratings, pl.DataFrame)
    return pl.concat(
        [
            _as_members(found_orders, "order", "order_id", Role.ORDER),
            _as_members(found_ratings, "rating", "rating_id", Role.RATING),
        ]
    )


def empty_hits() -> pl.DataFrame:
    return pl.DataFrame(schema=HIT_SCHEMA)


def detect(
    engine: Engine, policy: DetectionPolicy | None = None, *, database_url: str | None = None
) -> Detection:
    """Run every signal on the engine's inputs and return the cases they add up to."""
    policy = policy or load_policy()
    data = prepare_inputs(engine, database_url)
    hits = rule_hits(engine, data, policy)
    clusters = identity_clusters(hits, policy.dense_blocks.merge_identities)
    edges = brushing_edges(engine, data, clusters, policy)
    found = pl.concat(
        [
            hits,
            block_hits(find_blocks(engine, edges, policy), clusters, policy),
            farm_order_hits(engine, edges, clusters, policy),
            rating_hits(engine, data, policy),
        ]
    )
    found = pl.concat([found, merchant_hits(engine, data, found)])
    cases = build_cases(found, signals(policy), policy)
    return Detection(with_members(cases, case_orders(engine, data, cases)), found)
