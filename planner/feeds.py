"""The secret calendar-feed URL of a plan.

Calendar apps subscribe to `/api/v1/feeds/<token>.ics` without a session, so
the token is the only key: long and random (planner.models.new_feed_token).
Rotating it revokes every URL handed out before.
"""

from planner.models import Plan, new_feed_token


def plan_feed_rotate(*, plan: Plan) -> Plan:
    """Give `plan` a new feed token; the old feed URL stops working at once."""
    plan.feed_token = new_feed_token()
    plan.save(update_fields=["feed_token"])
    return plan


def plan_by_feed_token(token: str) -> Plan | None:
    """The plan a feed URL points to, or None (unknown or revoked token)."""
    if not token:
        return None
    return Plan.objects.select_related("team").filter(feed_token=token).first()
