"""Channel adapters: console, Telegram, Matrix. Only the adapters import a network library."""
