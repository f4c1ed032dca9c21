"""Governance application services: plain functions over an engine, for the CLI and the API.

Each takes a `sa.Engine` (and, for actions, the acting person and an optional `now` for
replays and tests) and returns domain dataclasses. Functions that change a record take an
`Evaluator` port and re-evaluate the subject after committing.
"""

from ecredit.governance.services.archive import archive, history, public_records
from ecredit.governance.services.cases import record_confirmed_case, sync_confirmed_cases
from ecredit.governance.services.commitments import (
    breach_commitment,
    get_commitment,
    list_commitments,
    sign_commitment,
)
from ecredit.governance.services.complaints import (
    ComplaintIntake,
    compensate,
    file_complaint,
    get_complaint,
    handle_complaint,
    overdue_complaints,
    reported_party_view,
    scan_complaint_surges,
)
from ecredit.governance.services.evaluation import (
    note_score,
    note_scores,
    pending_reevaluations,
    reevaluate,
)
from ecredit.governance.services.lists import (
    close_expired,
    decide_listing,
    listings,
    peer_listings_in_force,
    propose_listings,
    publish_listing,
    reject_listing,
    remove_listing,
)
from ecredit.governance.services.measures import measures_for, report_execution
from ecredit.governance.services.objections import (
    decide_objection,
    extend_objection,
    file_objection,
    get_objection,
    list_objections,
    withdraw_objection,
)
from ecredit.governance.services.repair import (
    apply_for_repair,
    decide_repair,
    get_repair,
    list_repairs,
)
from ecredit.governance.services.retention import purge
from ecredit.governance.services.verification import (
    due_for_reverification,
    record_verification,
    verification_status,
)
from ecredit.governance.services.warnings import (
    WebhookNotifier,
    deliver_warnings,
    list_warnings,
    public_notices,
    publish_notice,
    withdraw_notice,
)

__all__ = [
    "ComplaintIntake",
    "WebhookNotifier",
    "apply_for_repair",
    "archive",
    "breach_commitment",
    "close_expired",
    "compensate",
    "decide_listing",
    "decide_objection",
    "decide_repair",
    "deliver_warnings",
    "due_for_reverification",
    "extend_objection",
    "file_complaint",
    "file_objection",
    "get_commitment",
    "get_complaint",
    "get_objection",
    "get_repair",
    "handle_complaint",
    "history",
    "list_commitments",
    "list_objections",
    "list_repairs",
    "list_warnings",
    "listings",
    "measures_for",
    "note_score",
    "note_scores",
    "overdue_complaints",
    "peer_listings_in_force",
    "pending_reevaluations",
    "propose_listings",
    "public_notices",
    "public_records",
    "publish_listing",
    "publish_notice",
    "purge",
    "record_confirmed_case",
    "record_verification",
    "reevaluate",
    "reject_listing",
    "remove_listing",
    "report_execution",
    "reported_party_view",
    "scan_complaint_surges",
    "sign_commitment",
    "sync_confirmed_cases",
    "verification_status",
    "withdraw_notice",
    "withdraw_objection",
]
