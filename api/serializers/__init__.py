"""Serializers: input validation for requests, and the documented shape of responses."""
