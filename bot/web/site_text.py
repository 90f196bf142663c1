# ruff: noqa: E501  (sentences of the site, kept whole to be read and translated)
"""The site's own words (navigation, headings, the widget's texts) in English
and French; the facts on the pages come from the knowledge base, in the page's
language (:meth:`bot.knowledge.queries.KnowledgeBase.in_language`)."""

from __future__ import annotations

# The URL prefix of each language's pages: "/" and "/fr/".
PREFIXES = {"en": "", "fr": "/fr"}

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "site_title": "Become an AI project manager",
        "colon": ": ",
        "skip": "Skip to content",
        "nav_label": "Main",
        "nav_home": "Become an AI PM",
        "nav_programmes": "Programmes",
        "nav_privacy": "Your data",
        "switch": "Français",
        "switch_label": "Ce site en français",
        "unavailable": "Our content is unavailable right now. Please try again in a moment.",
        "footer": "Answers come from AI2's guide “How to Become an AI Project Manager?”.",
        "start_over": "Start the conversation over",
        "announcer": "New messages from the advisor",
        "home_h1": "How to become an AI project manager",
        "home_ask": "Ask the advisor in the corner of the page anything about the role, the skills, degrees, salaries and AI2's programmes.",
        "why": "Why AI2",
        "to_apply": "To apply, say “I want to apply” to the advisor.",
        "privacy_title": "Your data",
        # The widget (bot/web/static/chat.js reads them from data- attributes).
        "chat_title": "AI Career Advisor",
        "chat_subtitle": "AI2 School",
        "chat_placeholder": "Ask about becoming an AI project manager…",
        "chat_unreachable": "The advisor can't be reached right now. Reconnecting… you can type again as soon as it is back.",
        "chat_open": "Open the AI Career Advisor chat",
        "chat_close": "Close the chat",
        "chat_input": "Your message to the advisor",
        "chat_send": "Send",
        "chat_log": "Conversation with the advisor",
        "chat_speaker": "Advisor",
    },
    "fr": {
        "site_title": "Devenir chef de projet IA",
        "colon": " : ",
        "skip": "Aller au contenu",
        "nav_label": "Navigation principale",
        "nav_home": "Devenir chef de projet IA",
        "nav_programmes": "Formations",
        "nav_privacy": "Vos données",
        "switch": "English",
        "switch_label": "This site in English",
        "unavailable": "Notre contenu est indisponible pour le moment. Merci de réessayer dans un instant.",
        "footer": "Les réponses viennent du guide d'AI2 « How to Become an AI Project Manager? ».",
        "start_over": "Recommencer la conversation",
        "announcer": "Nouveaux messages du conseiller",
        "home_h1": "Comment devenir chef de projet IA",
        "home_ask": "Posez vos questions au conseiller, dans le coin de la page : le métier, les compétences, les diplômes, les salaires et les formations d'AI2.",
        "why": "Pourquoi AI2",
        "to_apply": "Pour candidater, dites « je veux candidater » au conseiller.",
        "privacy_title": "Vos données",
        "chat_title": "Conseiller carrière IA",
        "chat_subtitle": "École AI2",
        "chat_placeholder": "Posez votre question sur le métier de chef de projet IA…",
        "chat_unreachable": "Le conseiller est injoignable pour le moment. Reconnexion en cours… vous pourrez écrire dès son retour.",
        "chat_open": "Ouvrir la conversation avec le conseiller carrière IA",
        "chat_close": "Fermer la conversation",
        "chat_input": "Votre message au conseiller",
        "chat_send": "Envoyer",
        "chat_log": "Conversation avec le conseiller",
        "chat_speaker": "Conseiller",
    },
}
