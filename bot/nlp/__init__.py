"""The NLP assets the project builds from the knowledge base."""
