"""Relais: the application (configuration, chat layer, use cases, channels, scheduler, CLI)."""
