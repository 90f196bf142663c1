"""What the bot answers: topics, passage ranking, and what the guide does not cover."""

from bot.answers.topics import Advisor, Answer, Button, Say, literal

__all__ = ["Advisor", "Answer", "Button", "Say", "literal"]
