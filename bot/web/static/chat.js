/* Starts the rasa-webchat widget on every page (settings from data- attributes,
   so that the Content-Security-Policy can forbid inline scripts). */
(function () {
  "use strict";
  var SESSION_KEY = "chat_session"; // where rasa-webchat keeps the conversation (localStorage)
  var element = document.getElementById("webchat");
  var status = document.getElementById("chat-status");

  function show(message) {
    status.textContent = message;
    status.hidden = !message;
  }

  window.WebChat.default(
    {
      socketUrl: element.dataset.socketUrl,
      socketPath: "/socket.io/",
      initPayload: "/greet",
      customData: { language: "en", page: window.location.pathname },
      title: "AI Career Advisor",
      subtitle: "AI2 School",
      inputTextFieldHint: "Ask about becoming an AI project manager…",
      params: { storage: "local" },
      hideWhenNotConnected: false,
      showFullScreenButton: false,
      displayUnreadCount: true,
      onSocketEvent: {
        connect: function () { show(""); },
        disconnect: function () {
          show("The advisor can't be reached right now. Reconnecting… you can type again as soon as it is back.");
        },
        connect_error: function () {
          show("The advisor can't be reached right now. Reconnecting… you can type again as soon as it is back.");
        },
      },
    },
    null
  );

  document.getElementById("start-over").addEventListener("click", function () {
    window.localStorage.removeItem(SESSION_KEY);
    window.location.reload();
  });
})();

/* rasa-webchat 1.0.1 renders its launcher, text box and send button without
   accessible names; give them labels a screen reader can announce. */
(function () {
  "use strict";
  var LABELS = [
    [".rw-launcher", "Open the AI Career Advisor chat"],
    [".rw-close-button", "Close the chat"],
    [".rw-new-message", "Your message to the advisor"],
    [".rw-send", "Send"],
  ];
  function label() {
    LABELS.forEach(function (pair) {
      document.querySelectorAll(pair[0]).forEach(function (node) {
        if (!node.getAttribute("aria-label")) node.setAttribute("aria-label", pair[1]);
      });
    });
    var log = document.querySelector(".rw-messages-container");
    if (log && !log.getAttribute("role")) {
      log.setAttribute("role", "log");
      log.setAttribute("aria-live", "polite");
      log.setAttribute("aria-label", "Conversation with the advisor");
    }
  }
  new MutationObserver(label).observe(document.body, { childList: true, subtree: true });
  label();
})();
