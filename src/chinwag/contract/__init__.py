"""Twilio's OpenAPI spec for Conversations v1, shipped with chinwag (see SOURCE.md), and what is
derived from it: the implemented subset (`spec`) and the coverage matrix (`coverage`)."""
