"""The monthly multi-agency review: review check-ins, decisions, the review pack."""
