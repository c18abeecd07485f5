// The work pages' keyboard shortcuts and the ticket page's canned replies, in a file (the Content-Security-Policy
// runs no inline handler). The set is the cheat sheet's (work_shortcuts.html) and README's: single keys, only
// outside text boxes and never with Ctrl, Alt or Meta, so neither the browser's Alt+letter keys nor a screen
// reader's browse-mode keys are taken; "?" lists them and can turn them off (kept in this browser).
(function () {
  "use strict";
  var OFF = "ops.shortcuts.off";
  var dialog = document.getElementById("shortcuts");
  var offBox = document.getElementById("shortcuts-off");
  var pendingG = false;

  function off() { try { return localStorage.getItem(OFF) === "1"; } catch (e) { return false; } }
  if (offBox) {
    offBox.checked = off();
    offBox.addEventListener("change", function () {
      try { localStorage.setItem(OFF, offBox.checked ? "1" : "0"); } catch (e) { /* private mode: stays on */ }
    });
  }
  function openHelp() { if (dialog && !dialog.open) { dialog.showModal(); } }
  document.getElementById("shortcuts-open")?.addEventListener("click", openHelp);

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function reveal(el) {
    for (var p = el.parentElement; p; p = p.parentElement) { if (p.tagName === "DETAILS") { p.open = true; } }
  }
  function go(key) {
    var target = document.querySelector('[data-key="' + key + '"]');
    if (key === "c") { target = document.getElementById("thread"); }
    if (key === "h") { target = document.getElementById("history"); }
    if (key === "p" && !target) { target = document.getElementById("procedure"); }
    if (!target) { return false; }
    if (target.tagName === "SUMMARY") {
      var box = target.parentElement;
      box.open = true;
      var field = box.querySelector("textarea, input:not([type=hidden])");
      (field || target).focus();
      return true;
    }
    reveal(target);
    if (key === "n" && target.tagName === "BUTTON") { target.click(); return true; }
    target.focus();
    if (target.scrollIntoView) { target.scrollIntoView({ block: "nearest" }); }
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) { return; }
    if (event.key === "Escape" && typing(document.activeElement) && !menuOpen()) { document.activeElement.blur(); return; }
    if (typing(event.target) || (dialog && dialog.open) || off()) {
      if (event.key === "?" && !typing(event.target) && !off()) { event.preventDefault(); }
      return;
    }
    if (pendingG) {
      pendingG = false;
      if (event.key === "w") { event.preventDefault(); window.location.assign(document.getElementById("back-link")?.getAttribute("href") || "/work"); }
      return;
    }
    if (event.key === "?") { event.preventDefault(); openHelp(); return; }
    if (event.key === "g") { pendingG = true; setTimeout(function () { pendingG = false; }, 1500); return; }
    if ("nripche".indexOf(event.key) >= 0 && event.key.length === 1 && go(event.key)) { event.preventDefault(); }
  });

  // --- canned replies: "/" at the start of the box or after a space opens the reason's list ------------------
  var box = document.getElementById("reply-message");
  var menu = document.getElementById("canned-menu");
  var slashAt = -1, active = 0;
  function menuOpen() { return menu && !menu.hidden; }
  function options() {
    var query = slashAt >= 0 ? box.value.slice(slashAt + 1, box.selectionStart).toLowerCase() : "";
    return Array.prototype.filter.call(menu.querySelectorAll("[role=option]"), function (li) {
      var match = li.textContent.toLowerCase().indexOf(query) >= 0;
      li.hidden = !match;
      return match;
    });
  }
  function show() {
    var shown = options();
    if (!shown.length) { hide(); return; }
    active = Math.min(active, shown.length - 1);
    shown.forEach(function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
    menu.hidden = false;
    box.setAttribute("aria-expanded", "true");
    box.setAttribute("aria-activedescendant", shown[active].id);
  }
  function hide() {
    if (!menu) { return; }
    menu.hidden = true; slashAt = -1; active = 0;
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
  }
  function choose(li) {
    var text = li.getAttribute("data-text");
    var end = box.selectionStart;
    box.value = box.value.slice(0, slashAt) + text + box.value.slice(end);
    var caret = slashAt + text.length;
    hide();
    box.focus();
    // The first placeholder the ticket could not fill is selected, ready to be typed over.
    var left = box.value.search(/\{[A-Za-z_]\w*\}/);
    if (left >= 0) { box.setSelectionRange(left, box.value.indexOf("}", left) + 1); } else { box.setSelectionRange(caret, caret); }
    checkPlaceholders(false);
  }
  if (box && menu) {
    box.addEventListener("input", function () {
      var at = box.selectionStart, before = box.value.slice(0, at);
      if (slashAt < 0 && before.slice(-1) === "/" && (at === 1 || /\s/.test(before.slice(-2, -1)))) { slashAt = at - 1; }
      if (slashAt >= 0 && (at <= slashAt || /\s/.test(box.value.slice(slashAt + 1, at)))) { hide(); return; }
      if (slashAt >= 0) { show(); }
    });
    box.addEventListener("keydown", function (event) {
      if (!menuOpen()) { return; }
      var shown = options();
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        active = (active + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
        show();
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        choose(shown[active]);
      } else if (event.key === "Escape") {
        event.preventDefault();
        hide();
      }
    });
    menu.addEventListener("mousedown", function (event) {
      var li = event.target.closest("[role=option]");
      if (li) { event.preventDefault(); choose(li); }
    });
    box.addEventListener("blur", function () { setTimeout(hide, 150); });
  }

  // --- a reply holding a placeholder is not sent (the server refuses it too) ---------------------------------
  var warn = document.getElementById("reply-placeholders");
  function checkPlaceholders(blocking) {
    if (!box || !warn) { return true; }
    var found = box.value.match(/\{[A-Za-z_]\w*\}/g) || [];
    var unique = found.filter(function (p, i) { return found.indexOf(p) === i; });
    if (!unique.length) { warn.hidden = true; box.removeAttribute("aria-invalid"); return true; }
    if (blocking) {
      warn.textContent = box.getAttribute("data-placeholder-left") + " " + unique.join(", ");
      warn.hidden = false;
      box.setAttribute("aria-invalid", "true");
    }
    return false;
  }
  box?.form?.addEventListener("submit", function (event) {
    if (!checkPlaceholders(true)) { event.preventDefault(); box.focus(); }
  });
})();
