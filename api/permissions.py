"""Who may do what: anyone reads the knowledge base, staff write it, plans are private.

Plans need no object permission: their querysets are filtered by owner, so
another user's plan is a 404, never a 403 that would confirm it exists.
"""

from rest_framework import permissions


class IsStaffOrReadOnly(permissions.BasePermission):
    """Reads for everyone (anonymous included), writes for staff only."""

    anonymous_read = True  # api.schema marks safe methods as needing no authentication

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class IsStaff(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class Anyone(permissions.AllowAny):
    """AllowAny, but read as 'authentication optional' by api.schema too."""

    anonymous_read = True
