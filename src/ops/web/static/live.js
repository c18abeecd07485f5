// The live pages: listens to /work/events (server-sent events) and, without reloading, refreshes the parts of the
// page marked data-live-part (the whole <main> when none is), shows the notices the server wrote in the reader's
// language, and on a ticket page says when the ticket changed under the reader, never touching what they typed.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || !window.EventSource) return;
  var ticket = root.dataset.ticket;
  var source = new EventSource("/work/events" + (ticket ? "?ticket=" + encodeURIComponent(ticket) : ""));
  var busy = false, again = false;
  var MAX_NOTICES = 4, STATUS_SECONDS = 20;

  function notice(text, kind) {
    if (!text) return;
    var box = document.getElementById("live-notices");
    var item = document.createElement("p");
    item.className = "live-notice card " + (kind || "");
    item.setAttribute("role", kind === "giveback_warning" || kind === "changed" ? "alert" : "status");
    item.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "link";
    close.textContent = "×";
    close.setAttribute("aria-label", root.dataset.close || "Close");
    close.addEventListener("click", function () { item.remove(); });
    item.appendChild(close);
    box.appendChild(item);
    // The page stays readable under a burst of news: at most MAX_NOTICES at once (the oldest goes first), and a
    // plain status fades after STATUS_SECONDS; a warning or a "changed under you" stays until it is closed.
    while (box.children.length > MAX_NOTICES) box.removeChild(box.firstChild);
    if (item.getAttribute("role") === "status") setTimeout(function () { item.remove(); }, STATUS_SECONDS * 1000);
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.pathname + location.search, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var parts = document.querySelectorAll("[data-live-part]");
        if (!parts.length) {
          var main = document.querySelector("main"), next = fresh.querySelector("main");
          if (main && next) main.innerHTML = next.innerHTML;
          return;
        }
        parts.forEach(function (part) {
          var replacement = fresh.getElementById(part.id);
          if (replacement) part.replaceWith(replacement);
        });
      })
      .catch(function () { /* the next news tries again; a reload is always right */ })
      .finally(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  source.addEventListener("ticket", function (event) {
    var news = JSON.parse(event.data);
    if (ticket) {
      if (String(news.ticket) === ticket && !news.by_me && news.version > Number(root.dataset.version || 0)) {
        root.dataset.version = String(news.version);
        notice(news.changed, "changed");
      }
      return;
    }
    notice(news.text, news.notice);
    refresh();
  });

  source.addEventListener("presence", function (event) {
    var names = JSON.parse(event.data).names, line = document.getElementById("presence");
    if (!line) return;
    line.querySelector(".names").textContent = names.join(", ");
    line.hidden = names.length === 0;
  });

  source.addEventListener("ready", function () {
    // Listening from now on: what happened between this page's rendering and the stream's opening (or while it
    // was reopening) is caught up once. A ticket page is never refreshed: it holds what the reader types.
    if (!ticket) refresh();
    root.dataset.connected = "1";
  });
})();
