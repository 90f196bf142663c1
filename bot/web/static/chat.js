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

  // The page's language (its <html lang>, set by the site): the greeting of a
  // new conversation sets the bot's `language` slot to it, and the widget's
  // own texts come from the page (bot/web/site_text.py).
  var language = element.dataset.language === "fr" ? "fr" : "en";
  var unreachable = element.dataset.unreachable;

  window.WebChat.default(
    {
      socketUrl: element.dataset.socketUrl,
      socketPath: "/socket.io/",
      initPayload: '/greet{"language": "' + language + '"}',
      customData: { language: language, page: window.location.pathname },
      title: element.dataset.title,
      subtitle: element.dataset.subtitle,
      inputTextFieldHint: element.dataset.placeholder,
      params: { storage: "local" },
      hideWhenNotConnected: false,
      showFullScreenButton: false,
      displayUnreadCount: true,
      // rasa-webchat 1.0.1 shows typing dots before every bot message for
      // 30 ms a character, 0.8 to 3 s: a three-bubble answer took 9 s to
      // show. A short pause (0.15 to 0.4 s) still reads as one message after
      // another; the whole answer is on screen well within 2 s.
      customMessageDelay: function (text) {
        return Math.min(400, 150 + 2 * (text || "").length);
      },
      onSocketEvent: {
        connect: function () { show(""); },
        disconnect: function () { show(unreachable); },
        connect_error: function () { show(unreachable); },
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
  var texts = document.getElementById("webchat").dataset;
  var LABELS = [
    [".rw-launcher", texts.labelOpen],
    [".rw-close-button", texts.labelClose],
    [".rw-new-message", texts.labelInput],
    [".rw-send", texts.labelSend],
  ];
  function label() {
    LABELS.forEach(function (pair) {
      document.querySelectorAll(pair[0]).forEach(function (node) {
        if (!node.getAttribute("aria-label")) node.setAttribute("aria-label", pair[1]);
      });
    });
    var log = document.querySelector(".rw-messages-container");
    if (log && !log.getAttribute("role")) {
      // The record of the conversation; new bot messages are announced by
      // #chat-announcer alone (not the typing dots, not the visitor's own).
      log.setAttribute("role", "log");
      log.setAttribute("aria-live", "off");
      log.setAttribute("aria-label", texts.labelLog);
      log.setAttribute("tabindex", "0");
    }
    // Quick replies are <div>s with a click handler only: make them buttons
    // that Tab reaches and Enter or Space presses.
    document.querySelectorAll(".rw-replies .rw-reply").forEach(function (reply) {
      if (reply.tagName === "A" || reply.getAttribute("role")) return;
      reply.setAttribute("role", "button");
      reply.setAttribute("tabindex", "0");
    });
    announce(log);
  }

  var announcer = document.getElementById("chat-announcer");
  var announced = -1; // bot messages already on screen when the page opened

  function announce(log) {
    if (!log || !announcer) return;
    var messages = log.querySelectorAll(
      ".rw-group-message.rw-from-response .rw-message:not(.rw-typing-indication) .rw-response"
    );
    if (announced < 0 || messages.length < announced) {
      announced = messages.length; // a stored conversation: not read out again
      return;
    }
    for (var i = announced; i < messages.length; i++) {
      var line = document.createElement("p");
      line.textContent = texts.speaker + ": " + messages[i].innerText;
      announcer.appendChild(line);
    }
    announced = messages.length;
    while (announcer.childElementCount > 10) announcer.removeChild(announcer.firstChild);
  }

  document.addEventListener("keydown", function (event) {
    var reply = event.target.closest && event.target.closest(".rw-replies .rw-reply[role=button]");
    if (!reply || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    reply.click();
  });
  new MutationObserver(label).observe(document.body, { childList: true, subtree: true });
  label();
})();

/* Order. rasa-webchat shows a visitor's message at once but the bot's after
   its typing pause, so a message sent before the greeting (or before the last
   bubble of an answer) would appear above it. Until the greeting is on screen,
   and while the dots show, a message sent or a button pressed is held and
   sent as soon as the bot's messages are all shown. */
(function () {
  "use strict";
  var held = null; // the form to submit, or the button to press, when ready

  function ready() {
    var log = document.querySelector(".rw-messages-container");
    if (!log || log.querySelector(".rw-typing-indication")) return false;
    return log.querySelector(".rw-from-response") !== null;
  }

  function hold(event) {
    var target = event.target;
    if (!target.closest) return;
    var form = event.type === "submit" ? target.closest(".rw-sender") : null;
    var reply = event.type === "click" ? target.closest(".rw-reply") : null;
    if ((!form && !reply) || ready()) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    held = form || reply;
    var log = document.querySelector(".rw-messages-container");
    if (log) log.setAttribute("aria-busy", "true");
  }

  function release() {
    if (!held || !ready()) return;
    var target = held;
    held = null;
    var log = document.querySelector(".rw-messages-container");
    if (log) log.removeAttribute("aria-busy");
    if (target.classList.contains("rw-sender")) {
      target.dispatchEvent(new Event("submit", { cancelable: true }));
    } else {
      target.click();
    }
  }

  document.addEventListener("submit", hold, true);
  document.addEventListener("click", hold, true);
  new MutationObserver(release).observe(document.body, { childList: true, subtree: true });
})();
