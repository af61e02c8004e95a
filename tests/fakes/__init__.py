"""Fakes used by the tests: a fake Bot API server, a Synapse launcher, recording channels."""
