"""Sites, supplies, funding sources and par levels: create, edit, deactivate."""
