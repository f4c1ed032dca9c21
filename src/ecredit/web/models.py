"""Shapes of what the web layer returns: the API's schemas and the templates' data."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class Label(BaseModel):
    zh: str
    en: str


class SubjectSummary(BaseModel):
    subject_id: str
    name: str
    """Organisations by name; persons with the name masked (张**)."""
    subject_type: str
    type_name: Label
    legal_form: str
    uscc: str | None
    region: str | None
    matched_shop: str | None = None


class Shop(BaseModel):
    shop_id: str
    name: str
    platform_id: str
    platform_name: str
    category: str | None
    opened_on: date


class Record(BaseModel):
    record_id: str
    type_code: str
    type_name: Label
    record_class: str
    class_name: Label
    severity: str
    decided_on: date
    source_kind: str
    source_name: str
    document_no: str | None
    summary: str | None
    status: str
    display_ends_on: date | None
    """First day no longer shown; None while the fact holds (licences, registration)."""


class StatusChange(BaseModel):
    status: str
    changed_at: datetime
    actor: str
    reason: str


class ArchivedRecord(Record):
    shown_publicly: bool
    history: list[StatusChange]


class Verification(BaseModel):
    verified: bool
    checked_on: date | None
    reverification_due: bool
    licences: list[Record]


class Reason(BaseModel):
    zh: str
    en: str


class EvaluationView(BaseModel):
    score: float
    grade: str
    grade_name: Label
    risk_class: str | None
    as_of: date | None
    model_version: str
    reasons: list[Reason]


class NodeOrigin(BaseModel):
    """The trusted node (节点) a listing or an evaluation came from, as registered here: its
    decision or opinion, shown as such and never as this node's own."""

    node_id: str
    name: str
    authority: str
    authority_name: Label


class PeerEvaluationView(BaseModel):
    """Another node's evaluation of the subject, on that node's own model: shown beside this
    node's, never merged with it, so its grade carries no name from this node's scale."""

    origin: NodeOrigin
    score: float
    grade: str
    risk_class: str | None
    as_of: date
    model_version: str
    reasons: list[Reason]


class BuyerCreditView(BaseModel):
    """A buyer's credit points (买家信用积分) from sellers' ratings, as of a stored run."""

    buyer_id: str
    points: int
    level: int
    level_name: Label | None
    """Name of the level in the rating policy's table (一心 … 五金冠); none at level 0."""
    as_of: date
    run_id: int


class Profile(BaseModel):
    subject: SubjectSummary
    registered_on: date
    ric_masked: str | None
    verification: Verification
    shops: list[Shop]
    commitments: list[Record]
    records: list[Record]
    evaluation: EvaluationView | None
    lists: list[ListStatus] | None
    """This node's own listings in force."""
    peer_lists: list[ListStatus] | None = None
    """Listings in force that trusted nodes decided, each with its `origin`."""
    measures: list[Measure] | None
    """Joint measures in force here, from this node's listings and from the trusted nodes'
    listings it applies (those with an `origin`)."""
    peer_evaluations: list[PeerEvaluationView] = []
    """Each trusted node's latest evaluation of the subject, with its `origin`."""
    notices: list[Notice] | None
    capabilities: dict[str, bool]
    """Which optional capabilities answered; a missing one is not installed, not empty."""


class RatingCounts(BaseModel):
    good: int
    neutral: int
    bad: int
    positive_rate: float | None
    """The evaluation's positive rate (deduplicated per rater and week), when evaluated."""


class DsrScore(BaseModel):
    dimension: str
    name: Label
    average: float | None
    count: int


class RatingsSummary(BaseModel):
    subject_id: str
    window_days: int
    counts: RatingCounts
    dsr: list[DsrScore]
    follow_ups: int
    credit_level: Label | None


class Complaint(BaseModel):
    complaint_id: str
    channel: str
    target_id: str
    shop_id: str | None
    order_id: str | None
    category: str
    received_at: datetime
    status: str
    outcome: str | None
    resolved_at: datetime | None


class Archive(BaseModel):
    profile: Profile
    records: list[ArchivedRecord]
    complaints: list[Complaint]


class TraceEvent(BaseModel):
    at: datetime | None
    stage: str
    """listed, ordered, paid, shipped, scan_<type>, rated, complained, resolved, delisted, gap."""
    name: Label
    detail: str | None = None
    gap: bool = False


class OrderTrace(BaseModel):
    order_id: str
    shop_id: str
    merchant_id: str
    platform_id: str
    buyer_id: str
    product_id: str
    gtin: str
    title: str
    status: str
    events: list[TraceEvent]
    gaps: int


class OrderLine(BaseModel):
    order_id: str
    ordered_at: datetime
    status: str
    stages: list[str]
    gaps: int


class Listing(BaseModel):
    product_id: str
    title: str
    shop_id: str
    shop: str
    merchant_id: str
    platform_id: str
    listed_at: datetime
    delisted_at: datetime | None


class ProductTrace(BaseModel):
    gtin: str
    listings: list[Listing]
    orders: list[OrderLine]
    total_orders: int
    orders_with_gaps: int


class ListStatus(BaseModel):
    entry_id: str
    list_code: str
    name: Label
    polarity: str
    """red (红名单) or black (黑名单); `unknown` for a trusted node's list this node does not
    define (shown, but no measure here follows from it)."""
    decided_on: date | None
    ends_on: date | None
    reasons: list[Reason]
    decided_by: str | None = None
    """The deciding authority (决定机关) and its decision document (文书号)."""
    document_no: str | None = None
    origin: NodeOrigin | None = None
    """None for this node's own listing, else the trusted node that decided it."""


class Measure(BaseModel):
    measure: str
    name: Label
    list_code: str
    executors: list[str]
    since: date
    until: date
    entry_id: str | None = None
    """The listing the measure follows from, with its decision."""
    decided_by: str | None = None
    document_no: str | None = None
    origin: NodeOrigin | None = None
    """None when this node's own listing triggers it, else the trusted node whose listing
    this node applies (联合奖惩)."""


class Notice(BaseModel):
    warning_id: str
    level: str
    message: Label
    shown_from: date | None
    shown_until: date | None


class QueueItem(BaseModel):
    workflow: str
    case_id: str
    subject_id: str
    kind: str | None
    record_id: str | None
    last_event: str
    last_event_label: str
    last_at: datetime
    events: int


Profile.model_rebuild()
Archive.model_rebuild()
