// The try-it phone: sends what is typed to the page's send URL, shows the number's thread from
// the message log, and looks for new messages (reminders, a late reply) every few seconds.
// A call mode would be one more entry in `modes`, driving the voice webhook the same way.
(function () {
  "use strict";
  var root = document.getElementById("tryit");
  if (!root) {
    return;
  }
  var screen = document.getElementById("tryit-screen");
  var form = document.getElementById("tryit-compose");
  var input = document.getElementById("tryit-text");
  var number = document.getElementById("tryit-number");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var shown = "";
  var busy = false;

  function bubble(message) {
    var item = document.createElement("div");
    item.className = "tryit-bubble " + (message.incoming ? "tryit-in" : "tryit-out");
    item.setAttribute("data-id", String(message.id));
    var text = document.createElement("div");
    text.className = "tryit-text";
    text.textContent = message.text;
    var meta = document.createElement("div");
    meta.className = "tryit-meta";
    meta.textContent = message.at + (message.note ? " \u00b7 " + message.note : "");
    item.appendChild(text);
    item.appendChild(meta);
    return item;
  }

  function show(data) {
    number.textContent = data.number;
    var key = JSON.stringify(data);
    if (key === shown) {
      return;
    }
    shown = key;
    screen.replaceChildren.apply(screen, data.messages.map(bubble));
    screen.scrollTop = screen.scrollHeight;
    root.setAttribute("data-count", String(data.messages.length));
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": token },
      body: body,
      credentials: "same-origin",
    }).then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.json();
    });
  }

  function refresh() {
    if (busy) {
      return Promise.resolve();
    }
    return fetch(root.getAttribute("data-thread-url"), { credentials: "same-origin" })
      .then(function (response) {
        return response.json();
      })
      .then(show)
      .catch(function () {});
  }

  var modes = {
    sms: function (text) {
      var body = new FormData();
      body.append("text", text);
      return post(root.getAttribute("data-send-url"), body);
    },
  };

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) {
      return;
    }
    busy = true;
    root.setAttribute("data-busy", "1");
    screen.appendChild(bubble({ id: 0, incoming: false, text: text, at: "", note: "" }));
    input.value = "";
    modes.sms(text)
      .then(show)
      .catch(function (error) {
        root.setAttribute("data-error", error.message);
      })
      .then(function () {
        busy = false;
        root.removeAttribute("data-busy");
        input.focus();
      });
  });

  document.getElementById("tryit-new").addEventListener("click", function () {
    post(root.getAttribute("data-new-url"), new FormData()).then(show);
  });

  refresh();
  window.setInterval(refresh, 5000);
})();
