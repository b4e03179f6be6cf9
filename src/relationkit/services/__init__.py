"""The kit's services: each orchestrates one area over the unit of work."""
