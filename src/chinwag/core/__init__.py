"""Pure building blocks shared by every layer: SIDs, errors, clock, pagination."""
