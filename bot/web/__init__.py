"""The project's web app: the site with the chat widget (later, the staff console)."""
