"""Thin views: validate the input, call one selector or service, serialize the answer."""
