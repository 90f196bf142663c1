"""AI Career Advisor: the project's own package (knowledge base, NLP build, CLI)."""
