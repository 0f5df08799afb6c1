"""Rules of the Conversations API: no HTTP, no SQL (repositories are passed in as a Tx)."""
