"""The fields every case has, whatever its type; workflow files add their own beside them."""

COMMON_FIELDS: tuple[str, ...] = (
    "title",
    "objectives",
    "activities",
    "expected_results",
    "channel_reference",
    "channel_date",
    "focal_point_name",
    "focal_point_email",
    "recipient_institutions",
    "planned_start",
    "planned_end",
    "budget",
    "funding_source",
    "recommendations",
    "sdg_targets",
    "themes",
    "consent_to_publish",
)

# Never on the public record, whatever a workflow file says: people and the consent itself.
NEVER_PUBLIC: frozenset[str] = frozenset({"focal_point_name", "focal_point_email", "consent_to_publish"})

FUNDING_SOURCES: tuple[str, ...] = ("vftc", "upr_fund", "regular_budget", "extrabudgetary", "other")
RECOMMENDATION_MECHANISMS: tuple[str, ...] = ("upr", "treaty_body", "special_procedure")
