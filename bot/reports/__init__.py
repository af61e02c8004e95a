"""Evidence for the programme: the monthly evaluation report and the small-number rule."""
