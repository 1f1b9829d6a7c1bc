"""The what-if model: assumptions, projection, scenarios, optimiser, uncertainty, the studio's presenter."""
