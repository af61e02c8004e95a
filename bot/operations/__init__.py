"""Operating Relais: `relais doctor` and the checks it runs."""
