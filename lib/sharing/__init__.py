"""What a shared deployment may show and to whom: allow-list and disclosure control."""
